// SPDX-License-Identifier: Apache-2.0
#include "common/uri.h"

#include <gtest/gtest.h>

namespace mlhub {
namespace {

TEST(UriSchemeTest, LowerCasedSchemeOfSchemeColonSlash) {
  EXPECT_EQ(UriScheme("s3://bucket/x"), "s3");
  EXPECT_EQ(UriScheme("FILE:///x"), "file");
  EXPECT_EQ(UriScheme("mlflow-artifacts:/1/x"), "mlflow-artifacts");
  EXPECT_EQ(UriScheme("postgresql+psycopg2://h/db"), "postgresql+psycopg2");
  EXPECT_EQ(UriScheme("hdfs:/x"), "hdfs");
}

TEST(UriSchemeTest, PlainPathsHaveNone) {
  // A one-letter "scheme" is a Windows drive letter.
  for (const char* uri : {"", "./models/reg", "/srv/x", "C:/models", "ab:", "ab:x", "1a:/x",
                          "a b:/x", "-a:/x", "dir/s3://x"}) {
    EXPECT_EQ(UriScheme(uri), "") << uri;
  }
}

TEST(LocalPathFromFileUriTest, DecodesThePathOnce) {
  for (const char* uri :
       {"file:///srv/my%20model", "file:/srv/my%20model", "file://localhost/srv/my%20model",
        "file://LocalHost/srv/my%20model", "FILE:///srv/my%20model"}) {
    auto path = LocalPathFromFileUri(uri);
    ASSERT_TRUE(path.ok()) << uri << ": " << path.status().message();
    EXPECT_EQ(*path, "/srv/my model") << uri;
  }
  EXPECT_EQ(*LocalPathFromFileUri("file:///a%252e"), "/a%2e");
}

TEST(LocalPathFromFileUriTest, RejectsMalformedFileUris) {
  for (const char* uri : {"file://otherhost/x", "file://", "file:/x?y", "file:///x#f",
                          "file:///bad%zzescape", "file:///nul%00", "file:relative"}) {
    auto path = LocalPathFromFileUri(uri);
    EXPECT_EQ(path.status().code(), StatusCode::kInvalidArgument) << uri;
    EXPECT_EQ(path.status().message(),
              "invalid file URI '" + std::string(uri) + "' (expected file:///absolute/path)");
  }
}

}  // namespace
}  // namespace mlhub
