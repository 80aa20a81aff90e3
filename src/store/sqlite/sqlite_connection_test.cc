// SPDX-License-Identifier: Apache-2.0
#include "store/sqlite/sqlite_connection.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "store/store_test_util.h"

namespace mlhub::store {
namespace {

std::unique_ptr<SqliteConnection> OpenMemory() {
  SqliteOptions options;
  options.path = ":memory:";
  StatusOr<std::unique_ptr<SqliteConnection>> c = SqliteConnection::Open(options);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return std::move(c).value();
}

int64_t CountRows(SqlConnection& c, const std::string& table) {
  int64_t n = -1;
  EXPECT_TRUE(c.Query("SELECT COUNT(*) FROM " + table, {}, [&](const SqlRow& row) {
                 n = row.GetInt(0);
                 return false;
               }).ok());
  return n;
}

TEST(SqliteConnectionTest, BindsAndReadsEveryType) {
  auto c = OpenMemory();
  ASSERT_TRUE(c->Execute("CREATE TABLE t (i INTEGER, d REAL, s TEXT, b BLOB, n TEXT)").ok());
  const std::string blob("\0\x01\xff\0", 4);
  ASSERT_TRUE(
      c->Execute("INSERT INTO t VALUES (?, ?, ?, ?, ?)",
                 {int64_t{1} << 40, 2.5, std::string("héllo"), SqlBlob{blob}, std::monostate()})
          .ok());
  int rows = 0;
  ASSERT_TRUE(c->Query("SELECT i, d, s, b, n FROM t", {}, [&](const SqlRow& row) {
                 ++rows;
                 EXPECT_EQ(row.size(), 5);
                 EXPECT_EQ(row.GetInt(0), int64_t{1} << 40);
                 EXPECT_EQ(row.GetDouble(1), 2.5);
                 EXPECT_EQ(row.GetText(2), "héllo");
                 EXPECT_EQ(row.GetBlob(3), blob);
                 EXPECT_TRUE(row.IsNull(4));
                 EXPECT_FALSE(row.IsNull(0));
                 return true;
               }).ok());
  EXPECT_EQ(rows, 1);
}

TEST(SqliteConnectionTest, ReportsRowsAffectedAndStopsEarly) {
  auto c = OpenMemory();
  ASSERT_TRUE(c->Execute("CREATE TABLE t (i INTEGER)").ok());
  for (int64_t i = 0; i < 5; ++i) ASSERT_TRUE(c->Execute("INSERT INTO t VALUES (?)", {i}).ok());
  int64_t changed = 0;
  ASSERT_TRUE(c->Execute("UPDATE t SET i = i + 1 WHERE i >= ?", {int64_t{2}}, &changed).ok());
  EXPECT_EQ(changed, 3);
  int seen = 0;
  ASSERT_TRUE(c->Query("SELECT i FROM t", {}, [&](const SqlRow&) { return ++seen < 2; }).ok());
  EXPECT_EQ(seen, 2);
  // The statement was reset: running it again starts over.
  seen = 0;
  ASSERT_TRUE(c->Query("SELECT i FROM t", {}, [&](const SqlRow&) { return ++seen < 100; }).ok());
  EXPECT_EQ(seen, 5);
}

TEST(SqliteConnectionTest, MapsErrors) {
  auto c = OpenMemory();
  ASSERT_TRUE(c->Execute("CREATE TABLE t (k TEXT PRIMARY KEY)").ok());
  ASSERT_TRUE(c->Execute("INSERT INTO t VALUES (?)", {std::string("a")}).ok());
  EXPECT_EQ(c->Execute("INSERT INTO t VALUES (?)", {std::string("a")}).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(c->Execute("SELEKT 1").code(), StatusCode::kInternal);
  EXPECT_EQ(c->Execute("INSERT INTO t VALUES (?)", {}).code(), StatusCode::kInternal);
  EXPECT_EQ(c->Execute("SELECT 1; SELECT 2").code(), StatusCode::kInternal);
}

TEST(SqliteConnectionTest, CallbacksMayRunTheSameStatement) {
  auto c = OpenMemory();
  ASSERT_TRUE(c->Execute("CREATE TABLE t (i INTEGER)").ok());
  for (int64_t i = 0; i < 3; ++i) ASSERT_TRUE(c->Execute("INSERT INTO t VALUES (?)", {i}).ok());
  int inner = 0;
  ASSERT_TRUE(c->Query("SELECT i FROM t", {}, [&](const SqlRow&) {
                 EXPECT_TRUE(c->Query("SELECT i FROM t", {}, [&](const SqlRow&) {
                                ++inner;
                                return true;
                              }).ok());
                 return true;
               }).ok());
  EXPECT_EQ(inner, 9);
}

TEST(SqliteConnectionTest, RollbackDiscardsAndCommitKeeps) {
  auto c = OpenMemory();
  ASSERT_TRUE(c->Execute("CREATE TABLE t (i INTEGER)").ok());
  ASSERT_TRUE(c->Begin(TxnMode::kWrite).ok());
  ASSERT_TRUE(c->Execute("INSERT INTO t VALUES (1)").ok());
  ASSERT_TRUE(c->Rollback().ok());
  EXPECT_EQ(CountRows(*c, "t"), 0);
  ASSERT_TRUE(c->Begin(TxnMode::kWrite).ok());
  ASSERT_TRUE(c->Execute("INSERT INTO t VALUES (1)").ok());
  ASSERT_TRUE(c->Commit().ok());
  EXPECT_EQ(CountRows(*c, "t"), 1);
  EXPECT_TRUE(c->Rollback().ok());  // nothing open: a no-op
}

TEST(SqliteConnectionTest, LikeIsCaseSensitiveAndILikeIsNot) {
  auto c = OpenMemory();
  const SqlDialect& d = c->dialect();
  auto matches = [&](const std::string& condition, const std::string& pattern) {
    bool result = false;
    EXPECT_TRUE(c->Query("SELECT 1 WHERE " + condition, {std::string("Hello"), pattern},
                         [&](const SqlRow&) {
                           result = true;
                           return false;
                         })
                    .ok());
    return result;
  };
  EXPECT_TRUE(matches(d.CaseSensitiveLike("?"), "He%"));
  EXPECT_FALSE(matches(d.CaseSensitiveLike("?"), "he%"));
  EXPECT_TRUE(matches(d.CaseSensitiveLike("?"), "H_llo"));
  EXPECT_TRUE(matches(d.CaseInsensitiveLike("?"), "he%"));
  EXPECT_FALSE(matches(d.CaseInsensitiveLike("?"), "x%"));
}

TEST(SqliteConnectionTest, BlobAppendKeepsBinaryBytes) {
  auto c = OpenMemory();
  ASSERT_TRUE(c->Execute("CREATE TABLE t (b BLOB)").ok());
  ASSERT_TRUE(c->Execute("INSERT INTO t VALUES (?)", {SqlBlob{std::string("\0a", 2)}}).ok());
  ASSERT_TRUE(c->Execute("UPDATE t SET b = " + c->dialect().BlobAppend("b", "?"),
                         {SqlBlob{std::string("\0\xff", 2)}})
                  .ok());
  std::string got;
  ASSERT_TRUE(c->Query("SELECT b, typeof(b) FROM t", {}, [&](const SqlRow& row) {
                 got = std::string(row.GetBlob(0));
                 EXPECT_EQ(row.GetText(1), "blob");
                 return false;
               }).ok());
  EXPECT_EQ(got, std::string("\0a\0\xff", 4));
}

TEST(SqliteConnectionTest, StatementCacheStaysBounded) {
  auto c = OpenMemory();
  for (int i = 0; i < 600; ++i) ASSERT_TRUE(c->Execute("SELECT " + std::to_string(i)).ok());
  EXPECT_LE(c->CachedStatementCountForTest(), 256u);
}

TEST(SqliteDatabaseTest, ReadersSeeCommittedWritesOfAFile) {
  TempDir dir;
  SqliteOptions options;
  options.path = dir.File("db.sqlite");
  auto db = OpenSqliteDatabase(options);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE(
      (*db)
          ->Transact(TxnMode::kWrite,
                     [](SqlConnection& c) { return c.Execute("CREATE TABLE t (i INTEGER)"); })
          .ok());
  std::string mode;
  ASSERT_TRUE((*db)
                  ->Transact(TxnMode::kRead,
                             [&](SqlConnection& c) {
                               return c.Query("PRAGMA journal_mode", {}, [&](const SqlRow& row) {
                                 mode = std::string(row.GetText(0));
                                 return false;
                               });
                             })
                  .ok());
  EXPECT_EQ(mode, "wal");
  // A failed transaction leaves nothing behind.
  Status failed = (*db)->Transact(TxnMode::kWrite, [](SqlConnection& c) -> Status {
    RETURN_IF_ERROR(c.Execute("INSERT INTO t VALUES (1)"));
    return AbortedError("changed my mind");
  });
  EXPECT_EQ(failed.code(), StatusCode::kAborted);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        ASSERT_TRUE((*db)
                        ->Transact(TxnMode::kWrite,
                                   [&](SqlConnection& c) {
                                     return c.Execute("INSERT INTO t VALUES (?)",
                                                      {int64_t{t * 100 + i}});
                                   })
                        .ok());
        ASSERT_TRUE((*db)
                        ->Transact(TxnMode::kRead,
                                   [&](SqlConnection& c) {
                                     return c.Query("SELECT COUNT(*) FROM t", {},
                                                    [](const SqlRow&) { return false; });
                                   })
                        .ok());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE((*db)
                  ->Transact(TxnMode::kRead,
                             [&](SqlConnection& c) {
                               EXPECT_EQ(CountRows(c, "t"), 200);
                               return OkStatus();
                             })
                  .ok());
}

TEST(SqliteDatabaseTest, TwoDatabaseObjectsShareAFileLikeTwoProcesses) {
  TempDir dir;
  SqliteOptions options;
  options.path = dir.File("shared.sqlite");
  auto a = OpenSqliteDatabase(options);
  auto b = OpenSqliteDatabase(options);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(
      (*a)->Transact(TxnMode::kWrite,
                     [](SqlConnection& c) { return c.Execute("CREATE TABLE t (i INTEGER)"); })
          .ok());
  std::thread other([&] {
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE((*b)->Transact(TxnMode::kWrite,
                                 [&](SqlConnection& c) {
                                   return c.Execute("INSERT INTO t VALUES (?)", {int64_t{i}});
                                 })
                      .ok());
    }
  });
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE((*a)->Transact(TxnMode::kWrite,
                               [&](SqlConnection& c) {
                                 return c.Execute("INSERT INTO t VALUES (?)", {int64_t{i}});
                               })
                    .ok());
  }
  other.join();
  ASSERT_TRUE((*b)->Transact(TxnMode::kRead,
                             [&](SqlConnection& c) {
                               EXPECT_EQ(CountRows(c, "t"), 200);
                               return OkStatus();
                             })
                  .ok());
}

TEST(SqliteDatabaseTest, PoolWithoutADedicatedWriterSharesFewConnections) {
  TempDir dir;
  SqliteOptions options;
  options.path = dir.File("pool.sqlite");
  SqlDatabase::Options pool;
  pool.max_pooled = 2;
  pool.single_writer = false;  // writes take pooled connections too (as PostgreSQL will)
  auto db = SqlDatabase::Create(
      [&]() -> StatusOr<std::unique_ptr<SqlConnection>> {
        ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> c, SqliteConnection::Open(options));
        return std::unique_ptr<SqlConnection>(std::move(c));
      },
      pool);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE(
      (*db)
          ->Transact(TxnMode::kWrite,
                     [](SqlConnection& c) { return c.Execute("CREATE TABLE t (i INTEGER)"); })
          .ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 30; ++i) {
        ASSERT_TRUE((*db)
                        ->Transact(TxnMode::kWrite,
                                   [&](SqlConnection& c) {
                                     return c.Execute("INSERT INTO t VALUES (?)",
                                                      {int64_t{t * 100 + i}});
                                   })
                        .ok());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE((*db)
                  ->Transact(TxnMode::kRead,
                             [&](SqlConnection& c) {
                               EXPECT_EQ(CountRows(c, "t"), 180);
                               return OkStatus();
                             })
                  .ok());
}

TEST(SqliteDatabaseTest, UnopenablePathIsUnavailable) {
  SqliteOptions options;
  options.path = "/nonexistent-dir/x/y.db";
  auto db = OpenSqliteDatabase(options);
  EXPECT_EQ(db.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(db.status().message().find("/nonexistent-dir/x/y.db"), std::string::npos);
}

}  // namespace
}  // namespace mlhub::store
