// SPDX-License-Identifier: Apache-2.0
// WriteCombiner: writes to the same key (a run) that queue behind each other go to the database
// together. A writer that finds nobody writing its key writes at once; while it does, later
// writers of that key wait. When it is done, the first waiter takes every queued payload of the
// key (up to `max_group`) and writes them with one call, and each member of the group gets that
// call's status. So concurrent writers of one run pay one transaction, and one round of
// statements, between them instead of one each. Writes to different keys never wait for each
// other. Thread-safe.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace mlhub::store {

template <typename Payload>
class WriteCombiner {
 public:
  // Writes a group (in arrival order) and returns the status every member gets.
  using GroupWrite = std::function<Status(const std::vector<Payload*>& group)>;

  explicit WriteCombiner(size_t max_group) : max_group_(max_group < 1 ? 1 : max_group) {}

  // Returns once `payload` has been written, by this call or by another writer's group.
  Status Submit(std::string_view key, Payload* payload, const GroupWrite& write) {
    Pending self{payload, OkStatus()};
    std::unique_lock<std::mutex> lock(mu_);
    // Elements of an unordered_map keep their address until erased; this one is erased only
    // when nobody is queued in it or writing it.
    Queue* queue = &keys_.try_emplace(std::string(key)).first->second;
    queue->waiting.push_back(&self);
    for (;;) {
      cv_.wait(lock, [&] { return self.done || !queue->writing; });
      if (self.done) return self.status;

      // Lead: take the oldest waiters (this write among them unless the group is full).
      queue->writing = true;
      const size_t n = std::min(queue->waiting.size(), max_group_);
      std::vector<Pending*> group(queue->waiting.begin(), queue->waiting.begin() + n);
      queue->waiting.erase(queue->waiting.begin(), queue->waiting.begin() + n);
      lock.unlock();

      std::vector<Payload*> payloads;
      payloads.reserve(group.size());
      for (Pending* member : group) payloads.push_back(member->payload);
      const Status status = write(payloads);

      lock.lock();
      for (Pending* member : group) {
        member->status = status;
        member->done = true;
      }
      queue->writing = false;
      if (queue->waiting.empty()) keys_.erase(std::string(key));
      cv_.notify_all();
      if (self.done) return self.status;
      // Still queued (older waiters filled the group): wait for the next turn.
    }
  }

  // How many writes of `key` wait (not counting ones being written).
  size_t WaitingForTest(std::string_view key) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = keys_.find(std::string(key));
    return it == keys_.end() ? 0 : it->second.waiting.size();
  }

 private:
  struct Pending {
    Payload* payload;
    Status status;
    bool done = false;
  };
  struct Queue {
    std::vector<Pending*> waiting;
    bool writing = false;
  };

  const size_t max_group_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<std::string, Queue> keys_;  // guarded by mu_
};

}  // namespace mlhub::store
