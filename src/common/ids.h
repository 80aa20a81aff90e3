// SPDX-License-Identifier: Apache-2.0
// Random identifiers. Thread-safe (per-thread generators seeded from the OS).
#pragma once

#include <cstdint>
#include <string>

namespace mlhub {

// 32 lowercase hex characters of a random (version 4) UUID, as MLflow's run ids.
std::string NewUuidHex();

// A uniformly random 64-bit number.
uint64_t RandomU64();

}  // namespace mlhub
