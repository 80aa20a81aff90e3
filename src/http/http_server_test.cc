// SPDX-License-Identifier: Apache-2.0
// In-process HttpServer on an ephemeral port, driven by a small blocking POSIX-socket client.
#include "http/http_server.h"

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

#include "http/metrics.h"
#include "http/test_client.h"

namespace mlhub::http {
namespace {

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

TEST_F(HttpServerTest, GetAndPostBuffered) {
  Start();
  Client c(port_);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.Send(Get("/hello?name=a%20b")));
  Reply r = c.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"name\":\"a b\"}");
  EXPECT_EQ(r.Header("server"), "mlhub");
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.Header("connection"), "");

  ASSERT_TRUE(
      c.Send("POST /echo HTTP/1.1\r\nHost: t\r\nX-Echo: yes\r\nContent-Length: 5\r\n\r\nhello"));
  r = c.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.Header("x-echo"), "yes");

  std::lock_guard<std::mutex> lock(mu_);
  ASSERT_EQ(handler_threads_.size(), 1u);
  EXPECT_NE(handler_threads_[0], thread_.get_id());  // never on the I/O thread
}

TEST_F(HttpServerTest, AsyncRoutesAnswerFromAnyThreadAndNeverHang) {
  Start({}, /*io_threads=*/2);
  Client c(port_);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.Send(Get("/async-inline")));
  Reply r = c.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "inline");
  // Answered from a thread of its own, then the connection serves the next request.
  for (int i = 0; i < 20; ++i) {
    std::string body = "n" + std::to_string(i);
    ASSERT_TRUE(c.Send("POST /async-later/x HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\n\r\n" + body));
    r = c.Read();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "x:" + body);
  }
  ASSERT_TRUE(c.Send(Get("/async-dropped")));
  r = c.Read();
  EXPECT_EQ(r.status, 500);
  ASSERT_TRUE(c.Send(Get("/async-inline")));  // still served after the 500
  EXPECT_EQ(c.Read().body, "inline");
}

TEST_F(HttpServerTest, KeepAliveAndPipelining) {
  Start();
  Client c(port_);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.Send(Post("/echo", "n" + std::to_string(i))));
    Reply r = c.Read();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "n" + std::to_string(i));
  }
  ASSERT_TRUE(c.Send(Post("/echo", "p1") + Get("/hello?name=p2") + Post("/echo", "p3")));
  EXPECT_EQ(c.Read().body, "p1");
  EXPECT_EQ(c.Read().body, "{\"name\":\"p2\"}");
  EXPECT_EQ(c.Read().body, "p3");
  // A chunked request body is buffered too.
  ASSERT_TRUE(
      c.Send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
             "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
  EXPECT_EQ(c.Read().body, "abcde");
}

TEST_F(HttpServerTest, ConcurrentClientsOnTwoIoThreads) {
  Start({}, /*io_threads=*/2);
  std::vector<std::thread> clients;
  clients.reserve(4);
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      Client c(port_);
      for (int i = 0; i < 50; ++i) {
        std::string body = std::to_string(t) + "-" + std::to_string(i);
        if (!c.Send(Post("/echo", body))) return;
        if (c.Read().body == body) ++ok;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 200);
}

TEST_F(HttpServerTest, Http10ClosesUnlessKeepAlive) {
  Start();
  Client a(port_);
  ASSERT_TRUE(a.Send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  Reply r = a.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("connection"), "keep-alive");
  ASSERT_TRUE(a.Send("GET /hello HTTP/1.0\r\n\r\n"));
  r = a.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(a.PeerClosed());
}

TEST_F(HttpServerTest, ErrorsAndNotFound) {
  Start();
  Client c(port_);
  ASSERT_TRUE(c.Send(Get("/nope")));
  Reply r = c.Read();
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "Not Found");
  ASSERT_TRUE(c.Send(Get("/throw")));
  r = c.Read();
  EXPECT_EQ(r.status, 500);
  ASSERT_TRUE(c.Send(Get("/hello?x=%zz")));
  EXPECT_EQ(c.Read().status, 400);
  ASSERT_TRUE(c.Send(Get("/hello")));  // still alive after all that
  EXPECT_EQ(c.Read().status, 200);

  Client bad(port_);
  ASSERT_TRUE(bad.Send("NOT HTTP AT ALL\r\n\r\n"));
  EXPECT_EQ(bad.Read().status, 400);
  EXPECT_TRUE(bad.PeerClosed());
}

TEST_F(HttpServerTest, HeadOnGetRoute) {
  Start();
  Client c(port_);
  ASSERT_TRUE(c.Send("HEAD /hello?name=x HTTP/1.1\r\nHost: t\r\n\r\n"));
  Reply r = c.Read(/*head_request=*/true);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-length"), "12");
  ASSERT_TRUE(c.Send("HEAD /stream-length HTTP/1.1\r\nHost: t\r\n\r\n"));
  r = c.Read(/*head_request=*/true);
  EXPECT_EQ(r.Header("content-length"), "600000");
  ASSERT_TRUE(c.Send(Get("/hello")));  // no stray body bytes were sent
  EXPECT_EQ(c.Read().body, "{\"name\":\"\"}");
}

