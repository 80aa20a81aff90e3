// SPDX-License-Identifier: Apache-2.0
#include "serving/repository/model_uri.h"

#include <gtest/gtest.h>

namespace mlhub::serving {
namespace {

TEST(ModelUriTest, PlainPathsAndFileUrisAreLocal) {
  auto plain = ParseModelUri("./models/reg");
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  EXPECT_EQ(plain->kind, ModelUri::Kind::kLocal);
  EXPECT_EQ(plain->local_path, "./models/reg");

  // A one-letter "scheme" is a drive letter, not a scheme (common/uri.h).
  auto drive = ParseModelUri("C:/models");
  ASSERT_TRUE(drive.ok());
  EXPECT_EQ(drive->kind, ModelUri::Kind::kLocal);

  // File URIs: common/uri_test.cc has their grammar.
  auto file = ParseModelUri("FILE:///srv/my%20model");
  ASSERT_TRUE(file.ok()) << file.status().message();
  EXPECT_EQ(file->kind, ModelUri::Kind::kLocal);
  EXPECT_EQ(file->local_path, "/srv/my model");
  EXPECT_EQ(ParseModelUri("file://otherhost/x").status().code(), StatusCode::kInvalidArgument);
}

TEST(ModelUriTest, S3UrisGoToTheArtifactsModuleAsWritten) {
  auto s3 = ParseModelUri("s3://bucket/models/reg");
  ASSERT_TRUE(s3.ok());
  EXPECT_EQ(s3->kind, ModelUri::Kind::kS3);
  EXPECT_EQ(s3->uri, "s3://bucket/models/reg");
}

// runs:/ and models:/ URIs: common/model_uris_test.cc has their grammar; here, what ParseModelUri
// adds to it.
TEST(ModelUriTest, ParsesRunsUris) {
  auto run = ParseModelUri("RUNS:/0123abcd/model/");
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(run->kind, ModelUri::Kind::kRuns);
  EXPECT_EQ(run->run_id, "0123abcd");
  EXPECT_EQ(run->path, "model");

  auto root = ParseModelUri("runs:/abc");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->run_id, "abc");
  EXPECT_EQ(root->path, "");
}

TEST(ModelUriTest, RejectsMalformedRunsUrisAndPathsOutsideTheRun) {
  auto improper = ParseModelUri("runs://profile/abc/model");
  EXPECT_EQ(improper.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(improper.status().message().find("Not a proper runs:/ URI"), std::string::npos);
  for (const char* uri : {"runs:/abc/../other-run/model", "runs:/abc/a//b"}) {
    auto parsed = ParseModelUri(uri);
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << uri;
    EXPECT_NE(parsed.status().message().find("invalid artifact path in"), std::string::npos) << uri;
  }
}

TEST(ModelUriTest, ModelsUrisCarryTheParsedReference) {
  auto version = ParseModelUri("models:/my model/012");
  ASSERT_TRUE(version.ok()) << version.status().message();
  EXPECT_EQ(version->kind, ModelUri::Kind::kModels);
  EXPECT_EQ(version->models.kind, ModelsUri::Kind::kVersion);
  EXPECT_EQ(version->models.name, "my model");
  EXPECT_EQ(version->models.version, 12);

  auto improper = ParseModelUri("models://profile/m/1");
  EXPECT_EQ(improper.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(improper.status().message().find("Not a proper models:/ URI"), std::string::npos);
}

TEST(ModelUriTest, ParsesProxiedArtifactLocations) {
  auto plain = ParseModelUri("mlflow-artifacts:/1/abc/artifacts/model");
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  EXPECT_EQ(plain->kind, ModelUri::Kind::kMlflowArtifacts);
  EXPECT_EQ(plain->authority, "");
  EXPECT_EQ(plain->path, "1/abc/artifacts/model");

  auto hosted = ParseModelUri("mlflow-artifacts://tracking:5000/1/my%20dir");
  ASSERT_TRUE(hosted.ok()) << hosted.status().message();
  EXPECT_EQ(hosted->authority, "tracking:5000");
  EXPECT_EQ(hosted->path, "1/my dir");

  for (const char* uri : {"mlflow-artifacts:/1/../../etc", "mlflow-artifacts:/x?y",
                          "mlflow-artifacts://user@host/1/x"}) {
    EXPECT_EQ(ParseModelUri(uri).status().code(), StatusCode::kInvalidArgument) << uri;
  }
}

TEST(ModelUriTest, UnknownSchemesAreUnimplementedAndEmptyIsInvalid) {
  for (const char* uri : {"gs://bucket/model", "http://host/model", "hdfs:/x"}) {
    auto parsed = ParseModelUri(uri);
    EXPECT_EQ(parsed.status().code(), StatusCode::kUnimplemented) << uri;
    EXPECT_NE(parsed.status().message().find("not supported"), std::string::npos) << uri;
  }
  EXPECT_EQ(ParseModelUri("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseModelUri("  ").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseModelUri(std::string_view("a\0b", 3)).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(ModelUriTest, JoinUriAddsExactlyOneSlash) {
  EXPECT_EQ(JoinUri("mlflow-artifacts:/1/r/artifacts", "model"),
            "mlflow-artifacts:/1/r/artifacts/model");
  EXPECT_EQ(JoinUri("s3://b/p/", "model"), "s3://b/p/model");
  EXPECT_EQ(JoinUri("s3://b/p", "/model"), "s3://b/p/model");
  EXPECT_EQ(JoinUri("s3://b/p", ""), "s3://b/p");
}

}  // namespace
}  // namespace mlhub::serving
