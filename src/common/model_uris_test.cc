// SPDX-License-Identifier: Apache-2.0
#include "common/model_uris.h"

#include <gtest/gtest.h>

namespace mlhub {
namespace {

TEST(ModelsUriTest, ParsesEveryForm) {
  auto version = ParseModelsUri("models:/my model/12");
  ASSERT_TRUE(version.ok()) << version.status().message();
  EXPECT_EQ(version->kind, ModelsUri::Kind::kVersion);
  EXPECT_EQ(version->name, "my model");
  EXPECT_EQ(version->version, 12);

  // "007" is version 7, as int() reads it in MLflow.
  auto padded = ParseModelsUri("models:/m/007");
  ASSERT_TRUE(padded.ok());
  EXPECT_EQ(padded->version, 7);

  auto stage = ParseModelsUri("models:/m/production");
  ASSERT_TRUE(stage.ok());
  EXPECT_EQ(stage->kind, ModelsUri::Kind::kStage);
  EXPECT_EQ(stage->name, "m");
  EXPECT_EQ(stage->stage, "production");

  for (const char* uri : {"models:/m/LATEST", "models:/m/LaTeSt"}) {
    auto latest = ParseModelsUri(uri);
    ASSERT_TRUE(latest.ok()) << uri;
    EXPECT_EQ(latest->kind, ModelsUri::Kind::kLatest) << uri;
    EXPECT_EQ(latest->name, "m") << uri;
  }

  // The alias is what follows the last '@'; names may hold '@' themselves.
  auto alias = ParseModelsUri("models:/team@reg@champion");
  ASSERT_TRUE(alias.ok());
  EXPECT_EQ(alias->kind, ModelsUri::Kind::kAlias);
  EXPECT_EQ(alias->name, "team@reg");
  EXPECT_EQ(alias->alias, "champion");
}

TEST(ModelsUriTest, TheSchemeIsCaseInsensitive) {
  auto upper = ParseModelsUri("MODELS:/m/3");
  ASSERT_TRUE(upper.ok()) << upper.status().message();
  EXPECT_EQ(upper->kind, ModelsUri::Kind::kVersion);
  EXPECT_EQ(upper->version, 3);
}

TEST(ModelsUriTest, ReadsMlflow3LoggedModelIds) {
  auto parsed = ParseModelsUri("models:/m-0123456789abcdef0123456789abcdef");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->kind, ModelsUri::Kind::kLoggedModel);
  EXPECT_EQ(parsed->model_id, "m-0123456789abcdef0123456789abcdef");
  // Other single names are no model id: m- and 32 lower-case hex digits only.
  for (const char* uri :
       {"models:/m-0123456789abcdef0123456789abcde", "models:/m-0123456789ABCDEF0123456789ABCDEF",
        "models:/x-0123456789abcdef0123456789abcdef"}) {
    EXPECT_EQ(ParseModelsUri(uri).status().code(), StatusCode::kInvalidArgument) << uri;
  }
  // A registered model may be named like one: with a version it is a version.
  auto version = ParseModelsUri("models:/m-0123456789abcdef0123456789abcdef/2");
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(version->kind, ModelsUri::Kind::kVersion);
}

TEST(ModelsUriTest, RejectsMalformedUris) {
  for (const char* uri :
       {"", "models:", "models:/", "models://profile/m/1", "runs:/abc/model", "models:/m",
        "models:/m/", "models:/ /1", "models:/m/1/extra", "models:/m@", "models:/@alias",
        "models:/m/1?x=y", "models:/m@a#b", "models:/m/99999999999999999999"}) {
    auto parsed = ParseModelsUri(uri);
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << uri;
    EXPECT_NE(parsed.status().message().find("Not a proper models:/ URI"), std::string::npos)
        << uri;
  }
}

TEST(RunsUriTest, SplitsRunIdAndPath) {
  auto runs = ParseRunsUri("runs:/0123abcd/model/sub/");
  ASSERT_TRUE(runs.ok()) << runs.status().message();
  EXPECT_EQ(runs->run_id, "0123abcd");
  EXPECT_EQ(runs->path, "model/sub");

  auto nested = ParseRunsUri("runs:/r-1/a/b/c");
  ASSERT_TRUE(nested.ok());
  EXPECT_EQ(nested->run_id, "r-1");
  EXPECT_EQ(nested->path, "a/b/c");

  for (const char* uri : {"runs:/0123abcd", "runs:/0123abcd/", "RUNS:/0123abcd"}) {
    auto root = ParseRunsUri(uri);
    ASSERT_TRUE(root.ok()) << uri;
    EXPECT_EQ(root->run_id, "0123abcd") << uri;
    EXPECT_EQ(root->path, "") << uri;
  }
}

TEST(RunsUriTest, RejectsMalformedUris) {
  for (const char* uri :
       {"", "runs:", "runs:/", "runs://profile/abc/model", "runs:/abc/model?x=1", "runs:/abc/#frag",
        "runs:/_abc/model", "runs:/a%20b/model", "mlflow-artifacts:/x", "models:/m/1"}) {
    auto parsed = ParseRunsUri(uri);
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << uri;
    EXPECT_NE(parsed.status().message().find("Not a proper runs:/ URI"), std::string::npos) << uri;
  }
  EXPECT_TRUE(ParseRunsUri("runs:/" + std::string(256, 'a')).ok());
  EXPECT_FALSE(ParseRunsUri("runs:/" + std::string(257, 'a')).ok());
}

}  // namespace
}  // namespace mlhub