TEST_F(HttpServerTest, BodyAndHeaderLimits) {
  HttpServerConfig config;
  config.max_body_bytes = 1000;
  config.max_header_bytes = 2000;
  Start(config);
  {
    Client c(port_);
    ASSERT_TRUE(c.Send(Post("/echo", std::string(1001, 'x'))));
    Reply r = c.Read();
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(r.Header("connection"), "close");
    EXPECT_TRUE(c.PeerClosed());
  }
  {
    Client c(port_);
    std::string chunked = "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 3; ++i) chunked += "190\r\n" + std::string(400, 'y') + "\r\n";
    chunked += "0\r\n\r\n";
    ASSERT_TRUE(c.Send(chunked));
    EXPECT_EQ(c.Read().status, 413);
    EXPECT_TRUE(c.PeerClosed());
  }
  {
    Client c(port_);
    ASSERT_TRUE(c.Send(Post("/echo", std::string(1000, 'x'))));
    EXPECT_EQ(c.Read().body.size(), 1000u);
  }
  {
    Client c(port_);
    ASSERT_TRUE(c.Send(Get("/hello", "X-Big: " + std::string(3000, 'h') + "\r\n")));
    EXPECT_EQ(c.Read().status, 431);
    EXPECT_TRUE(c.PeerClosed());
  }
}

TEST_F(HttpServerTest, UploadWithExpectContinue) {
  Start();
  Client c(port_);
  const std::string body = Pattern(2500 * 1024 + 13);  // pieces of at most 1 MiB
  ASSERT_TRUE(
      c.Send("PUT /upload/a/b.bin HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
             "Content-Length: " +
             std::to_string(body.size()) + "\r\n\r\n"));
  EXPECT_EQ(c.ReadExactly(25), "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(c.Send(body));
  Reply r = c.Read();
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, "{\"size\":" + std::to_string(body.size()) + "}");
  std::lock_guard<std::mutex> lock(upload_.mu);
  EXPECT_TRUE(upload_.finished);
  EXPECT_FALSE(upload_.aborted);
  EXPECT_TRUE(upload_.data == body);
  EXPECT_LE(upload_.max_chunk, 1024u * 1024);
}

TEST_F(HttpServerTest, UploadWithLengthThenPipelinedRequest) {
  Start();
  Client c(port_);
  // Header, body and the next request in one send: the body read takes exactly its bytes.
  const std::string body = Pattern(1500 * 1024 + 7);
  ASSERT_TRUE(c.Send("PUT /upload/d HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\n\r\n" + body + Get("/hello?name=next")));
  Reply r = c.Read();
  EXPECT_EQ(r.status, 201);
  {
    std::lock_guard<std::mutex> lock(upload_.mu);
    EXPECT_TRUE(upload_.data == body);
    EXPECT_TRUE(upload_.finished);
  }
  r = c.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"name\":\"next\"}");
}

TEST_F(HttpServerTest, UploadChunkedBodyThenKeepAlive) {
  Start();
  Client c(port_);
  const std::string body = Pattern(300000);
  std::string req = "PUT /upload/c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  size_t sizes[] = {1, 70000, 200000, 29999};
  size_t pos = 0;
  for (size_t n : sizes) {
    char hex[16];
    std::snprintf(hex, sizeof(hex), "%zx", n);
    req += std::string(hex) + "\r\n" + body.substr(pos, n) + "\r\n";
    pos += n;
  }
  req += "0\r\n\r\n";
  ASSERT_TRUE(c.Send(req));
  Reply r = c.Read();
  EXPECT_EQ(r.status, 201);
  {
    std::lock_guard<std::mutex> lock(upload_.mu);
    EXPECT_TRUE(upload_.data == body);
    EXPECT_TRUE(upload_.finished);
  }
  ASSERT_TRUE(c.Send(Get("/hello")));
  EXPECT_EQ(c.Read().status, 200);
}

TEST_F(HttpServerTest, UploadRejectedEarly) {
  Start();
  Client c(port_);
  ASSERT_TRUE(
      c.Send("PUT /upload/reject HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
             "Content-Length: 100000\r\n\r\n"));
  Reply r = c.Read();
  EXPECT_EQ(r.status, 403);  // and no 100 Continue before it
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(c.PeerClosed());
}

TEST_F(HttpServerTest, UploadWriteErrorAborts) {
  Start();
  Client c(port_);
  const std::string body = Pattern(1000);
  ASSERT_TRUE(
      c.Send("PUT /upload/fail HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" + body));
  Reply r = c.Read();
  EXPECT_EQ(r.status, 507);
  EXPECT_EQ(r.body, "disk full");
  ASSERT_TRUE(upload_.WaitEnded());
  std::lock_guard<std::mutex> lock(upload_.mu);
  EXPECT_TRUE(upload_.aborted);
  EXPECT_FALSE(upload_.finished);
}

