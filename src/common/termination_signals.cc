// SPDX-License-Identifier: Apache-2.0
#include "common/termination_signals.h"

#include <signal.h>
#include <spdlog/spdlog.h>

namespace mlhub {

void BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

TerminationWatcher::TerminationWatcher(std::function<void()> on_signal) {
  thread_ = std::thread([this, on_signal = std::move(on_signal)] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    timespec tick{0, 200 * 1000 * 1000};
    while (!stop_.load()) {
      int signal = sigtimedwait(&set, nullptr, &tick);
      if (signal == SIGINT || signal == SIGTERM) {
        spdlog::info("received {}, draining in-flight requests",
                     signal == SIGINT ? "SIGINT" : "SIGTERM");
        on_signal();
        return;
      }
    }
  });
}

TerminationWatcher::~TerminationWatcher() {
  stop_.store(true);
  thread_.join();
}

}  // namespace mlhub
