// SPDX-License-Identifier: Apache-2.0
// SIGINT/SIGTERM handling shared by the long-running commands: block the signals in every thread
// (call BlockTerminationSignals before starting any), then let one TerminationWatcher thread wait
// for them and start the shutdown.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

namespace mlhub {

// Blocks SIGINT and SIGTERM in the calling thread (threads started later inherit it) and ignores
// SIGPIPE (a client that hangs up must not kill the server).
void BlockTerminationSignals();

// Calls `on_signal` once, on its own thread, when SIGINT or SIGTERM arrives. The destructor stops
// waiting (and joins).
class TerminationWatcher {
 public:
  explicit TerminationWatcher(std::function<void()> on_signal);
  ~TerminationWatcher();
  TerminationWatcher(const TerminationWatcher&) = delete;
  TerminationWatcher& operator=(const TerminationWatcher&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace mlhub
