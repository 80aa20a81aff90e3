// SPDX-License-Identifier: Apache-2.0
// ModelStats: one model version's serving counters, named after Triton's (request success and
// failure, inference count vs execution count, queue vs compute time). Lock-free; the protocol
// layer counts requests, the scheduler counts executions and times.
#pragma once

#include <atomic>
#include <cstdint>

namespace mlhub::serving {

struct ModelStats {
  std::atomic<uint64_t> request_success{0};
  std::atomic<uint64_t> request_failure{0};
  std::atomic<uint64_t> request_duration_us{0};  // total over requests, arrival to answer
  std::atomic<uint64_t> inference_count{0};      // rows inferred (a batch of 64 rows counts 64)
  std::atomic<uint64_t> execution_count{0};      // backend executions (batches)
  std::atomic<uint64_t> queue_duration_us{0};    // total over requests, enqueue to execution
  std::atomic<uint64_t> compute_duration_us{0};  // total over requests, time in the backend

  void Add(std::atomic<uint64_t>& counter, uint64_t amount) {
    counter.fetch_add(amount, std::memory_order_relaxed);
  }
};

}  // namespace mlhub::serving
