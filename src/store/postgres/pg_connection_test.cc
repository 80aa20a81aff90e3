// SPDX-License-Identifier: Apache-2.0
// The PostgreSQL driver against a real PostgreSQL 15: the cluster ctest starts for the whole run
// (fixture "postgres"; $MLHUB_PG_STATE/postgres.uri names it). Each test gets a fresh database.
// Without that cluster every test fails: nothing here is skipped.
#include "store/postgres/pg_connection.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <random>
#include <thread>

#include "store/schema.h"
#include "store/store_factory.h"

namespace mlhub::store {
namespace {

// The superuser URI of the cluster's maintenance database, or "" (the test then fails).
std::string MaintenanceUri() {
  const char* state = std::getenv("MLHUB_PG_STATE");
  if (state == nullptr) return "";
  std::ifstream in(std::string(state) + "/postgres.uri");
  std::string uri;
  std::getline(in, uri);
  return uri;
}

class PgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string admin = MaintenanceUri();
    ASSERT_FALSE(admin.empty())
        << "no PostgreSQL cluster: run through ctest (fixture pg_cluster_start), which sets "
           "$MLHUB_PG_STATE";
    ASSERT_EQ(admin.substr(admin.size() - 9), "/postgres") << admin;
    std::random_device random;
    name_ = "pgdriver_" + std::to_string(random()) + std::to_string(random());
    auto connection = Connect(admin);
    ASSERT_TRUE(connection.ok()) << connection.status().ToString();
    admin_ = std::move(connection).value();
    ASSERT_TRUE(admin_->Execute("CREATE DATABASE " + name_, {}).ok());
    options_.conninfo = admin.substr(0, admin.size() - 8) + name_;
    options_.connect_timeout_s = 5;
    auto opened = PgConnection::Open(options_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    c_ = std::move(opened).value();
  }
  void TearDown() override {
    c_.reset();
    if (admin_ != nullptr) {
      EXPECT_TRUE(admin_->Execute("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)", {}).ok());
    }
  }

  StatusOr<std::unique_ptr<PgConnection>> Connect(const std::string& uri) {
    PgOptions options;
    options.conninfo = uri;
    return PgConnection::Open(options);
  }

  int64_t Count(const std::string& table) {
    int64_t n = -1;
    EXPECT_TRUE(c_->Query("SELECT COUNT(*) FROM " + table, {}, [&](const SqlRow& row) {
                    n = row.GetInt(0);
                    return false;
                  }).ok());
    return n;
  }

