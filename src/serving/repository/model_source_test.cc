// SPDX-License-Identifier: Apache-2.0
// ModelSource without a network: local folders and file URIs, the errors for URIs that need a
// tracking server, and the download machinery (staging folders, copying an ArtifactStore tree,
// which is the S3 path with a local store standing in for the bucket).
#include "serving/repository/model_source.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <sstream>

#include "artifacts/local/local_artifact_store.h"
#include "serving/repository/model_download.h"

namespace mlhub::serving {
namespace {

namespace fs = std::filesystem;

class ModelSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "model-source-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }
  void TearDown() override { fs::remove_all(root_); }

  static void Write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
  }
  static std::string Read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
  }
  // The names in `dir`, sorted.
  static std::vector<std::string> Names(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& entry : fs::directory_iterator(dir)) out.push_back(entry.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }

  fs::path root_;
};

TEST_F(ModelSourceTest, LocalFoldersAreUsedInPlace) {
  Write(root_ / "my model" / "MLmodel", "flavors: {}\n");
  auto source = NewModelSource({});
  auto fetched = source->Fetch((root_ / "my model").string());
  ASSERT_TRUE(fetched.ok()) << fetched.status().message();
  EXPECT_EQ(fetched->dir, root_ / "my model");
  EXPECT_EQ(fetched->version, "1");

  // The same folder as a file URI, percent-encoded.
  auto by_uri = source->Fetch("file://" + root_.string() + "/my%20model");
  ASSERT_TRUE(by_uri.ok()) << by_uri.status().message();
  EXPECT_EQ(by_uri->dir, root_ / "my model");
}

TEST_F(ModelSourceTest, MissingFoldersAreNotFoundAndNameTheUri) {
  auto source = NewModelSource({});
  const std::string uri = (root_ / "nothing").string();
  auto fetched = source->Fetch(uri);
  EXPECT_EQ(fetched.status().code(), StatusCode::kNotFound);
  EXPECT_NE(fetched.status().message().find(uri), std::string::npos);

  Write(root_ / "a-file", "x");  // a file is not a model folder
  EXPECT_EQ(source->Fetch((root_ / "a-file").string()).status().code(), StatusCode::kNotFound);
}

