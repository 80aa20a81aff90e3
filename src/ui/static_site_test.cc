// SPDX-License-Identifier: Apache-2.0
#include "ui/static_site.h"

#include <gtest/gtest.h>

#include <fstream>

namespace mlhub::ui {
namespace {

class UiRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto site = std::make_shared<StaticSite>();
    site->Add("/index.html", "<!doctype html><div id=app></div>");
    site->Add("/assets/index-3f2a.js", "console.log(1)");
    site->Add("/favicon.svg", "<svg/>");
    AddUiRoutes(router_, site);
  }

  http::Response Get(std::string path, std::string if_none_match = "") {
    http::Request request;
    request.path = path;
    if (!if_none_match.empty()) request.headers.emplace_back("if-none-match", if_none_match);
    std::string_view suffix;
    const http::Router::Route* route = router_.Match(http::Method::kGet, path, &suffix);
    EXPECT_NE(route, nullptr) << path;
    return route->handler(request);
  }

  static std::string HeaderOf(const http::Response& r, std::string_view name) {
    for (const auto& [key, value] : r.headers) {
      if (key == name) return value;
    }
    return "";
  }

  http::Router router_;
};

TEST_F(UiRoutesTest, FilesWithTypesAndCaching) {
  http::Response index = Get("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(HeaderOf(index, "Cache-Control"), "no-cache");
  http::Response js = Get("/assets/index-3f2a.js");
  EXPECT_EQ(js.body, "console.log(1)");
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(HeaderOf(js, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(Get("/favicon.svg").content_type, "image/svg+xml");
}

TEST_F(UiRoutesTest, AppRoutesAnswerIndexAndMissingFilesAre404) {
  for (const char* deep_link : {"/experiments/3", "/runs/abc/charts", "/models/churn%20v2",
                                "/experiments/3/traces", "/traces/tr-1", "/logged-models/m-1"}) {
    http::Response r = Get(deep_link);
    EXPECT_EQ(r.status, 200) << deep_link;
    EXPECT_NE(r.body.find("id=app"), std::string::npos) << deep_link;
  }
  EXPECT_EQ(Get("/assets/gone-1234.js").status, 404);
  EXPECT_EQ(Get("/robots.txt").status, 404);
  EXPECT_EQ(Get("/no/such/page").status, 404);  // not one of the app's pages
  // API paths are never the UI's, whatever the method routes say.
  EXPECT_EQ(Get("/api/2.0/mlflow/no-such-route").status, 404);
  EXPECT_EQ(Get("/ajax-api/2.0/mlflow/experiments/nope").status, 404);
}

TEST_F(UiRoutesTest, EtagRevalidation) {
  http::Response first = Get("/");
  std::string etag = HeaderOf(first, "ETag");
  ASSERT_EQ(etag.size(), 18u);  // a quoted 64-bit hash
  http::Response again = Get("/", etag);
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(Get("/", "\"other\"").status, 200);
}

TEST(StaticSite, FromDirectoryNeedsAnIndex) {
  char pattern[] = "/tmp/mlhub-ui-test-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  std::filesystem::path dir = pattern;
  EXPECT_FALSE(StaticSite::FromDirectory(dir).ok());
  std::filesystem::create_directories(dir / "assets");
  std::ofstream(dir / "index.html") << "<html>";
  std::ofstream(dir / "assets" / "a.css") << "body{}";
  auto site = StaticSite::FromDirectory(dir);
  ASSERT_TRUE(site.ok()) << site.status().message();
  ASSERT_NE(site->Find("/assets/a.css"), nullptr);
  EXPECT_EQ(site->Find("/assets/a.css")->body, "body{}");
  EXPECT_EQ(site->Find("/index.html")->body, "<html>");
  std::filesystem::remove_all(dir);
}

TEST(StaticSite, WithoutFilesSaysSo) {
  http::Router router;
  AddUiRoutes(router, std::make_shared<StaticSite>());
  std::string_view suffix;
  http::Request request;
  request.path = "/";
  http::Response r = router.Match(http::Method::kGet, "/", &suffix)->handler(request);
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("without its web UI"), std::string::npos);
}

}  // namespace
}  // namespace mlhub::ui
