// SPDX-License-Identifier: Apache-2.0
// runs:/ and models:/ URIs through ModelSource against a fake tracking server on loopback
// (fake_tracking_server.h): resolution as MLflow's client does it, downloads through the artifact
// proxy, MLflow's error bodies mapped to Status codes, retries, and credentials.
#include "serving/repository/tracking_client.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <fstream>
#include <sstream>

#include "serving/repository/fake_tracking_server.h"
#include "serving/repository/model_source.h"

namespace mlhub::serving {
namespace {

namespace fs = std::filesystem;
using testing::FakeHttpServer;
using testing::FakeReply;
using testing::FakeRequest;
using testing::FakeTracking;

constexpr char kRun[] = "0a1b2c3d";
constexpr char kRunRoot[] = "1/0a1b2c3d/artifacts";

class TrackingClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "tracking-client-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    ::unsetenv("MLFLOW_TRACKING_TOKEN");
    ::unsetenv("MLFLOW_TRACKING_USERNAME");
    ::unsetenv("MLFLOW_TRACKING_PASSWORD");
    world_.run_artifact_uris[kRun] = std::string("mlflow-artifacts:/") + kRunRoot;
    const std::string model = std::string(kRunRoot) + "/model/";
    world_.files[model + "MLmodel"] = "flavors:\n  xgboost: {data: model.xgb}\n";
    world_.files[model + "model.xgb"] = std::string(200'000, '\x01') + "end";
    world_.files[model + "data/nested file.bin"] = "nested";
    world_.files[std::string(kRunRoot) + "/other/x.txt"] = "not part of the model";
  }
  void TearDown() override { fs::remove_all(root_); }

  std::unique_ptr<ModelSource> Source(const std::string& tracking_uri) {
    ModelSourceConfig config;
    config.tracking_uri = tracking_uri;
    config.cache_dir = root_ / "cache";
    config.http_attempts = 3;
    config.http_first_backoff = std::chrono::milliseconds(10);
    return NewModelSource(config);
  }
  static std::string Read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
  }
  // Entries in the cache folder (downloads and leftovers alike).
  size_t CacheEntries() const {
    std::error_code ec;
    size_t n = 0;
    for (auto it = fs::directory_iterator(root_ / "cache", ec); it != fs::directory_iterator();
         ++it) {
      ++n;
    }
    return n;
  }
  void ExpectTheModel(const fs::path& dir) {
    EXPECT_EQ(Read(dir / "MLmodel"), world_.files[std::string(kRunRoot) + "/model/MLmodel"]);
    EXPECT_EQ(Read(dir / "model.xgb"), world_.files[std::string(kRunRoot) + "/model/model.xgb"]);
    EXPECT_EQ(Read(dir / "data" / "nested file.bin"), "nested");
    EXPECT_FALSE(fs::exists(dir / "x.txt"));
  }

  fs::path root_;
  FakeTracking world_;
  FakeHttpServer server_{[this](const FakeRequest& r) { return world_.Handle(r); }};
};

TEST_F(TrackingClientTest, RunsUrisDownloadTheRunsArtifactsThroughTheProxy) {
  auto fetched = Source(server_.url() + "/")->Fetch(std::string("runs:/") + kRun + "/model");
  ASSERT_TRUE(fetched.ok()) << fetched.status().message();
  EXPECT_EQ(fetched->version, "1");
  EXPECT_EQ(fetched->dir.parent_path(), root_ / "cache");
  ExpectTheModel(fetched->dir);
  EXPECT_EQ(CacheEntries(), 1u) << "only the finished folder may remain";
  const auto requests = server_.requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(requests[0].path, "/api/2.0/mlflow/runs/get");
  EXPECT_EQ(requests[0].query.at("run_id"), kRun);
}

