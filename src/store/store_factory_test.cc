// SPDX-License-Identifier: Apache-2.0
#include "store/store_factory.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "store/store_test_util.h"

namespace mlhub::store {
namespace {

TEST(StoreFactoryTest, ParsesSqliteUris) {
  auto file = ParseBackendStoreUri("sqlite:///relative/path.db");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->kind, StoreLocation::Kind::kSqliteFile);
  EXPECT_EQ(file->path, "relative/path.db");
  auto absolute = ParseBackendStoreUri("sqlite:////abs/path.db");
  ASSERT_TRUE(absolute.ok());
  EXPECT_EQ(absolute->path, "/abs/path.db");
  EXPECT_EQ(ParseBackendStoreUri("sqlite:///mlruns.db?timeout=20")->path, "mlruns.db");
  for (const char* memory : {"sqlite://", "sqlite:///:memory:"}) {
    auto parsed = ParseBackendStoreUri(memory);
    ASSERT_TRUE(parsed.ok()) << memory;
    EXPECT_EQ(parsed->kind, StoreLocation::Kind::kSqliteMemory) << memory;
  }
}

TEST(StoreFactoryTest, ParsesPostgresUrisInLibpqAndSqlalchemyForms) {
  const std::pair<const char*, const char*> cases[] = {
      {"postgresql://u:p@db:5432/mlflow", "postgresql://u:p@db:5432/mlflow"},
      {"postgres://u@db/mlflow?sslmode=require", "postgresql://u@db/mlflow?sslmode=require"},
      {"postgresql+psycopg2://u:p%40ss@db/mlflow", "postgresql://u:p%40ss@db/mlflow"},
      {"postgresql+pg8000://db/mlflow", "postgresql://db/mlflow"},
  };
  for (const auto& [uri, conninfo] : cases) {
    auto parsed = ParseBackendStoreUri(uri);
    ASSERT_TRUE(parsed.ok()) << uri;
    EXPECT_EQ(parsed->kind, StoreLocation::Kind::kPostgres) << uri;
    EXPECT_EQ(parsed->conninfo, conninfo) << uri;
  }
}

TEST(StoreFactoryTest, RedactsPasswords) {
  EXPECT_EQ(RedactBackendStoreUri("postgresql://u:secret@db:5432/x?sslmode=require"),
            "postgresql://u:***@db:5432/x?sslmode=require");
  EXPECT_EQ(RedactBackendStoreUri("postgresql+psycopg2://u:s:e@c@db/x"),
            "postgresql+psycopg2://u:***@db/x");
  for (const char* kept : {"postgresql://u@db/x", "postgresql://db:5432/x", "sqlite:///a:b@c.db",
                           "sqlite:///mlhub.db", "./mlruns"}) {
    EXPECT_EQ(RedactBackendStoreUri(kept), kept);
  }
}

TEST(StoreFactoryTest, AnUnreachablePostgresFailsFastAsUnavailable) {
  StoreConfig config;
  // A port nothing listens on (connection refused at once).
  config.backend_store_uri = "postgresql://u:p@127.0.0.1:1/mlflow";
  config.connect_timeout_s = 2;
  auto store = OpenTrackingStore(config);
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(store.status().message().find("cannot connect to PostgreSQL"), std::string::npos)
      << store.status().message();
}

TEST(StoreFactoryTest, RejectsOtherSchemesNamingTheSupportedOnes) {
  for (const char* uri : {"mysql://x/y", "./mlruns", "file:///tmp/x", "sqlite://host/x.db", ""}) {
    auto parsed = ParseBackendStoreUri(uri);
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << uri;
    EXPECT_NE(parsed.status().message().find("sqlite:///"), std::string::npos) << uri;
  }
  StoreConfig config;
  config.backend_store_uri = "mysql://x/y";
  EXPECT_EQ(OpenTrackingStore(config).status().code(), StatusCode::kInvalidArgument);
}

TEST(StoreFactoryTest, OpensARelativeFileAndUpgradesIt) {
  TempDir dir;
  const auto previous = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  StoreConfig config;
  config.backend_store_uri = "sqlite:///sub.db";
  config.default_artifact_root = "/srv/artifacts";
  StatusOr<int> version = UpgradeDatabase(config);
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_TRUE(std::filesystem::exists(dir.File("sub.db")));
  auto store = OpenOrDie(config);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->GetExperiment("0").value().artifact_location, "/srv/artifacts/0");
  NewExperiment experiment;
  experiment.name = "x";
  const std::string id = store->CreateExperiment(experiment).value();
  EXPECT_EQ(store->GetExperiment(id).value().artifact_location, "/srv/artifacts/" + id);
  std::filesystem::current_path(previous);
}

TEST(StoreFactoryTest, MemoryStoresAreSeparate) {
  FakeClock clock;
  auto a = OpenOrDie(MemoryConfig(&clock));
  auto b = OpenOrDie(MemoryConfig(&clock));
  NewExperiment experiment;
  experiment.name = "only-in-a";
  ASSERT_TRUE(a->CreateExperiment(experiment).ok());
  EXPECT_TRUE(a->GetExperimentByName("only-in-a").ok());
  EXPECT_EQ(b->GetExperimentByName("only-in-a").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace mlhub::store
