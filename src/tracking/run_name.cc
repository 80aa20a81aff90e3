// SPDX-License-Identifier: Apache-2.0
#include "tracking/run_name.h"

#include <fmt/format.h>

#include <array>
#include <string_view>

#include "common/ids.h"

namespace mlhub::tracking {
namespace {

constexpr std::array<std::string_view, 24> kAdjectives = {
    "amber",  "bold",   "brisk", "calm",  "clever", "crisp",  "daring", "eager",
    "fleet",  "gentle", "glad",  "hardy", "keen",   "lively", "lucid",  "mellow",
    "nimble", "placid", "quick", "quiet", "sharp",  "steady", "sunny",  "witty"};
constexpr std::array<std::string_view, 24> kAnimals = {
    "badger", "bison", "crane",  "dingo", "egret", "ferret", "finch",  "gecko",
    "heron",  "ibis",  "jackal", "koala", "lemur", "lynx",   "marten", "newt",
    "ocelot", "otter", "panda",  "quail", "raven", "stoat",  "tapir",  "wren"};

}  // namespace

std::string GenerateRunName() {
  uint64_t r = RandomU64();
  return fmt::format("{}-{}-{}", kAdjectives[r % kAdjectives.size()],
                     kAnimals[(r >> 16) % kAnimals.size()], (r >> 32) % 1000);
}

}  // namespace mlhub::tracking
