// SPDX-License-Identifier: Apache-2.0
#include "registry/models_uri.h"

#include <gtest/gtest.h>

namespace mlhub::registry {
namespace {

TEST(ModelsUriTest, ParsesEveryForm) {
  auto version = ParseModelsUri("models:/my model/12");
  ASSERT_TRUE(version.ok()) << version.status().message();
  EXPECT_EQ(version->kind, ModelsUri::Kind::kVersion);
  EXPECT_EQ(version->name, "my model");
  EXPECT_EQ(version->version, 12);

  auto stage = ParseModelsUri("models:/m/production");
  ASSERT_TRUE(stage.ok());
  EXPECT_EQ(stage->kind, ModelsUri::Kind::kStage);
  EXPECT_EQ(stage->stage, "production");

  auto latest = ParseModelsUri("models:/m/LATEST");
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->kind, ModelsUri::Kind::kLatest);

  auto alias = ParseModelsUri("models:/a@b@champion");
  ASSERT_TRUE(alias.ok());
  EXPECT_EQ(alias->kind, ModelsUri::Kind::kAlias);
  EXPECT_EQ(alias->name, "a@b");
  EXPECT_EQ(alias->alias, "champion");
}

TEST(ModelsUriTest, RejectsMalformedUris) {
  for (const char* uri : {"", "models:", "models:/", "models://profile/m/1", "runs:/abc/model",
                          "models:/m", "models:/m/", "models:/ /1", "models:/m/1/extra",
                          "models:/m@", "models:/@alias", "models:/m/1?x=y",
                          "models:/m/99999999999999999999"}) {
    auto parsed = ParseModelsUri(uri);
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << uri;
  }
}

TEST(ModelsUriTest, SplitsRunsUris) {
  auto runs = ParseRunsUri("runs:/0123abcd/model/sub/");
  ASSERT_TRUE(runs.has_value());
  EXPECT_EQ(runs->run_id, "0123abcd");
  EXPECT_EQ(runs->path, "model/sub");
  auto root = ParseRunsUri("runs:/0123abcd");
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->path, "");
  EXPECT_FALSE(ParseRunsUri("runs:/").has_value());
  EXPECT_FALSE(ParseRunsUri("mlflow-artifacts:/x").has_value());
}

}  // namespace
}  // namespace mlhub::registry
