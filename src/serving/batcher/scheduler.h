// SPDX-License-Identifier: Apache-2.0
// Scheduler: one model version's request queue and its instances. Each instance has one thread
// that takes a batch from the shared BatchQueue, runs LoadedModel::Execute on the concatenated
// inputs, and hands every request its own slice of the outputs. Thread-safe.
//
// Inline execution (docs/adr/0004-inline-model-execution.md): for models whose batches take
// microseconds (LoadedModel::RunsInline) and with no queue delay, a request that finds an idle
// instance and an empty queue runs on the caller's thread, and that caller then also runs what
// queued up meanwhile (a bounded number of batches) before handing the rest to the instance
// threads. Same batches as Triton's dynamic batcher, without two thread wake-ups per request.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "serving/backends/model_backend.h"
#include "serving/batcher/batch_queue.h"
#include "serving/batcher/model_stats.h"

namespace mlhub::serving {

struct SchedulerConfig {
  int64_t max_batch_size = 64;     // rows per execution; 1 turns batching off
  int64_t max_queue_delay_us = 0;  // 0: take what is queued as soon as an instance is free
  int64_t max_queue_size = 4096;   // requests waiting; beyond it Enqueue fails Unavailable
  bool allow_inline = true;        // see the file comment; only with max_queue_delay_us == 0
};

class Scheduler {
 public:
  // Starts one thread per instance. `stats` must outlive the scheduler.
  Scheduler(std::vector<std::unique_ptr<LoadedModel>> instances, SchedulerConfig config,
            ModelStats* stats);
  ~Scheduler();  // Stop()

  // Queues a request: every input's dimension 0 is its row count (the protocol layer checked
  // the shapes). `done` is called exactly once: on an instance thread, or here (on refusal, or
  // when the request runs inline).
  void Enqueue(std::vector<Tensor> inputs, InferenceCallback done);

  // Runs what is queued, then joins the threads; later Enqueues fail Unavailable. Idempotent.
  void Stop();

  // Requests queued or executing.
  int64_t InFlight() const;

  const ModelMetadata& metadata() const { return instances_[0]->metadata(); }
  // For /invocations: the pyfunc view of a batch's outputs (labels for classifiers).
  std::vector<Tensor> PyfuncPredictions(std::vector<Tensor> outputs) const {
    return instances_[0]->PyfuncPredictions(std::move(outputs));
  }

 private:
  void RunInstance();
  // Runs the caller's request and then up to kInlineBatches queued batches on `instance`;
  // called with `lock` held, returns with it held and the instance given back.
  void RunInline(std::unique_lock<std::mutex>& lock, LoadedModel* instance, PendingRequest request);
  // Runs `batch` with mu_ released (counted in executing_ meanwhile); `lock` holds mu_ before
  // and after.
  void ExecuteUnlocked(std::unique_lock<std::mutex>& lock, LoadedModel* instance,
                       std::vector<PendingRequest> batch);
  void Execute(LoadedModel* instance, std::vector<PendingRequest> batch);

  std::vector<std::unique_ptr<LoadedModel>> instances_;
  const SchedulerConfig config_;
  ModelStats* stats_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable idle_;  // signalled when a batch finishes (Stop waits for inline runs)
  BatchQueue queue_;              // GUARDED_BY(mu_)
  std::vector<LoadedModel*> idle_instances_;  // GUARDED_BY(mu_)
  int64_t executing_ = 0;                     // GUARDED_BY(mu_): requests in batches now running
  bool stopping_ = false;                     // GUARDED_BY(mu_)
  bool inline_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace mlhub::serving