TEST_F(HttpServerTest, UploadClientDisconnectAborts) {
  Start();
  {
    Client c(port_);
    ASSERT_TRUE(c.Send("PUT /upload/x HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n" +
                       Pattern(5000)));
  }
  ASSERT_TRUE(upload_.WaitEnded());
  std::lock_guard<std::mutex> lock(upload_.mu);
  EXPECT_TRUE(upload_.aborted);
  EXPECT_FALSE(upload_.finished);
}

TEST_F(HttpServerTest, StreamedResponses) {
  Start();
  Client c(port_);
  // Bodies read into the connection's chunk (PatternSource) and lent by their source
  // (LendingSource), each with Content-Length and chunked.
  const std::pair<std::string, size_t> cases[] = {{"/stream", 600000}, {"/stream-lent", 1500000}};
  for (const auto& [prefix, size] : cases) {
    ASSERT_TRUE(c.Send(Get(prefix + "-length")));
    Reply r = c.Read();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.Header("content-length"), std::to_string(size));
    EXPECT_EQ(r.Header("transfer-encoding"), "");
    EXPECT_TRUE(r.body == Pattern(size));
    ASSERT_TRUE(c.Send(Get(prefix + "-chunked")));
    r = c.Read();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.Header("transfer-encoding"), "chunked");
    EXPECT_TRUE(r.body == Pattern(size + 1));
  }
  ASSERT_TRUE(c.Send(Get("/hello")));
  EXPECT_EQ(c.Read().status, 200);
}

TEST_F(HttpServerTest, StreamReadErrorClosesConnection) {
  Start();
  Client c(port_);
  ASSERT_TRUE(c.Send(Get("/stream-error")));
  Reply r = c.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-length"), "5000");
  EXPECT_EQ(r.body, std::string(1000, 'z'));  // cut short
  EXPECT_TRUE(c.PeerClosed());
}

TEST_F(HttpServerTest, UploadOverLimitRejectedBeforeHandler) {
  HttpServerConfig config;
  config.max_upload_bytes = 1000;
  Start(config);
  Client c(port_);
  ASSERT_TRUE(
      c.Send("PUT /upload/big HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
             "Content-Length: 1001\r\n\r\n"));
  EXPECT_EQ(c.Read().status, 413);
  EXPECT_TRUE(c.PeerClosed());
  EXPECT_EQ(upload_calls_.load(), 0);
}

TEST_F(HttpServerTest, IdleConnectionTimesOut) {
  HttpServerConfig config;
  config.idle_timeout = std::chrono::seconds(1);
  Start(config);
  Client c(port_);
  ASSERT_TRUE(c.Send(Get("/hello")));
  EXPECT_EQ(c.Read().status, 200);
  EXPECT_TRUE(c.PeerClosed());  // within ~1.25 s; the client gives up after 10 s
}

TEST_F(HttpServerTest, GracefulShutdownFinishesInFlight) {
  Start();
  Client idle(port_);
  ASSERT_TRUE(idle.Send(Get("/hello")));
  EXPECT_EQ(idle.Read().status, 200);
  Client busy(port_);
  ASSERT_TRUE(busy.Send(Get("/slow")));
  {
    std::unique_lock<std::mutex> lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, std::chrono::seconds(10), [&] { return slow_entered_; }));
  }
  server_->Shutdown();
  server_->Shutdown();  // idempotent
  EXPECT_TRUE(idle.PeerClosed());
  EXPECT_FALSE(Client(port_).connected());  // no longer accepting
  {
    std::lock_guard<std::mutex> lock(mu_);
    slow_release_ = true;
    cv_.notify_all();
  }
  Reply r = busy.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "slow done");
  EXPECT_EQ(r.Header("connection"), "close");
  thread_.join();  // Run() returned
}

TEST_F(HttpServerTest, MetricsRecorded) {
  Start();
  Client c(port_);
  ASSERT_TRUE(c.Send(Get("/hello")));
  EXPECT_EQ(c.Read().status, 200);
  ASSERT_TRUE(c.Send(Get("/nope")));
  EXPECT_EQ(c.Read().status, 404);
  ASSERT_TRUE(c.Send(Get("/metrics")));
  Reply r = c.Read();
  EXPECT_THAT(
      r.body,
      HasSubstr("mlhub_http_requests_total{method=\"GET\",route=\"/hello\",status=\"200\"} 1"));
  EXPECT_THAT(
      r.body,
      HasSubstr("mlhub_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1"));
  EXPECT_THAT(
      r.body,
      HasSubstr("mlhub_http_request_duration_seconds_count{method=\"GET\",route=\"/hello\"} 1"));
}

TEST_F(HttpServerTest, BindFailureIsAStatus) {
  Start();
  HttpServerConfig config;
  config.port = port_;
  auto second = HttpServer::Create(config, router_, nullptr);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.status().message(),
              HasSubstr("cannot listen on 127.0.0.1:" + std::to_string(port_)));
  EXPECT_THAT(second.status().message(), HasSubstr("Address already in use"));
}

}  // namespace
}  // namespace mlhub::http
