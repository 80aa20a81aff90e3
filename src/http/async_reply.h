// SPDX-License-Identifier: Apache-2.0
// Internal to the http module: the shared state behind one Responder of an async route
// (handler.h). It resumes the waiting connection coroutine exactly once, on the coroutine's own
// executor, with the answer; or with the router's 500 when the last copy of the Responder is
// destroyed uncalled, so a buggy handler can never leave a connection hanging. Thread-safe:
// Complete may be called from any thread.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <utility>

#include "http/router.h"

namespace mlhub::http::internal {

template <typename Completion>
struct AsyncReply {
  using Executor = boost::asio::any_io_executor;

  AsyncReply(Completion c, boost::asio::executor_work_guard<Executor> w, const Router* r)
      : completion(std::move(c)), work(std::move(w)), router(r) {}
  ~AsyncReply() {
    if (!done.load()) Complete(router->TransportError(500, "Internal Server Error"));
  }
  void Complete(Response response) {
    if (done.exchange(true)) return;
    Executor ex = boost::asio::get_associated_executor(completion);
    boost::asio::post(ex, [c = std::move(completion), response = std::move(response)]() mutable {
      std::move(c)(std::move(response));
    });
  }

  Completion completion;
  boost::asio::executor_work_guard<Executor> work;  // the server's Run() must not return meanwhile
  const Router* router;
  std::atomic<bool> done{false};
};

}  // namespace mlhub::http::internal
