// SPDX-License-Identifier: Apache-2.0
#include "http/router.h"

#include <gtest/gtest.h>

namespace mlhub::http {
namespace {

Handler Tag(const std::string& tag) {
  return [tag](Request&) { return Response::Text(200, tag); };
}

std::string Call(const Router::Route* route) {
  if (route == nullptr) return "<none>";
  Request req;
  return route->handler(req).body;
}

TEST(RouterTest, ExactBeatsPrefix) {
  Router r;
  r.AddPrefix(Method::kGet, "/api/", Tag("prefix"));
  r.Add(Method::kGet, "/api/x", Tag("exact"));
  std::string_view suffix = "unset";
  EXPECT_EQ(Call(r.Match(Method::kGet, "/api/x", &suffix)), "exact");
  EXPECT_EQ(suffix, "");
  EXPECT_EQ(Call(r.Match(Method::kGet, "/api/y/z", &suffix)), "prefix");
  EXPECT_EQ(suffix, "y/z");
}

TEST(RouterTest, LongestPrefixWins) {
  Router r;
  r.AddPrefix(Method::kGet, "/a/", Tag("short"));
  r.AddPrefix(Method::kGet, "/a/b/c/", Tag("long"));
  r.AddPrefix(Method::kGet, "/a/b/", Tag("mid"));
  std::string_view suffix;
  EXPECT_EQ(Call(r.Match(Method::kGet, "/a/b/c/d", &suffix)), "long");
  EXPECT_EQ(suffix, "d");
  EXPECT_EQ(Call(r.Match(Method::kGet, "/a/b/x", &suffix)), "mid");
  EXPECT_EQ(suffix, "x");
  EXPECT_EQ(Call(r.Match(Method::kGet, "/a/", &suffix)), "short");
  EXPECT_EQ(suffix, "");
  EXPECT_EQ(r.Match(Method::kGet, "/b", &suffix), nullptr);
}

TEST(RouterTest, MethodMustMatch) {
  Router r;
  r.Add(Method::kPost, "/x", Tag("post"));
  r.Add(Method::kGet, "/x", Tag("get"));
  r.AddPrefix(Method::kPut, "/p/", Tag("put"));
  EXPECT_EQ(Call(r.Match(Method::kPost, "/x", nullptr)), "post");
  EXPECT_EQ(Call(r.Match(Method::kGet, "/x", nullptr)), "get");
  EXPECT_EQ(r.Match(Method::kDelete, "/x", nullptr), nullptr);
  EXPECT_EQ(r.Match(Method::kGet, "/p/q", nullptr), nullptr);
}

TEST(RouterTest, MethodMismatchFallsBackToShorterPrefix) {
  Router r;
  r.AddPrefix(Method::kGet, "/a/", Tag("get-short"));
  r.AddPrefix(Method::kPut, "/a/b/", Tag("put-long"));
  EXPECT_EQ(Call(r.Match(Method::kGet, "/a/b/c", nullptr)), "get-short");
}

TEST(RouterTest, HeadFallsBackToGet) {
  Router r;
  r.Add(Method::kGet, "/g", Tag("get"));
  r.Add(Method::kGet, "/both", Tag("get"));
  r.Add(Method::kHead, "/both", Tag("head"));
  r.AddPrefix(Method::kGet, "/files/", Tag("files"));
  std::string_view suffix;
  EXPECT_EQ(Call(r.Match(Method::kHead, "/g", nullptr)), "get");
  EXPECT_EQ(Call(r.Match(Method::kHead, "/both", nullptr)), "head");
  EXPECT_EQ(Call(r.Match(Method::kHead, "/files/a/b", &suffix)), "files");
  EXPECT_EQ(suffix, "a/b");
  EXPECT_EQ(r.Match(Method::kPost, "/g", nullptr), nullptr);
}

TEST(RouterTest, UploadRoutesArePrefixes) {
  Router r;
  r.AddUpload(
      Method::kPut, "/up/",
      [](Request&) -> std::variant<Response, std::unique_ptr<BodySink>> {
        return Response::Text(201, "x");
      },
      [](const Status& s) { return Response::Text(500, s.message()); });
  std::string_view suffix;
  const Router::Route* route = r.Match(Method::kPut, "/up/dir/file.bin", &suffix);
  ASSERT_NE(route, nullptr);
  EXPECT_TRUE(route->upload);
  EXPECT_FALSE(route->handler);
  EXPECT_TRUE(route->is_prefix);
  EXPECT_EQ(route->pattern, "/up/");
  EXPECT_EQ(suffix, "dir/file.bin");
}

TEST(RouterTest, NotFoundDefaultAndOverride) {
  Router r;
  Request req;
  Response resp = r.not_found()(req);
  EXPECT_EQ(resp.status, 404);
  EXPECT_EQ(resp.body, "Not Found");
  EXPECT_EQ(resp.content_type, "text/plain; charset=utf-8");
  r.SetNotFound([](Request&) { return Response::Json(404, "{}"); });
  EXPECT_EQ(r.not_found()(req).body, "{}");
}

}  // namespace
}  // namespace mlhub::http