  std::string name_;
  PgOptions options_;
  std::unique_ptr<PgConnection> admin_;
  std::unique_ptr<PgConnection> c_;
};

TEST(PgRewriteTest, NumbersPlaceholdersOutsideQuotes) {
  EXPECT_EQ(RewritePlaceholders("SELECT ? , '?', \"a?\", ?"), "SELECT $1 , '?', \"a?\", $2");
  EXPECT_EQ(RewritePlaceholders("x = 'it''s ?' AND y = ?"), "x = 'it''s ?' AND y = $1");
  EXPECT_EQ(RewritePlaceholders("no params"), "no params");
}

TEST_F(PgTest, ValuesRoundTripInBinaryForm) {
  ASSERT_TRUE(
      c_->Execute("CREATE TABLE v (i BIGINT, d DOUBLE PRECISION, t TEXT, b BYTEA, n INT)").ok());
  const std::string blob("\0\x01\xff\x80 bytes\0", 10);
  const std::string text = "héllo, 世界 \xf0\x9f\x98\x80";
  const struct {
    int64_t i;
    double d;
  } rows[] = {{0, 0.0},
              {-1, -0.0},
              {std::numeric_limits<int64_t>::max(), 1e-300},
              {std::numeric_limits<int64_t>::min(), std::numeric_limits<double>::infinity()},
              {42, std::numeric_limits<double>::quiet_NaN()}};
  for (const auto& row : rows) {
    ASSERT_TRUE(
        c_->Execute("INSERT INTO v VALUES (?, ?, ?, ?, ?)", {row.i, row.d, text, SqlBlob{blob}, {}})
            .ok());
  }
  size_t seen = 0;
  ASSERT_TRUE(c_->Query("SELECT i, d, t, b, n, (i % 7)::int4, LENGTH(t) FROM v ORDER BY i", {},
                        [&](const SqlRow& r) {
                          EXPECT_EQ(r.size(), 7);
                          EXPECT_EQ(r.GetText(2), text);
                          EXPECT_EQ(r.GetBlob(3), blob);
                          EXPECT_TRUE(r.IsNull(4));
                          EXPECT_FALSE(r.IsNull(0));
                          EXPECT_EQ(r.GetText(0), std::to_string(r.GetInt(0)));
                          EXPECT_EQ(r.GetInt(5), r.GetInt(0) % 7);  // an int4 column
                          EXPECT_EQ(r.GetInt(6), 11);               // characters, not bytes
                          ++seen;
                          return true;
                        })
                  .ok());
  EXPECT_EQ(seen, 5u);
  std::vector<std::pair<int64_t, double>> back;
  ASSERT_TRUE(c_->Query("SELECT i, d FROM v WHERE i = ? OR i = ? OR i < ? ORDER BY i",
                        {std::numeric_limits<int64_t>::max(), int64_t{42}, int64_t{0}},
                        [&](const SqlRow& r) {
                          back.emplace_back(r.GetInt(0), r.GetDouble(1));
                          return true;
                        })
                  .ok());
  ASSERT_EQ(back.size(), 4u);
  EXPECT_EQ(back[0].first, std::numeric_limits<int64_t>::min());
  EXPECT_TRUE(std::isinf(back[0].second));
  EXPECT_TRUE(std::signbit(back[1].second));  // -0.0 survives
  EXPECT_TRUE(std::isnan(back[2].second));
  EXPECT_EQ(back[3].second, 1e-300);
}

TEST_F(PgTest, ErrorsMapToStatusCodes) {
  ASSERT_TRUE(c_->Execute("CREATE TABLE u (k TEXT PRIMARY KEY)").ok());
  ASSERT_TRUE(c_->Execute("INSERT INTO u VALUES (?)", {std::string("a")}).ok());
  EXPECT_EQ(c_->Execute("INSERT INTO u VALUES (?)", {std::string("a")}).code(),
            StatusCode::kAlreadyExists);
  // Text PostgreSQL cannot store is the client's fault, not the server's.
  EXPECT_EQ(c_->Execute("INSERT INTO u VALUES (?)", {std::string("nul\0byte", 8)}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(c_->Execute("INSERT INTO u VALUES (?)", {std::string("bad \xff utf8")}).code(),
            StatusCode::kInvalidArgument);
  const Status syntax = c_->Execute("SELEC nonsense");
  EXPECT_EQ(syntax.code(), StatusCode::kInternal);
  EXPECT_NE(syntax.message().find("syntax error"), std::string::npos) << syntax.message();
  int64_t rows = 0;
  ASSERT_TRUE(c_->Execute("DELETE FROM u WHERE k = ?", {std::string("a")}, &rows).ok());
  EXPECT_EQ(rows, 1);
}

TEST_F(PgTest, NumbersReadAsTextStayValidForTheWholeRow) {
  ASSERT_TRUE(c_->Query("SELECT 1234567::int8, 7654321::int8, 42::int4, 0.5::float8", {},
                        [](const SqlRow& r) {
                          const std::string_view a = r.GetText(0);
                          const std::string_view b = r.GetText(1);
                          const std::string_view c = r.GetText(2);
                          const std::string_view d = r.GetText(3);
                          EXPECT_EQ(a, "1234567");  // still valid after the later columns
                          EXPECT_EQ(b, "7654321");
                          EXPECT_EQ(c, "42");
                          EXPECT_EQ(d, "0.5");
                          return false;
                        })
                  .ok());
}

TEST_F(PgTest, AStatementOverItsTimeoutIsDeadlineExceeded) {
  PgOptions options = options_;
  // The URI's own options= must not drop the statement timeout.
  options.conninfo += "?options=-c%20work_mem%3D8MB";
  options.statement_timeout_s = 1;
  auto c = PgConnection::Open(options);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->Query("SELECT pg_sleep(3)", {}, [](const SqlRow&) { return true; }).code(),
            StatusCode::kDeadlineExceeded);
  EXPECT_TRUE((*c)->Execute("SELECT 1").ok());  // the connection is still usable
}

TEST_F(PgTest, DeferredStatementsTravelWithTheNextAnswerAndFailTheTransaction) {
  ASSERT_TRUE(c_->Execute("CREATE TABLE d (k BIGINT PRIMARY KEY)").ok());
  ASSERT_TRUE(c_->Begin(TxnMode::kWrite).ok());
  ASSERT_TRUE(c_->ExecuteDeferred("INSERT INTO d VALUES (?)", {int64_t{1}}).ok());
  ASSERT_TRUE(c_->ExecuteDeferred("INSERT INTO d VALUES (?)", {int64_t{2}}).ok());
  int64_t inside = 0;  // a later query sees them (same transaction, same order)
  ASSERT_TRUE(c_->Query("SELECT COUNT(*) FROM d", {}, [&](const SqlRow& r) {
                  inside = r.GetInt(0);
                  return false;
                }).ok());
  EXPECT_EQ(inside, 2);
  ASSERT_TRUE(c_->ExecuteDeferred("INSERT INTO d VALUES (?)", {int64_t{3}}).ok());
  ASSERT_TRUE(c_->Commit().ok());
  EXPECT_EQ(Count("d"), 3);

  // A deferred statement's error surfaces at COMMIT, and nothing of the transaction stays.
  ASSERT_TRUE(c_->Begin(TxnMode::kWrite).ok());
  ASSERT_TRUE(c_->ExecuteDeferred("INSERT INTO d VALUES (?)", {int64_t{4}}).ok());
  ASSERT_TRUE(c_->ExecuteDeferred("INSERT INTO d VALUES (?)", {int64_t{1}}).ok());  // duplicate
  ASSERT_TRUE(c_->ExecuteDeferred("INSERT INTO d VALUES (?)", {int64_t{5}}).ok());
  EXPECT_EQ(c_->Commit().code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(c_->Rollback().ok());
  EXPECT_EQ(Count("d"), 3);

  // Or at the next query, which then fails too.
  ASSERT_TRUE(c_->Begin(TxnMode::kWrite).ok());
  ASSERT_TRUE(c_->ExecuteDeferred("INSERT INTO d VALUES (?)", {int64_t{2}}).ok());
  EXPECT_EQ(c_->Query("SELECT 1", {}, [](const SqlRow&) { return true; }).code(),
            StatusCode::kAlreadyExists);
  EXPECT_TRUE(c_->Rollback().ok());
  ASSERT_TRUE(c_->Begin(TxnMode::kWrite).ok());  // the connection is clean again
  ASSERT_TRUE(c_->Execute("INSERT INTO d VALUES (?)", {int64_t{6}}).ok());
  ASSERT_TRUE(c_->Commit().ok());
  EXPECT_EQ(Count("d"), 4);
}

TEST_F(PgTest, DeferredQueriesDeliverTheirRowsWithTheNextAnswer) {
  ASSERT_TRUE(c_->Execute("CREATE TABLE q (k BIGINT)").ok());
  ASSERT_TRUE(c_->Execute("INSERT INTO q VALUES (1), (2), (3)").ok());
  std::vector<int64_t> first, second;
  ASSERT_TRUE(c_->Begin(TxnMode::kRead).ok());
  ASSERT_TRUE(c_->QueryDeferred("SELECT k FROM q WHERE k < ? ORDER BY k", {int64_t{3}},
                                [&](const SqlRow& r) {
                                  first.push_back(r.GetInt(0));
                                  return true;
                                })
                  .ok());
  ASSERT_TRUE(c_->QueryDeferred("SELECT k FROM q ORDER BY k DESC", {}, [&](const SqlRow& r) {
                  second.push_back(r.GetInt(0));
                  return second.size() < 2;  // stopping early is allowed
                }).ok());
  int64_t count = 0;
  ASSERT_TRUE(c_->Query("SELECT COUNT(*) FROM q", {}, [&](const SqlRow& r) {
                  count = r.GetInt(0);
                  return false;
                }).ok());
  EXPECT_EQ(first, std::vector<int64_t>({1, 2}));
  EXPECT_EQ(second, std::vector<int64_t>({3, 2}));
  EXPECT_EQ(count, 3);
  // Rows still undelivered when the transaction ends are dropped, not handed to a dead caller.
  bool called = false;
  ASSERT_TRUE(c_->QueryDeferred("SELECT 1", {}, [&](const SqlRow&) {
                  called = true;
                  return true;
                }).ok());
  EXPECT_TRUE(c_->Commit().ok());
  EXPECT_FALSE(called);
  // A failing deferred query fails the next call.
  ASSERT_TRUE(c_->Begin(TxnMode::kRead).ok());
  ASSERT_TRUE(c_->QueryDeferred("SELECT k / 0 FROM q", {}, [](const SqlRow&) { return true; })
                  .ok());
  EXPECT_FALSE(c_->Query("SELECT 1", {}, [](const SqlRow&) { return true; }).ok());
  EXPECT_TRUE(c_->Rollback().ok());
}

TEST_F(PgTest, ReadTransactionsAreReadOnlySnapshots) {
  ASSERT_TRUE(c_->Execute("CREATE TABLE s (k BIGINT)").ok());
  auto other = PgConnection::Open(options_);
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(c_->Begin(TxnMode::kRead).ok());
  EXPECT_EQ(Count("s"), 0);
  ASSERT_TRUE((*other)->Execute("INSERT INTO s VALUES (1)").ok());  // commits at once
  EXPECT_EQ(Count("s"), 0);  // same snapshot for the whole transaction
  EXPECT_FALSE(c_->Execute("INSERT INTO s VALUES (2)").ok());
  EXPECT_TRUE(c_->Rollback().ok());
  EXPECT_EQ(Count("s"), 1);
}

TEST_F(PgTest, ThePreparedStatementCacheStartsOverWhenFull) {
  for (int i = 0; i < 600; ++i) {
    int64_t got = -1;
    ASSERT_TRUE(c_->Query("SELECT ?::int8 + " + std::to_string(i), {int64_t{1}},
                          [&](const SqlRow& r) {
                            got = r.GetInt(0);
                            return false;
                          })
                    .ok())
        << i;
    EXPECT_EQ(got, i + 1);
  }
  EXPECT_LE(c_->CachedStatementCountForTest(), 512u);
}

TEST_F(PgTest, ATransactionOnAKilledConnectionRunsAgainOnAFreshOne) {
  PgOptions options = options_;
  options.pool_size = 2;
  auto db = OpenPostgresDatabase(options);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE(
      (*db)
          ->Transact(TxnMode::kWrite,
                     [](SqlConnection& c) { return c.Execute("CREATE TABLE k (n BIGINT)"); })
          .ok());
  // The server ends every connection of this database (as a restart would).
  ASSERT_TRUE(admin_
                  ->Query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = ? AND pid <> pg_backend_pid()",
                          {name_}, [](const SqlRow&) { return true; })
                  .ok());
  int runs = 0;
  Status status = (*db)->Transact(TxnMode::kWrite, [&](SqlConnection& c) {
    ++runs;
    return c.Execute("INSERT INTO k VALUES (1)");
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(runs, 2);                            // once on the dead connection, once on a fresh one
  auto reopened = PgConnection::Open(options_);  // this test's own connection was ended too
  ASSERT_TRUE(reopened.ok());
  c_ = std::move(reopened).value();
  EXPECT_EQ(Count("k"), 1);
}

TEST_F(PgTest, AnUnreachableServerIsUnavailableAtOnce) {
  PgOptions options;
  options.conninfo = "postgresql://nobody:x@127.0.0.1:1/none";
  auto c = PgConnection::Open(options);
  EXPECT_EQ(c.status().code(), StatusCode::kUnavailable);
  options.conninfo = options_.conninfo;
  const size_t at = options.conninfo.find(':', 13);  // postgresql://mlhub:<password>@...
  ASSERT_NE(at, std::string::npos);
  options.conninfo.insert(at + 1, "wrong");
  auto wrong = PgConnection::Open(options);
  EXPECT_EQ(wrong.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(wrong.status().message().find("password authentication failed"), std::string::npos)
      << wrong.status().message();
}

TEST_F(PgTest, MigrationsRacingOnAnEmptyDatabaseApplyOnce) {
  std::vector<std::unique_ptr<SqlDatabase>> dbs;
  for (int i = 0; i < 4; ++i) {
    auto db = OpenPostgresDatabase(options_);
    ASSERT_TRUE(db.ok());
    dbs.push_back(std::move(db).value());
  }
  std::vector<StatusOr<int>> results(dbs.size(), StatusOr<int>(0));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < dbs.size(); ++i) {
    threads.emplace_back([&, i] {
      MigrationContext context;
      context.default_artifact_root = "mlflow-artifacts:";
      context.now = 1;
      results[i] = MigrateSchema(*dbs[i], context);
    });
  }
  for (std::thread& t : threads) t.join();
  for (const auto& result : results) {
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_EQ(*result, LatestSchemaVersion());
  }
  EXPECT_EQ(Count("schema_migrations"), LatestSchemaVersion());
  EXPECT_EQ(Count("experiments"), 1);  // the Default experiment, once
}

// A metric write that had to wait for the run's lock must read the latest values as the writer
// before it left them (at READ COMMITTED a statement reads as of its own start, so the lock has
// to be taken by an earlier statement than the read).
TEST_F(PgTest, AWriterThatWaitedForTheRunLockSeesWhatThePreviousWriterCommitted) {
  StoreConfig config;
  config.backend_store_uri = options_.conninfo;
  auto store = OpenTrackingStore(config);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  NewExperiment experiment;
  experiment.name = "locks";
  const std::string experiment_id = (*store)->CreateExperiment(experiment).value();
  NewRun new_run;
  new_run.run_id = "0123456789abcdef0123456789abcdef";
  new_run.experiment_id = experiment_id;
  new_run.run_name = "r";
  new_run.start_time = 1;
  ASSERT_TRUE((*store)->CreateRun(new_run).ok());
  auto log = [&](double value, int64_t step) {
    RunBatch batch;
    batch.metrics.push_back({"m", value, 1000 + step, step});
    return (*store)->LogBatch(new_run.run_id, batch);
  };
  ASSERT_TRUE(log(1, 1).ok());

  // Another writer holds the run's lock, as a concurrent LogBatch would.
  auto holder = PgConnection::Open(options_);
  ASSERT_TRUE(holder.ok());
  ASSERT_TRUE((*holder)->Begin(TxnMode::kWrite).ok());
  ASSERT_TRUE((*holder)
                  ->Query("SELECT 1 FROM runs WHERE run_id = ? FOR NO KEY UPDATE", {new_run.run_id},
                          [](const SqlRow&) { return true; })
                  .ok());
  Status waited;
  std::thread writer([&] { waited = log(2, 2); });
  // Until the store's write waits for that lock (read from the server, not guessed by a clock).
  int64_t waiting = 0;
  for (int i = 0; i < 3000 && waiting == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_TRUE(admin_
                    ->Query("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = ? AND "
                            "wait_event_type = 'Lock'",
                            {name_},
                            [&](const SqlRow& r) {
                              waiting = r.GetInt(0);
                              return false;
                            })
                    .ok());
  }
  ASSERT_EQ(waiting, 1);
  // The holder's write: a newer latest point (as its own LogBatch would have left it).
  ASSERT_TRUE((*holder)
                  ->Execute("UPDATE latest_metrics SET value = 5, step = 5, timestamp = 1005 "
                            "WHERE key = 'm'")
                  .ok());
  ASSERT_TRUE((*holder)->Commit().ok());
  writer.join();
  ASSERT_TRUE(waited.ok()) << waited.ToString();
  const store::Run run = (*store)->GetRun(new_run.run_id).value();
  ASSERT_EQ(run.metrics.size(), 1u);
  EXPECT_EQ(run.metrics[0].step, 5);  // step 2 does not replace the newer step 5
  EXPECT_EQ(run.metrics[0].value, 5);
}

}  // namespace
}  // namespace mlhub::store
