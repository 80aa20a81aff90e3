// SPDX-License-Identifier: Apache-2.0
// HttpServer: requests, keep-alive, limits, errors, timeouts, shutdown and metrics.
#include "http/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "http/http_server_test_fixture.h"

namespace mlhub::http {
namespace {

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