TEST_F(TrackingClientTest, ModelsUrisResolveTheirVersionThenTheDownloadUri) {
  const std::string source = std::string("runs:/") + kRun + "/model";
  world_.aliases["reg model@champion"] = "7";
  for (const char* v : {"3", "4", "5", "7"})
    world_.download_uris[std::string("reg model/") + v] = source;
  world_.stage_versions["reg model/Production"] = {"2", "5", "3"};
  world_.stage_versions["reg model/*"] = {"4", "1"};
  auto tracking = Source(server_.url());
  const std::pair<const char*, const char*> cases[] = {
      {"models:/reg model@champion", "7"},
      {"models:/reg model/3", "3"},
      {"models:/reg model/Production", "5"},
      {"models:/reg model/latest", "4"},
  };
  for (const auto& [uri, version] : cases) {
    auto fetched = tracking->Fetch(uri);
    ASSERT_TRUE(fetched.ok()) << uri << ": " << fetched.status().message();
    EXPECT_EQ(fetched->version, version) << uri;
    ExpectTheModel(fetched->dir);
    EXPECT_NE(fetched->dir.filename().string().find(std::string("-v") + version),
              std::string::npos);
  }
  // Stage and latest go through get-latest-versions; only the stage query names a stage.
  std::vector<std::string> latest_bodies;
  for (const auto& r : server_.requests()) {
    if (r.path.ends_with("get-latest-versions")) latest_bodies.push_back(r.body);
  }
  EXPECT_EQ(latest_bodies,
            (std::vector<std::string>{R"({"name":"reg model","stages":["Production"]})",
                                      R"({"name":"reg model"})"}));
}

TEST_F(TrackingClientTest, WhatDoesNotExistIsNotFoundWithTheServersMessage) {
  world_.aliases["m@champion"] = "1";
  world_.download_uris["m/1"] = "runs:/" + std::string(kRun) + "/no-such-dir";
  auto tracking = Source(server_.url());
  const std::pair<const char*, const char*> cases[] = {
      {"runs:/ffff/model", "Run 'ffff' not found"},
      {"models:/m@challenger", "Registered model alias challenger not found."},
      {"models:/m/9", "Model Version (name=m, version=9) not found"},
      {"models:/m/Staging", "has no version in stage 'Staging'"},
      {"models:/nothing/latest", "has no versions"},
      {"models:/m@champion",
       "no model files under mlflow-artifacts:/1/0a1b2c3d/artifacts/no-such-dir"},
  };
  for (const auto& [uri, text] : cases) {
    auto fetched = tracking->Fetch(uri);
    EXPECT_EQ(fetched.status().code(), StatusCode::kNotFound) << uri;
    EXPECT_NE(fetched.status().message().find(text), std::string::npos)
        << uri << ": " << fetched.status().message();
    EXPECT_NE(fetched.status().message().find(uri), std::string::npos) << "names the URI";
  }
  EXPECT_EQ(CacheEntries(), 0u);
}

