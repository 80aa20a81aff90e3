// SPDX-License-Identifier: Apache-2.0
// The S3 client's configuration and URI parsing. Requests themselves are tested against a real
// S3 server (Ceph RGW) in the end-to-end suite.
#include "artifacts/s3/s3_client.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace mlhub::artifacts::s3 {
namespace {

TEST(S3UriTest, SplitsBucketAndPrefix) {
  auto root = ParseS3Uri("s3://mlflow-artifacts");
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  EXPECT_EQ(root->bucket, "mlflow-artifacts");
  EXPECT_EQ(root->prefix, "");
  auto nested = ParseS3Uri("S3://models/a/b/");
  ASSERT_TRUE(nested.ok()) << nested.status().ToString();
  EXPECT_EQ(nested->bucket, "models");
  EXPECT_EQ(nested->prefix, "a/b");
}

TEST(S3UriTest, RejectsWhatIsNotABucket) {
  for (const char* uri : {"s3://", "s3://ab", "s3://Upper", "s3://a_b/x", "gs://bucket/x",
                          "s3://bucket/x?versionId=1", "/local/path"}) {
    EXPECT_EQ(ParseS3Uri(uri).status().code(), StatusCode::kInvalidArgument) << uri;
  }
}

class S3EnvironmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : kNames) unsetenv(name);
  }
  void TearDown() override { SetUp(); }
  static constexpr const char* kNames[] = {
      "MLFLOW_S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
      "AWS_DEFAULT_REGION",     "AWS_REGION",        "MLFLOW_S3_IGNORE_TLS"};
};

TEST_F(S3EnvironmentTest, ReadsMlflowsVariables) {
  setenv("MLFLOW_S3_ENDPOINT_URL", "http://minio:9000/", 1);
  setenv("AWS_ACCESS_KEY_ID", "id", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
  setenv("AWS_SESSION_TOKEN", "token", 1);
  setenv("AWS_DEFAULT_REGION", "eu-west-1", 1);
  setenv("MLFLOW_S3_IGNORE_TLS", "true", 1);
  auto config = S3ConfigFromEnvironment();
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->endpoint, "http://minio:9000");
  EXPECT_TRUE(config->path_style);  // MinIO and RGW want path-style addressing
  EXPECT_EQ(config->region, "eu-west-1");
  EXPECT_EQ(config->credentials.access_key_id, "id");
  EXPECT_EQ(config->credentials.secret_access_key, "secret");
  EXPECT_EQ(config->credentials.session_token, "token");
  EXPECT_FALSE(config->verify_tls);
}

TEST_F(S3EnvironmentTest, DefaultsToAwsWithVirtualHostedAddressing) {
  setenv("AWS_REGION", "us-west-2", 1);
  setenv("AWS_ACCESS_KEY_ID", "id", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
  auto config = S3ConfigFromEnvironment();
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->endpoint, "");
  EXPECT_FALSE(config->path_style);
  EXPECT_EQ(config->region, "us-west-2");
  EXPECT_TRUE(config->verify_tls);
}

TEST_F(S3EnvironmentTest, RequiresCredentials) {
  setenv("AWS_ACCESS_KEY_ID", "id", 1);
  auto config = S3ConfigFromEnvironment();
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find("AWS_SECRET_ACCESS_KEY"), std::string::npos);
}

TEST_F(S3EnvironmentTest, RejectsAMalformedEndpoint) {
  setenv("AWS_ACCESS_KEY_ID", "id", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
  for (const char* endpoint : {"minio:9000", "ftp://minio", "http://", "http://minio?x=1"}) {
    setenv("MLFLOW_S3_ENDPOINT_URL", endpoint, 1);
    EXPECT_EQ(S3ConfigFromEnvironment().status().code(), StatusCode::kInvalidArgument) << endpoint;
  }
}

}  // namespace
}  // namespace mlhub::artifacts::s3
