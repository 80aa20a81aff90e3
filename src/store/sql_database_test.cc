// SPDX-License-Identifier: Apache-2.0
#include "store/sql_database.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite/sqlite_connection.h"
#include "store/store_test_util.h"

namespace mlhub::store {
namespace {

std::unique_ptr<SqlDatabase> OpenFileDatabase(const TempDir& dir) {
  SqliteOptions options;
  options.path = dir.File("group.db");
  auto db = OpenSqliteDatabase(options);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_TRUE((*db)
                  ->Transact(TxnMode::kWrite,
                             [](SqlConnection& c) {
                               return c.Execute("CREATE TABLE t (id INTEGER PRIMARY KEY)");
                             })
                  .ok());
  return std::move(db).value();
}

std::vector<int64_t> Ids(SqlDatabase& db) {
  std::vector<int64_t> ids;
  EXPECT_TRUE(db.Transact(TxnMode::kRead, [&](SqlConnection& c) {
                  return c.Query("SELECT id FROM t ORDER BY id", {}, [&](const SqlRow& row) {
                    ids.push_back(row.GetInt(0));
                    return true;
                  });
                }).ok());
  return ids;
}

// Writers that queue behind a slow one are committed as a group; each must still succeed or fail
// alone: the failing ones leave nothing, the others all land.
TEST(SqlDatabaseTest, GroupedWritesStayAtomicEachAlone) {
  TempDir dir;
  auto db = OpenFileDatabase(dir);
  constexpr int kWriters = 16;
  std::atomic<int> started{0};
  std::vector<Status> results(kWriters);
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      started.fetch_add(1);
      results[i] = db->Transact(TxnMode::kWrite, [&, i](SqlConnection& c) -> Status {
        // The first writer holds the transaction open a moment, so the others queue behind it.
        if (i == 0) {
          while (started.load() < kWriters) std::this_thread::yield();
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        RETURN_IF_ERROR(c.Execute("INSERT INTO t (id) VALUES (?)", {int64_t{i}}));
        if (i % 2 == 1) return InvalidArgumentError("odd writer fails after writing");
        return OkStatus();
      });
    });
  }
  for (auto& thread : threads) thread.join();
  std::vector<int64_t> expected;
  for (int i = 0; i < kWriters; ++i) {
    if (i % 2 == 0) {
      EXPECT_TRUE(results[i].ok()) << i << ": " << results[i].ToString();
      expected.push_back(i);
    } else {
      EXPECT_EQ(results[i].code(), StatusCode::kInvalidArgument) << i;
    }
  }
  EXPECT_EQ(Ids(*db), expected);
}

TEST(SqlDatabaseTest, ASqlErrorInOneWriteDoesNotSpoilTheGroup) {
  TempDir dir;
  auto db = OpenFileDatabase(dir);
  std::vector<std::thread> threads;
  std::vector<Status> results(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      results[i] = db->Transact(TxnMode::kWrite, [i](SqlConnection& c) {
        // Writers 0..3 insert ids 0..3; writers 4..7 insert a duplicate of id 0: a constraint
        // error.
        return c.Execute("INSERT INTO t (id) VALUES (?)", {int64_t{i < 4 ? i : 0}});
      });
    });
  }
  for (auto& thread : threads) thread.join();
  int failures = 0;
  for (const Status& status : results) failures += status.ok() ? 0 : 1;
  EXPECT_EQ(failures, 4);
  EXPECT_EQ(Ids(*db), (std::vector<int64_t>{0, 1, 2, 3}));
}

}  // namespace
}  // namespace mlhub::store
