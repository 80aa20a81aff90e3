// SPDX-License-Identifier: Apache-2.0
// BatchQueue: the dynamic-batching policy, without threads or clocks, so it can be tested with
// plain numbers. Requests wait in arrival order; Take forms the next batch the way Triton's
// dynamic batcher does:
//   - a batch is the longest run of queue-head requests that can be concatenated (same inputs,
//     datatypes and non-batch dimensions) whose rows fit in max_batch_size; a request larger than
//     max_batch_size runs alone;
//   - with max_queue_delay 0 a batch is taken as soon as an instance is free (so a batch forms
//     while the previous one executes); otherwise it is taken when full, or when the oldest
//     request has waited max_queue_delay.
// Not thread-safe: the Scheduler holds its lock around every call.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <vector>

#include "common/status.h"
#include "serving/backends/tensor.h"

namespace mlhub::serving {

// Called once with this request's outputs (its rows only) or the error that ended it.
using InferenceCallback = std::function<void(StatusOr<std::vector<Tensor>>)>;

struct PendingRequest {
  std::vector<Tensor> inputs;  // all with the same size of dimension 0
  int64_t rows = 0;
  int64_t enqueue_ns = 0;
  InferenceCallback done;
};

struct BatchPolicy {
  int64_t max_batch_size = 64;  // rows
  int64_t max_queue_delay_ns = 0;
};

class BatchQueue {
 public:
  explicit BatchQueue(BatchPolicy policy) : policy_(policy) {}

  void Push(PendingRequest request) { queue_.push_back(std::move(request)); }
  bool empty() const { return queue_.empty(); }
  size_t size() const { return queue_.size(); }

  struct Decision {
    std::vector<PendingRequest> batch;  // empty: nothing to run yet
    std::optional<int64_t> wake_ns;     // with an empty batch: when to ask again (none: on Push)
  };
  // The batch to run at time `now_ns`, or when to look again.
  Decision Take(int64_t now_ns);

  // Removes and returns everything queued (at shutdown, to fail them).
  std::deque<PendingRequest> Drain() { return std::exchange(queue_, {}); }

 private:
  // How many head requests form one batch, and whether it is full (no more could join).
  std::pair<size_t, bool> HeadRun() const;

  BatchPolicy policy_;
  std::deque<PendingRequest> queue_;
};

// True when `b`'s inputs can be concatenated after `a`'s along dimension 0.
bool CanBatchTogether(const std::vector<Tensor>& a, const std::vector<Tensor>& b);

// Concatenates the requests' inputs along dimension 0.
std::vector<Tensor> GatherInputs(std::vector<PendingRequest>& batch);

// Splits a batch's outputs back into one output list per request, by the requests' rows.
// InvalidArgument when an output's dimension 0 does not equal the batch's rows.
StatusOr<std::vector<std::vector<Tensor>>> ScatterOutputs(const std::vector<Tensor>& outputs,
                                                          const std::vector<int64_t>& rows);

}  // namespace mlhub::serving
