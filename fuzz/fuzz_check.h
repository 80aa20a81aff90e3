// SPDX-License-Identifier: Apache-2.0
// FUZZ_CHECK: a property every input must keep. A violation prints what failed and aborts, which
// libFuzzer reports as a crash (and saves the input), exactly like an ASan or UBSan error.
#pragma once

#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "common/status.h"

#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)

namespace mlhub::fuzz {

// Client input may be refused only with InvalidArgument (a 400), never with another code (a 500
// or worse) or with an empty message.
inline void CheckRefusal(const Status& status) {
  if (status.code() != StatusCode::kInvalidArgument || status.message().empty()) {
    std::fprintf(stderr, "unexpected refusal: code %d: %s\n", static_cast<int>(status.code()),
                 status.message().c_str());
    std::abort();
  }
}

inline bool IsUtf8(std::string_view text) {
  return simdjson::validate_utf8(text.data(), text.size());
}

// A refusal of valid UTF-8 input must be valid UTF-8 too (it is sent as JSON): excerpts of the
// input that it quotes must not split a character.
inline void CheckRefusal(const Status& status, std::string_view input) {
  CheckRefusal(status);
  if (IsUtf8(input) && !IsUtf8(status.message())) {
    std::fprintf(stderr, "a refusal of UTF-8 input is not UTF-8: %s\n", status.message().c_str());
    std::abort();
  }
}

}  // namespace mlhub::fuzz
