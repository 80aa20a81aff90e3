// SPDX-License-Identifier: Apache-2.0
#include "common/ids.h"

#include <random>

namespace mlhub {

uint64_t RandomU64() {
  thread_local std::mt19937_64 engine([] {
    std::random_device device;
    return (static_cast<uint64_t>(device()) << 32) ^ device();
  }());
  return engine();
}

std::string NewUuidHex() {
  uint64_t hi = RandomU64();
  uint64_t lo = RandomU64();
  hi = (hi & ~0xF000ULL) | 0x4000ULL;              // version 4
  lo = (lo & ~(0xC0ULL << 56)) | (0x80ULL << 56);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) out[i] = kHex[(hi >> (60 - 4 * i)) & 0xF];
  for (int i = 0; i < 16; ++i) out[16 + i] = kHex[(lo >> (60 - 4 * i)) & 0xF];
  return out;
}

}  // namespace mlhub
