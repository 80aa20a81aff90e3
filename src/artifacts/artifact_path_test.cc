// SPDX-License-Identifier: Apache-2.0
#include "artifacts/artifact_path.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace mlhub::artifacts {
namespace {

struct Case {
  std::string_view input;
  std::string_view expected;  // ignored for rejections
};

// Inputs as they appear in a URL path: percent-encoded.
TEST(NormalizeArtifactPathTest, RejectsTraversalAndEncodingTricks) {
  const std::string_view kRejected[] = {
      "..",
      "../x",
      "a/..",
      "a/../b",
      "a/b/../../..",
      "./..",
      "%2e%2e",
      "%2E%2E",
      "%2e%2e%2fetc%2fpasswd",
      "%2E%2E%2F",
      "a/%2e%2e/b",
      ".%2e/x",
      "%2e./x",
      "a%2f..%2fb",
      "/etc/passwd",
      "/",
      "//",
      "//x",
      "%2Fetc",
      "%2fetc/passwd",
      "a\\b",
      "..\\x",
      "%5c..%5cx",
      "a%00b",
      "a%00",
      "%00",
      "a%0ab",
      "a%0d%0ab",
      "a%09b",
      "a%7fb",
      "a%23b",
      "%252e%252e",
      "%252e%252e%252fetc",
      "a/%2541",
      "C:",
      "C:/x",
      "c:x",
      "C%3A/x",
      "C:%5cx",
      "./C:/x",
      "a//b",
      "a///b",
      "a//",
      "a/%2f/b",
      "%",
      "a%",
      "a%2",
      "a%zz",
      "%g0",
      "%ff",
      "a%c3",
      "%c0%ae%c0%ae",  // overlong '.' in UTF-8
      "%ed%a0%80",     // a surrogate
      "%f4%90%80%80",  // above U+10FFFF
  };
  for (std::string_view input : kRejected) {
    StatusOr<std::string> result = NormalizeArtifactPath(input);
    EXPECT_FALSE(result.ok()) << "accepted '" << input << "' as '" << *result << "'";
    if (!result.ok()) {
      EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << input;
      EXPECT_EQ(result.status().message().rfind("Invalid path: ", 0), 0u)
          << input << ": " << result.status().message();
    }
  }
}

TEST(NormalizeArtifactPathTest, NormalizesValidPaths) {
  const Case kValid[] = {
      {"", ""},
      {".", ""},
      {"./", ""},
      {"model", "model"},
      {"model/", "model"},
      {"model/MLmodel", "model/MLmodel"},
      {"0/abc/artifacts/model/model.pkl", "0/abc/artifacts/model/model.pkl"},
      {"./a/./b/.", "a/b"},
      {"a/./b/", "a/b"},
      {"...", "..."},
      {"a/.../b", "a/.../b"},
      {"..a/b..", "..a/b.."},
      {".hidden", ".hidden"},
      {"my%20plot.png", "my plot.png"},
      {"a+b", "a+b"},
      {"acc_95%25.png", "acc_95%.png"},  // a literal '%' that forms no escape
      {"100%25", "100%"},
      {"x%25zz", "x%zz"},
      {"sub%2Fdir/f", "sub/dir/f"},  // an encoded '/' is a separator like any other
      {"%C3%A9t%C3%A9.txt", "\xC3\xA9t\xC3\xA9.txt"},
      {"%F0%9F%98%80", "\xF0\x9F\x98\x80"},
      {"12:30.txt", "12:30.txt"},
      {"a/C:", "a/C:"},  // a drive letter can only start a path
      {"file.tar.gz", "file.tar.gz"},
  };
  for (const Case& c : kValid) {
    StatusOr<std::string> result = NormalizeArtifactPath(c.input);
    ASSERT_TRUE(result.ok()) << "'" << c.input << "': " << result.status().ToString();
    EXPECT_EQ(*result, c.expected) << c.input;
  }
}

// Inputs that were already decoded once (query values): no further decoding happens.
TEST(NormalizeDecodedArtifactPathTest, RejectsTricks) {
  const std::string_view kRejected[] = {
      "..",   "a/../b", "/etc",  "%2e%2e", "%2E%2E%2F", "a%2fb",    "%41",
      "%00",  "a\\b",   "C:\\x", "C:/x",   "a//b",      "a#b",      "x/%252e",
      "\xff", "a\xc3",  "/",     "//x/y",  "./../x",    "a/./../b", "a/b/..",
  };
  for (std::string_view input : kRejected) {
    StatusOr<std::string> result = NormalizeDecodedArtifactPath(input);
    EXPECT_FALSE(result.ok()) << "accepted '" << input << "'";
    if (!result.ok()) {
      EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
    }
  }
  const std::string_view kControl[] = {std::string_view("a\0b", 3), "a\nb", "\r", "a\x1f", "\x7f"};
  for (std::string_view input : kControl) {
    EXPECT_FALSE(NormalizeDecodedArtifactPath(input).ok()) << "accepted a control character";
  }
}

TEST(NormalizeDecodedArtifactPathTest, KeepsLiteralText) {
  const Case kValid[] = {
      {"", ""},       {"a b/c", "a b/c"}, {"95%.png", "95%.png"},
      {"%zz", "%zz"}, {"a%", "a%"},       {"a%2", "a%2"},
      {"a+b", "a+b"}, {"dir/", "dir"},    {"./dir/./f", "dir/f"},
  };
  for (const Case& c : kValid) {
    StatusOr<std::string> result = NormalizeDecodedArtifactPath(c.input);
    ASSERT_TRUE(result.ok()) << "'" << c.input << "': " << result.status().ToString();
    EXPECT_EQ(*result, c.expected) << c.input;
  }
}

TEST(NormalizeArtifactPathTest, MessagesNameTheProblem) {
  EXPECT_EQ(NormalizeArtifactPath("a/../b").status().message(),
            "Invalid path: '..' is not allowed");
  EXPECT_EQ(NormalizeArtifactPath("/x").status().message(),
            "Invalid path: absolute paths are not allowed");
  EXPECT_EQ(NormalizeArtifactPath("%00").status().message(),
            "Invalid path: NUL characters are not allowed");
}

TEST(RunArtifactPathFromUriTest, MapsProxyUris) {
  const Case kValid[] = {
      {"mlflow-artifacts:/0/abc/artifacts", "0/abc/artifacts"},
      {"mlflow-artifacts:/0/abc/artifacts/", "0/abc/artifacts"},
      {"mlflow-artifacts://localhost:5000/0/abc/artifacts", "0/abc/artifacts"},
      {"mlflow-artifacts://mlhub.svc/12/def/artifacts/model", "12/def/artifacts/model"},
      {"mlflow-artifacts:///3/r/artifacts", "3/r/artifacts"},
      {"MLflow-Artifacts:/3/r/artifacts", "3/r/artifacts"},
      {"mlflow-artifacts:/my%20exp/r", "my exp/r"},
      {"mlflow-artifacts:/", ""},
  };
  for (const Case& c : kValid) {
    StatusOr<std::string> result = RunArtifactPathFromUri(c.input);
    ASSERT_TRUE(result.ok()) << "'" << c.input << "': " << result.status().ToString();
    EXPECT_EQ(*result, c.expected) << c.input;
  }
}

TEST(RunArtifactPathFromUriTest, RejectsOtherSchemesAndMalformedUris) {
  const std::string_view kUnimplemented[] = {
      "s3://bucket/0/abc/artifacts",
      "file:///tmp/mlruns/0/abc/artifacts",
      "/tmp/mlruns/0/abc",
      "./mlruns/0/abc/artifacts",
      "gs://b/x",
      "runs:/abc/model",
  };
  for (std::string_view uri : kUnimplemented) {
    EXPECT_EQ(RunArtifactPathFromUri(uri).status().code(), StatusCode::kUnimplemented) << uri;
  }
  const std::string_view kInvalid[] = {
      "",
      "mlflow-artifacts:",
      "mlflow-artifacts:0/abc",
      "mlflow-artifacts://host:5000",
      "mlflow-artifacts:/0/../../etc",
      "mlflow-artifacts:/0/%2e%2e/x",
      "mlflow-artifacts:////etc/passwd",
      "mlflow-artifacts:/0/abc?x=1",
      "mlflow-artifacts:/0/abc#frag",
      "mlflow-artifacts:/0//abc",
  };
  for (std::string_view uri : kInvalid) {
    EXPECT_EQ(RunArtifactPathFromUri(uri).status().code(), StatusCode::kInvalidArgument) << uri;
  }
}

}  // namespace
}  // namespace mlhub::artifacts
