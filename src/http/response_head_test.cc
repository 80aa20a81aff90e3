// SPDX-License-Identifier: Apache-2.0
#include "http/response_head.h"

#include <gtest/gtest.h>

namespace mlhub::http {
namespace {

TEST(ResponseHeadTest, LengthKeepAlive) {
  Response r = Response::Json(200, "{}");
  r.headers = {{"X-A", "1"},
               {"content-length", "99"},
               {"Bad", "a\r\nInjected: 1"},
               {"Connection", "upgrade"}};
  std::string out;
  AppendResponseHead(&out, r, Framing::kLength, 2, /*keep_alive=*/true, 11);
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nServer: mlhub\r\nContent-Type: application/json\r\nX-A: 1\r\n"
            "Content-Length: 2\r\n\r\n");
}

TEST(ResponseHeadTest, ChunkedCloseAndHttp10) {
  Response r = Response::Text(404, "");
  std::string out;
  AppendResponseHead(&out, r, Framing::kChunked, 0, /*keep_alive=*/false, 11);
  EXPECT_EQ(out,
            "HTTP/1.1 404 Not Found\r\nServer: mlhub\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
  out.clear();
  r.status = 299;
  r.content_type.clear();
  AppendResponseHead(&out, r, Framing::kNone, 0, /*keep_alive=*/true, 10);
  EXPECT_EQ(out, "HTTP/1.1 299 Unknown\r\nServer: mlhub\r\nConnection: keep-alive\r\n\r\n");
}

TEST(ResponseHeadTest, ChunkSizeLine) {
  char buf[24];
  EXPECT_EQ(std::string(buf, FormatChunkSize(262144, buf)), "40000\r\n");
  EXPECT_EQ(std::string(buf, FormatChunkSize(10, buf)), "a\r\n");
}

TEST(ResponseHeadTest, Labels) {
  EXPECT_EQ(MethodLabel(Method::kDelete), "DELETE");
  EXPECT_EQ(MethodLabel(Method::kOther), "OTHER");
  EXPECT_TRUE(HasNoBody(204));
  EXPECT_TRUE(HasNoBody(304));
  EXPECT_FALSE(HasNoBody(200));
}

}  // namespace
}  // namespace mlhub::http