TEST_F(TrackingClientTest, ABadRequestIsInvalidArgument) {
  auto fetched = Source(server_.url())->Fetch("models:/m/Bogus");
  EXPECT_EQ(fetched.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(fetched.status().message().find("INVALID_PARAMETER_VALUE"), std::string::npos);
}

TEST_F(TrackingClientTest, ServerErrorsAreRetriedThenUnavailable) {
  std::atomic<int> failures_left{2};
  FakeHttpServer flaky([&](const FakeRequest& r) {
    if (failures_left-- > 0) return FakeReply{503, "busy"};
    return world_.Handle(r);
  });
  auto fetched = Source(flaky.url())->Fetch(std::string("runs:/") + kRun + "/model");
  ASSERT_TRUE(fetched.ok()) << fetched.status().message();
  ExpectTheModel(fetched->dir);

  FakeHttpServer down([](const FakeRequest&) {
    return FakeReply{500, "{\"error_code\":\"INTERNAL_ERROR\",\"message\":\"db gone\"}"};
  });
  auto failed = Source(down.url())->Fetch("models:/m@champion");
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(failed.status().message().find("db gone"), std::string::npos);
  EXPECT_NE(failed.status().message().find("after 3 attempts"), std::string::npos);
  EXPECT_EQ(down.requests().size(), 3u);
}

TEST_F(TrackingClientTest, AnUnreachableServerIsUnavailable) {
  int port;
  {
    FakeHttpServer gone([](const FakeRequest&) { return FakeReply{}; });
    port = gone.port();
  }  // closed: nothing listens there now
  auto fetched = Source("http://127.0.0.1:" + std::to_string(port))->Fetch("models:/m/1");
  EXPECT_EQ(fetched.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(fetched.status().message().find("cannot reach the tracking server"), std::string::npos);
  EXPECT_NE(fetched.status().message().find("after 3 attempts"), std::string::npos);
}

TEST_F(TrackingClientTest, SendsMlflowsCredentials) {
  ::setenv("MLFLOW_TRACKING_TOKEN", "t0ken", 1);
  ASSERT_TRUE(Source(server_.url())->Fetch(std::string("runs:/") + kRun + "/model").ok());
  for (const auto& r : server_.requests()) {
    EXPECT_EQ(r.headers.count("authorization") ? r.headers.at("authorization") : "", "Bearer t0ken")
        << r.path;
  }
  ::unsetenv("MLFLOW_TRACKING_TOKEN");
  ::setenv("MLFLOW_TRACKING_USERNAME", "alice", 1);
  ::setenv("MLFLOW_TRACKING_PASSWORD", "s3cret", 1);
  FakeHttpServer basic([this](const FakeRequest& r) { return world_.Handle(r); });
  ASSERT_TRUE(Source(basic.url())->Fetch(std::string("runs:/") + kRun + "/model").ok());
  ASSERT_FALSE(basic.requests().empty());
  for (const auto& r : basic.requests()) {
    EXPECT_EQ(r.headers.at("authorization"), "Basic YWxpY2U6czNjcmV0") << r.path;  // alice:s3cret
  }
  ::unsetenv("MLFLOW_TRACKING_USERNAME");
  ::unsetenv("MLFLOW_TRACKING_PASSWORD");
}

TEST_F(TrackingClientTest, FailedDownloadsLeaveNothingBehind) {
  auto tracking = Source(server_.url());
  const std::string uri = std::string("runs:/") + kRun + "/model";
  // A listed file that cannot be fetched.
  world_.listed_extra[std::string(kRunRoot) + "/model"] = {"vanished.bin"};
  EXPECT_EQ(tracking->Fetch(uri).status().code(), StatusCode::kNotFound);
  // A name that would leave the download folder.
  world_.listed_extra[std::string(kRunRoot) + "/model"] = {".."};
  EXPECT_EQ(tracking->Fetch(uri).status().code(), StatusCode::kDataLoss);
  // Fewer bytes than the listing promised.
  world_.listed_extra.clear();
  world_.listed_sizes[std::string(kRunRoot) + "/model/model.xgb"] = 999'999;
  auto short_read = tracking->Fetch(uri);
  EXPECT_EQ(short_read.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(short_read.status().message().find("999999"), std::string::npos);
  EXPECT_EQ(CacheEntries(), 0u);
}

TEST_F(TrackingClientTest, LocalArtifactLocationsAreUsedInPlace) {
  const fs::path local = root_ / "mlruns" / "1" / "r2" / "artifacts";
  fs::create_directories(local / "model");
  std::ofstream(local / "model" / "MLmodel") << "flavors: {}\n";
  world_.run_artifact_uris["r2"] = local.string();
  world_.run_artifact_uris["r3"] = "file://" + local.string();
  auto tracking = Source(server_.url());
  for (const char* uri : {"runs:/r2/model", "runs:/r3/model"}) {
    auto fetched = tracking->Fetch(uri);
    ASSERT_TRUE(fetched.ok()) << uri << ": " << fetched.status().message();
    EXPECT_EQ(fetched->dir, local / "model") << uri;
  }
  EXPECT_EQ(tracking->Fetch("runs:/r2/missing").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(CacheEntries(), 0u) << "nothing is copied";
}

TEST_F(TrackingClientTest, ProxyLocationsWithAHostGoToThatHost) {
  // The tracking server names another artifact server, as mlflow-artifacts://host:port/path.
  FakeTracking names_other;
  FakeHttpServer tracking([&](const FakeRequest& r) { return names_other.Handle(r); });
  names_other.run_artifact_uris[kRun] =
      "mlflow-artifacts://127.0.0.1:" + std::to_string(server_.port()) + "/" + kRunRoot;
  auto fetched = Source(tracking.url())->Fetch(std::string("runs:/") + kRun + "/model");
  ASSERT_TRUE(fetched.ok()) << fetched.status().message();
  ExpectTheModel(fetched->dir);
  EXPECT_EQ(tracking.requests().size(), 1u);  // runs/get only
}

TEST(TrackingUriTest, AcceptsOnlyHttpServers) {
  EXPECT_EQ(*NormalizeTrackingUri("http://host:5000//"), "http://host:5000");
  EXPECT_EQ(*NormalizeTrackingUri("HTTPS://host/prefix"), "HTTPS://host/prefix");
  for (const char* uri : {"", "http://", "http:///x", "file:///mlruns", "databricks",
                          "http://host/?x=1", "sqlite:///db"}) {
    EXPECT_EQ(NormalizeTrackingUri(uri).status().code(), StatusCode::kInvalidArgument) << uri;
  }
}

}  // namespace
}  // namespace mlhub::serving
