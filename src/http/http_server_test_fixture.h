// SPDX-License-Identifier: Apache-2.0
// The fixture of the HttpServer tests: an in-process server on an ephemeral port with test routes
// (buffered, async, slow, streamed, upload), driven by a small blocking POSIX-socket client.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "http/http_server.h"
#include "http/metrics.h"
#include "http/test_client.h"

namespace mlhub::http {

using test_util::Client;
using test_util::Get;
using test_util::Pattern;
using test_util::Post;
using test_util::Reply;
using ::testing::HasSubstr;

// Records what the upload sink saw.
struct UploadLog {
  std::mutex mu;
  std::condition_variable cv;
  std::string data;
  bool finished = false;
  bool aborted = false;
  size_t max_chunk = 0;

  bool WaitEnded() {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(10), [&] { return finished || aborted; });
  }
};

class TestSink : public BodySink {
 public:
  TestSink(UploadLog* log, bool fail) : log_(log), fail_(fail) {}
  Status Write(std::string_view chunk) override {
    std::lock_guard<std::mutex> lock(log_->mu);
    log_->data.append(chunk);
    log_->max_chunk = std::max(log_->max_chunk, chunk.size());
    if (fail_) return ResourceExhaustedError("disk full");
    return OkStatus();
  }
  Response Finish() override {
    std::lock_guard<std::mutex> lock(log_->mu);
    log_->finished = true;
    log_->cv.notify_all();
    return Response::Json(201, "{\"size\":" + std::to_string(log_->data.size()) + "}");
  }
  void Abort() override {
    std::lock_guard<std::mutex> lock(log_->mu);
    log_->aborted = true;
    log_->cv.notify_all();
  }

 private:
  UploadLog* log_;
  bool fail_;
};

// Yields 1000 bytes, then fails.
class FailingSource : public BodySource {
 public:
  StatusOr<size_t> Read(char* buffer, size_t capacity) override {
    if (sent_) return InternalError("disk gone");
    sent_ = true;
    std::memset(buffer, 'z', 1000);
    return size_t{1000};
  }

 private:
  bool sent_ = false;
};

// Streams `remaining` pattern bytes in reads of at most 100,000 bytes.
class PatternSource : public BodySource {
 public:
  explicit PatternSource(size_t size) : data_(Pattern(size)) {}
  StatusOr<size_t> Read(char* buffer, size_t capacity) override {
    size_t n = std::min({capacity, data_.size() - pos_, size_t{100000}});
    std::memcpy(buffer, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t pos_ = 0;
};

// Lends `size` pattern bytes from its own buffer in pieces of 700,000 bytes (more than one
// write's chunk), never through Read.
class LendingSource : public BodySource {
 public:
  explicit LendingSource(size_t size) : data_(Pattern(size)) {}
  StatusOr<size_t> Read(char*, size_t) override { return InternalError("Read on a lender"); }
  bool lends() const override { return true; }
  StatusOr<std::string_view> Lend(size_t max) override {
    size_t n = std::min({max, data_.size() - pos_, size_t{700000}});
    std::string_view piece(data_.data() + pos_, n);
    pos_ += n;
    return piece;
  }

 private:
  std::string data_;
  size_t pos_ = 0;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add(Method::kGet, "/hello", [this](Request& req) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        handler_threads_.push_back(std::this_thread::get_id());
      }
      return Response::Json(
          200, "{\"name\":\"" + std::string(req.query.Get("name").value_or("")) + "\"}");
    });
    router_.Add(Method::kPost, "/echo", [](Request& req) {
      Response r = Response::Text(200, req.body);
      r.headers.emplace_back("X-Echo", std::string(req.Header("x-echo").value_or("none")));
      return r;
    });
    router_.Add(Method::kGet, "/throw",
                [](Request&) -> Response { throw std::runtime_error("boom"); });
    router_.Add(Method::kGet, "/slow", [this](Request&) {
      std::unique_lock<std::mutex> lock(mu_);
      slow_entered_ = true;
      cv_.notify_all();
      cv_.wait_for(lock, std::chrono::seconds(10), [&] { return slow_release_; });
      return Response::Text(200, "slow done");
    });
    router_.Add(Method::kGet, "/stream-length", [](Request&) {
      Response r;
      r.content_type = "application/octet-stream";
      r.stream = std::make_unique<PatternSource>(600000);
      r.content_length = 600000;
      return r;
    });
    router_.Add(Method::kGet, "/stream-chunked", [](Request&) {
      Response r;
      r.content_type = "application/octet-stream";
      r.stream = std::make_unique<PatternSource>(600001);
      return r;
    });
    router_.Add(Method::kGet, "/stream-lent-length", [](Request&) {
      Response r;
      r.stream = std::make_unique<LendingSource>(1500000);
      r.content_length = 1500000;
      return r;
    });
    router_.Add(Method::kGet, "/stream-lent-chunked", [](Request&) {
      Response r;
      r.stream = std::make_unique<LendingSource>(1500001);
      return r;
    });
    router_.Add(Method::kGet, "/stream-error", [](Request&) {
      Response r;
      r.stream = std::make_unique<FailingSource>();
      r.content_length = 5000;
      return r;
    });
    router_.Add(Method::kGet, "/metrics", [this](Request&) {
      Response r = Response::Text(200, "");
      metrics_.Render(&r.body);
      return r;
    });
    // Async routes: answered inline, from another thread later, or never (the Responder is
    // dropped uncalled: the client must still get an answer).
    router_.AddAsync(Method::kGet, "/async-inline",
                     [](Request&, Responder respond) { respond(Response::Text(200, "inline")); });
    router_.AddAsyncPrefix(Method::kPost, "/async-later/", [](Request& req, Responder respond) {
      std::thread([body = req.body, suffix = std::string(req.path_suffix),
                   respond = std::move(respond)] {
        respond(Response::Text(200, suffix + ":" + body));
      }).detach();
    });
    router_.AddAsync(Method::kGet, "/async-dropped", [](Request&, Responder) {});
    router_.AddUpload(
        Method::kPut, "/upload/",
        [this](Request& req) -> std::variant<Response, std::unique_ptr<BodySink>> {
          ++upload_calls_;
          if (req.path_suffix == "reject") return Response::Text(403, "no");
          return std::make_unique<TestSink>(&upload_, req.path_suffix == "fail");
        },
        [](const Status& s) { return Response::Text(507, s.message()); });
  }

  void Start(HttpServerConfig config = {}, int io_threads = 1) {
    config.port = 0;
    config.io_threads = io_threads;
    config.blocking_threads = 2;
    config_ = config;
    auto server = HttpServer::Create(config, router_, &metrics_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    port_ = server_->port();
    ASSERT_NE(port_, 0);
    thread_ = std::thread([this] { server_->Run(); });
  }

  void TearDown() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      slow_release_ = true;
      cv_.notify_all();
    }
    if (server_) server_->Shutdown();
    if (thread_.joinable()) thread_.join();
  }

  Router router_;
  HttpMetrics metrics_;
  HttpServerConfig config_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  uint16_t port_ = 0;
  UploadLog upload_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool slow_entered_ = false;
  bool slow_release_ = false;
  std::vector<std::thread::id> handler_threads_;
  std::atomic<int> upload_calls_{0};
};

}  // namespace mlhub::http
