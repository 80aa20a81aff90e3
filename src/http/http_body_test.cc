// SPDX-License-Identifier: Apache-2.0
// HttpServer: streamed request bodies (upload routes) and streamed responses (body sources).
#include <gtest/gtest.h>

#include <mutex>
#include <string>

#include "http/http_server_test_fixture.h"

namespace mlhub::http {
namespace {

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

}  // namespace
}  // namespace mlhub::http
