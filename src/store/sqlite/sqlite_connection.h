// SPDX-License-Identifier: Apache-2.0
// SqliteConnection: the SQLite driver behind SqlConnection (sqlite3 C API). One connection is
// used by one thread at a time (opened with SQLITE_OPEN_NOMUTEX); it caches prepared statements.
// Every connection runs with WAL, synchronous=NORMAL, a busy timeout (so several processes can
// share a file), foreign keys on and case-sensitive LIKE (MLflow's LIKE semantics).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/status.h"
#include "store/sql_connection.h"
#include "store/sql_database.h"

struct sqlite3;
struct sqlite3_stmt;

namespace mlhub::store {

struct SqliteOptions {
  std::string path;  // a file path, or ":memory:" for a private in-memory database
  int busy_timeout_ms = 10000;
  int max_readers = 8;  // pooled read connections (files only)
};

// The dialect shared by every SQLite connection.
const SqlDialect& SqliteDialect();

class SqliteConnection final : public SqlConnection {
 public:
  static StatusOr<std::unique_ptr<SqliteConnection>> Open(const SqliteOptions& options);
  ~SqliteConnection() override;
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  using SqlConnection::Execute;
  using SqlConnection::ExecuteDeferred;
  using SqlConnection::QueryDeferred;
  using SqlConnection::Query;
  Status Execute(std::string_view sql, std::span<const SqlValue> params,
                 int64_t* rows_affected) override;
  Status Query(std::string_view sql, std::span<const SqlValue> params,
               const SqlRowCallback& on_row) override;
  Status Begin(TxnMode mode) override;
  Status Commit() override;
  Status Rollback() override;
  const SqlDialect& dialect() const override { return SqliteDialect(); }

  size_t CachedStatementCountForTest() const { return cache_.size(); }

 private:
  class StatementUse;
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  StatusOr<StatementUse> Prepare(std::string_view sql);
  Status Bind(sqlite3_stmt* stmt, std::span<const SqlValue> params);
  Status Error(int rc, std::string_view sql) const;
  void ClearCache();

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*, StringHash, std::equal_to<>> cache_;
  int depth_ = 0;  // nesting of Execute/Query calls (row callbacks may run statements)
};

// A SqlDatabase over a SQLite file: one writer connection behind a mutex plus up to
// `max_readers` read connections. For ":memory:" everything shares the one connection, since a
// private in-memory database exists only inside the connection that opened it.
StatusOr<std::unique_ptr<SqlDatabase>> OpenSqliteDatabase(const SqliteOptions& options);

}  // namespace mlhub::store
