// SPDX-License-Identifier: Apache-2.0
#include "store/schema.h"

#include <gtest/gtest.h>

#include "store/sql_tracking_store.h"
#include "store/sqlite/sqlite_connection.h"
#include "store/store_test_util.h"

namespace mlhub::store {
namespace {

std::unique_ptr<SqlDatabase> OpenFile(const std::string& path) {
  SqliteOptions options;
  options.path = path;
  auto db = OpenSqliteDatabase(options);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return std::move(db).value();
}

int64_t Count(SqlDatabase& db, const std::string& sql) {
  int64_t n = -1;
  EXPECT_TRUE(db.Transact(TxnMode::kRead, [&](SqlConnection& c) {
                  return c.Query(sql, {}, [&](const SqlRow& row) {
                    n = row.GetInt(0);
                    return false;
                  });
                }).ok());
  return n;
}

MigrationContext Context() {
  MigrationContext context;
  context.default_artifact_root = "s3://bucket/root/";
  context.now = 1234;
  return context;
}

TEST(SchemaTest, FreshDatabaseMigratesToLatestWithDefaultExperiment) {
  TempDir dir;
  auto db = OpenFile(dir.File("a.db"));
  EXPECT_EQ(ReadSchemaVersion(*db).value(), 0);
  StatusOr<int> version = MigrateSchema(*db, Context());
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_EQ(*version, LatestSchemaVersion());
  EXPECT_EQ(ReadSchemaVersion(*db).value(), LatestSchemaVersion());
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM schema_migrations WHERE applied_at = 1234"),
            LatestSchemaVersion());
  std::string location;
  ASSERT_TRUE(db->Transact(TxnMode::kRead, [&](SqlConnection& c) {
                  return c.Query(
                      "SELECT artifact_location FROM experiments WHERE experiment_id = 0 "
                      "AND name = 'Default' AND creation_time = 1234",
                      {}, [&](const SqlRow& row) {
                        location = std::string(row.GetText(0));
                        return false;
                      });
                }).ok());
  EXPECT_EQ(location, "s3://bucket/root/0");
}

TEST(SchemaTest, MigratingAgainIsANoOp) {
  TempDir dir;
  {
    auto db = OpenFile(dir.File("a.db"));
    ASSERT_TRUE(MigrateSchema(*db, Context()).ok());
    ASSERT_TRUE(MigrateSchema(*db, Context()).ok());
  }
  auto reopened = OpenFile(dir.File("a.db"));
  StatusOr<int> version = MigrateSchema(*reopened, Context());
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_EQ(*version, LatestSchemaVersion());
  EXPECT_EQ(Count(*reopened, "SELECT COUNT(*) FROM schema_migrations"), LatestSchemaVersion());
  EXPECT_EQ(Count(*reopened, "SELECT COUNT(*) FROM experiments"), 1);
}

TEST(SchemaTest, RefusesADatabaseNewerThanThisBinary) {
  TempDir dir;
  std::shared_ptr<SqlDatabase> db = OpenFile(dir.File("a.db"));
  ASSERT_TRUE(MigrateSchema(*db, Context()).ok());
  const int newer = LatestSchemaVersion() + 1;
  ASSERT_TRUE(db->Transact(TxnMode::kWrite, [&](SqlConnection& c) {
                  return c.Execute(
                      "INSERT INTO schema_migrations (version, description, applied_at) "
                      "VALUES (?, 'from the future', 0)",
                      {int64_t{newer}});
                }).ok());
  StatusOr<int> version = MigrateSchema(*db, Context());
  EXPECT_EQ(version.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(version.status().message(),
            "database schema version " + std::to_string(newer) + " is newer than this mlhub (" +
                std::to_string(LatestSchemaVersion()) + "); upgrade mlhub");
  EXPECT_EQ(SqlTrackingStore::Create(db, {}).status().code(), StatusCode::kFailedPrecondition);
  FakeClock clock;
  EXPECT_EQ(OpenTrackingStore(FileConfig(dir.File("a.db"), &clock)).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST(SchemaTest, StoreRefusesAnUnmigratedDatabase) {
  TempDir dir;
  std::shared_ptr<SqlDatabase> db = OpenFile(dir.File("a.db"));
  EXPECT_EQ(SqlTrackingStore::Create(db, {}).status().code(), StatusCode::kFailedPrecondition);
}

TEST(SchemaTest, ReopenedFileStoreKeepsItsData) {
  TempDir dir;
  FakeClock clock;
  std::string id;
  {
    auto store = OpenOrDie(FileConfig(dir.File("keep.db"), &clock));
    NewExperiment experiment;
    experiment.name = "kept";
    id = store->CreateExperiment(experiment).value();
  }
  auto store = OpenOrDie(FileConfig(dir.File("keep.db"), &clock));
  EXPECT_EQ(store->GetExperimentByName("kept").value().experiment_id, id);
  EXPECT_EQ(store->GetExperiment("0").value().name, "Default");
}

}  // namespace
}  // namespace mlhub::store
