// SPDX-License-Identifier: Apache-2.0
#include "serving/batcher/scheduler.h"

#include <fmt/format.h>

#include <chrono>

namespace mlhub::serving {
namespace {

// How many queued batches a caller that ran inline also runs before handing the queue to the
// instance threads: keeps one I/O thread from serving everyone's requests for long.
constexpr int kInlineBatches = 4;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Scheduler::Scheduler(std::vector<std::unique_ptr<LoadedModel>> instances, SchedulerConfig config,
                     ModelStats* stats)
    : instances_(std::move(instances)),
      config_(config),
      stats_(stats),
      queue_(BatchPolicy{std::max<int64_t>(1, config.max_batch_size),
                         config.max_queue_delay_us * 1000}) {
  inline_ = config.allow_inline && config.max_queue_delay_us == 0 && !instances_.empty() &&
            instances_[0]->RunsInline();
  for (auto& instance : instances_) idle_instances_.push_back(instance.get());
  threads_.reserve(instances_.size());
  for (size_t i = 0; i < instances_.size(); ++i) threads_.emplace_back([this] { RunInstance(); });
}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Enqueue(std::vector<Tensor> inputs, InferenceCallback done) {
  PendingRequest request;
  request.rows = inputs.empty() || inputs[0].shape.empty() ? 0 : inputs[0].shape[0];
  request.inputs = std::move(inputs);
  request.done = std::move(done);
  bool stopping;
  {
    std::unique_lock<std::mutex> lock(mu_);
    stopping = stopping_;
    if (!stopping && inline_ && queue_.empty() && !idle_instances_.empty()) {
      LoadedModel* instance = idle_instances_.back();
      idle_instances_.pop_back();
      request.enqueue_ns = NowNs();
      RunInline(lock, instance, std::move(request));
      return;
    }
    if (!stopping && static_cast<int64_t>(queue_.size()) < config_.max_queue_size) {
      request.enqueue_ns = NowNs();
      queue_.Push(std::move(request));
      // Only an instance thread that can take the work is worth waking.
      if (!idle_instances_.empty()) wake_.notify_one();
      return;
    }
  }
  request.done(UnavailableError(stopping ? "the model is being unloaded"
                                         : "the model's request queue is full"));
}

void Scheduler::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
  // A caller may still be running a batch inline; it answers before the model goes away.
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [this] { return executing_ == 0 && queue_.empty(); });
}

int64_t Scheduler::InFlight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(queue_.size()) + executing_;
}

void Scheduler::RunInstance() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (idle_instances_.empty()) {
      // Every instance is busy (inline callers hold them): nothing to do until one is back.
      if (stopping_ && queue_.empty()) return;
      wake_.wait(lock);
      continue;
    }
    // Stopping still runs what is queued: every accepted request gets its answer.
    BatchQueue::Decision decision = queue_.Take(stopping_ ? INT64_MAX : NowNs());
    if (!decision.batch.empty()) {
      LoadedModel* instance = idle_instances_.back();
      idle_instances_.pop_back();
      ExecuteUnlocked(lock, instance, std::move(decision.batch));
      idle_instances_.push_back(instance);
      idle_.notify_all();
      continue;
    }
    if (stopping_) return;
    if (decision.wake_ns) {
      wake_.wait_for(lock, std::chrono::nanoseconds(*decision.wake_ns - NowNs()));
    } else {
      wake_.wait(lock);
    }
  }
}

void Scheduler::RunInline(std::unique_lock<std::mutex>& lock, LoadedModel* instance,
                          PendingRequest request) {
  std::vector<PendingRequest> batch;
  batch.push_back(std::move(request));
  ExecuteUnlocked(lock, instance, std::move(batch));
  // With no queue delay, Take always forms a batch from a non-empty queue.
  for (int i = 0; i < kInlineBatches && !queue_.empty(); ++i) {
    ExecuteUnlocked(lock, instance, queue_.Take(NowNs()).batch);
  }
  idle_instances_.push_back(instance);
  if (stopping_) {
    wake_.notify_all();  // threads waiting for an instance must see the stop
  } else if (!queue_.empty()) {
    wake_.notify_one();
  }
  idle_.notify_all();
}

void Scheduler::ExecuteUnlocked(std::unique_lock<std::mutex>& lock, LoadedModel* instance,
                                std::vector<PendingRequest> batch) {
  const auto count = static_cast<int64_t>(batch.size());
  executing_ += count;
  lock.unlock();
  Execute(instance, std::move(batch));
  lock.lock();
  executing_ -= count;
}

void Scheduler::Execute(LoadedModel* instance, std::vector<PendingRequest> batch) {
  const int64_t start_ns = NowNs();
  std::vector<int64_t> rows;
  rows.reserve(batch.size());
  int64_t total_rows = 0;
  for (const PendingRequest& request : batch) {
    rows.push_back(request.rows);
    total_rows += request.rows;
    stats_->Add(stats_->queue_duration_us, (start_ns - request.enqueue_ns) / 1000);
  }
  std::vector<Tensor> inputs = GatherInputs(batch);
  StatusOr<std::vector<Tensor>> outputs = [&]() -> StatusOr<std::vector<Tensor>> {
    try {
      return instance->Execute(inputs);
    } catch (const std::exception& e) {
      return InternalError(fmt::format("model execution failed: {}", e.what()));
    }
  }();
  const int64_t compute_us = (NowNs() - start_ns) / 1000;
  stats_->Add(stats_->execution_count, 1);
  stats_->Add(stats_->compute_duration_us, compute_us * static_cast<int64_t>(batch.size()));
  if (!outputs.ok()) {
    for (PendingRequest& request : batch) request.done(outputs.status());
    return;
  }
  stats_->Add(stats_->inference_count, total_rows);
  if (batch.size() == 1) {
    batch[0].done(std::move(outputs));
    return;
  }
  auto split = ScatterOutputs(*outputs, rows);
  for (size_t i = 0; i < batch.size(); ++i) {
    if (split.ok()) {
      batch[i].done(std::move((*split)[i]));
    } else {
      batch[i].done(split.status());
    }
  }
}

}  // namespace mlhub::serving
