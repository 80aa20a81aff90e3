// SPDX-License-Identifier: Apache-2.0
// Clock: the source of "now", injected so timestamps and deadlines can be tested (Envoy's
// TimeSource). Implementations are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>

namespace mlhub {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch (MLflow's timestamp unit).
  virtual int64_t NowMillis() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowMillis() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace mlhub