TEST_F(ModelSourceTest, MalformedAndUnsupportedUrisAreRefused) {
  auto source = NewModelSource({"http://127.0.0.1:1", root_});
  EXPECT_EQ(source->Fetch("models:/m").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(source->Fetch("runs://x/y").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(source->Fetch("s3://NO_SUCH bucket/x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(source->Fetch("gs://bucket/model").status().code(), StatusCode::kUnimplemented);
  EXPECT_TRUE(Names(root_).empty()) << "nothing may be downloaded for a refused URI";
}

TEST_F(ModelSourceTest, TrackingUrisWithoutATrackingServerAreAFailedPrecondition) {
  auto source = NewModelSource({"", root_});
  for (const char* uri : {"runs:/abc/model", "models:/m/1", "models:/m@champion",
                          "models:/m/latest", "mlflow-artifacts:/1/abc/artifacts/model"}) {
    auto fetched = source->Fetch(uri);
    EXPECT_EQ(fetched.status().code(), StatusCode::kFailedPrecondition) << uri;
    EXPECT_NE(fetched.status().message().find("--tracking-uri"), std::string::npos) << uri;
  }
}

TEST_F(ModelSourceTest, ATrackingUriThatIsNotHttpIsInvalid) {
  auto source = NewModelSource({"sqlite:///mlflow.db", root_});
  auto fetched = source->Fetch("runs:/abc/model");
  EXPECT_EQ(fetched.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(fetched.status().message().find("http(s)://"), std::string::npos);
}

TEST_F(ModelSourceTest, FindModelDirLooksOneLevelDownForASingleModel) {
  Write(root_ / "direct" / "MLmodel", "x");
  EXPECT_EQ(FindModelDir(root_ / "direct"), root_ / "direct");

  Write(root_ / "wrapped" / "inner" / "MLmodel", "x");
  EXPECT_EQ(FindModelDir(root_ / "wrapped"), root_ / "wrapped" / "inner");

  // Two candidates: ambiguous, so the folder itself (whose MLmodel is then reported missing).
  Write(root_ / "two" / "a" / "MLmodel", "x");
  Write(root_ / "two" / "b" / "MLmodel", "x");
  EXPECT_EQ(FindModelDir(root_ / "two"), root_ / "two");
}

TEST_F(ModelSourceTest, StagingDirsVanishUnlessCommitted) {
  fs::path abandoned;
  {
    auto staging = StagingDir::Create(root_ / "cache");  // created on demand
    ASSERT_TRUE(staging.ok()) << staging.status().message();
    abandoned = staging->path();
    EXPECT_EQ(abandoned.parent_path(), root_ / "cache");
    EXPECT_EQ(abandoned.filename().string().rfind(".download-", 0), 0u);
    Write(abandoned / "half" / "written.bin", "partial");
  }
  EXPECT_FALSE(fs::exists(abandoned));

  auto staging = StagingDir::Create(root_ / "cache");
  ASSERT_TRUE(staging.ok());
  Write(staging->path() / "MLmodel", "x");
  auto final_dir = staging->Commit("models:/my model@champion");
  ASSERT_TRUE(final_dir.ok()) << final_dir.status().message();
  EXPECT_EQ(final_dir->parent_path(), root_ / "cache");
  EXPECT_EQ(final_dir->filename().string().rfind("models_my_model_champion-", 0), 0u) << *final_dir;
  EXPECT_EQ(Read(*final_dir / "MLmodel"), "x");
  EXPECT_EQ(Names(root_ / "cache").size(), 1u);
}

TEST_F(ModelSourceTest, DownloadsAWholeStoreTree) {
  auto store = artifacts::LocalArtifactStore::Create((root_ / "bucket").string());
  ASSERT_TRUE(store.ok());
  Write(root_ / "bucket" / "MLmodel", "flavors: {}\n");
  Write(root_ / "bucket" / "model.xgb", std::string(3 << 20, 'w'));  // more than one read buffer
  Write(root_ / "bucket" / "sub" / "deeper" / "weights.bin", "abc");
  Write(root_ / "bucket" / "empty.txt", "");
  fs::create_directories(root_ / "dest");

  ASSERT_TRUE(DownloadStoreTree(**store, "bucket", root_ / "dest").ok());
  EXPECT_EQ(Names(root_ / "dest"),
            (std::vector<std::string>{"MLmodel", "empty.txt", "model.xgb", "sub"}));
  EXPECT_EQ(Read(root_ / "dest" / "model.xgb"), std::string(3 << 20, 'w'));
  EXPECT_EQ(Read(root_ / "dest" / "sub" / "deeper" / "weights.bin"), "abc");
  EXPECT_EQ(fs::file_size(root_ / "dest" / "empty.txt"), 0u);
}

TEST_F(ModelSourceTest, AnEmptyStoreIsNotFoundAndLimitsStopRunawayTrees) {
  auto store = artifacts::LocalArtifactStore::Create((root_ / "bucket").string());
  ASSERT_TRUE(store.ok());
  fs::create_directories(root_ / "dest");
  fs::create_directories(root_ / "bucket" / "only" / "folders");
  EXPECT_EQ(DownloadStoreTree(**store, "bucket", root_ / "dest").code(), StatusCode::kNotFound);

  for (int i = 0; i < 5; ++i) Write(root_ / "bucket" / ("f" + std::to_string(i)), "x");
  fs::remove_all(root_ / "dest");
  fs::create_directories(root_ / "dest");
  DownloadLimits limits;
  limits.max_files = 3;
  EXPECT_EQ(DownloadStoreTree(**store, "bucket", root_ / "dest", limits).code(),
            StatusCode::kResourceExhausted);
  limits.max_files = 100;
  limits.max_depth = 1;  // only/folders is two levels down
  fs::remove_all(root_ / "dest");
  fs::create_directories(root_ / "dest");
  EXPECT_EQ(DownloadStoreTree(**store, "bucket", root_ / "dest", limits).code(),
            StatusCode::kResourceExhausted);
}

TEST_F(ModelSourceTest, ATemporaryCacheIsRemovedWithTheSource) {
  // S3 without credentials fails before any download, so make the source create its temp cache
  // through a real download instead: a proxy URI against a port where nothing listens.
  ::setenv("TMPDIR", root_.c_str(), 1);
  {
    ModelSourceConfig config;
    config.tracking_uri = "http://127.0.0.1:1";
    config.http_attempts = 1;
    auto source = NewModelSource(config);
    auto fetched = source->Fetch("mlflow-artifacts:/1/abc/artifacts/model");
    EXPECT_EQ(fetched.status().code(), StatusCode::kUnavailable) << fetched.status().message();
    ASSERT_EQ(Names(root_).size(), 1u);
    const fs::path cache = root_ / Names(root_)[0];
    EXPECT_EQ(Names(root_)[0].rfind("mlhub-models-", 0), 0u);
    EXPECT_TRUE(Names(cache).empty()) << "the failed download left files behind";
  }
  ::unsetenv("TMPDIR");
  EXPECT_TRUE(Names(root_).empty());
}

}  // namespace
}  // namespace mlhub::serving
