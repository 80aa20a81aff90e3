// SPDX-License-Identifier: Apache-2.0
// PgConnection: the PostgreSQL driver behind SqlConnection (libpq). One connection is used by one
// thread at a time. Every statement is prepared once per connection (server-side, named) and run
// with binary parameters and results; `?` placeholders are rewritten to `$n`. Parameter types are
// part of the prepared statement, so a statement is cached per (SQL text, parameter types).
//
// Errors map to Status codes the API layer understands: a connection that is refused, lost or
// shut down is kUnavailable (503, retried by clients); a statement timeout is kDeadlineExceeded;
// a unique violation is kAlreadyExists; serialization failures and deadlocks are kAborted (the
// database retries those transactions); invalid text (NUL bytes, bad UTF-8) is kInvalidArgument.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "store/sql_connection.h"
#include "store/sql_database.h"

struct pg_conn;
struct pg_result;

namespace mlhub::store {

struct PgOptions {
  // A libpq connection URI (postgresql://user:pass@host:port/db?sslmode=...) or key=value string.
  std::string conninfo;
  int connect_timeout_s = 5;     // libpq connect_timeout (and how long a request waits for a slot)
  int statement_timeout_s = 30;  // server-side statement_timeout; 0 = none
  int pool_size = 8;             // connections, opened on demand
};

// The dialect shared by every PostgreSQL connection.
const SqlDialect& PostgresDialect();

class PgConnection final : public SqlConnection {
 public:
  static StatusOr<std::unique_ptr<PgConnection>> Open(const PgOptions& options);
  ~PgConnection() override;
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  using SqlConnection::Execute;
  using SqlConnection::ExecuteDeferred;
  using SqlConnection::Query;
  using SqlConnection::QueryDeferred;
  Status Execute(std::string_view sql, std::span<const SqlValue> params,
                 int64_t* rows_affected) override;
  Status ExecuteDeferred(std::string_view sql, std::span<const SqlValue> params) override;
  Status QueryDeferred(std::string_view sql, std::span<const SqlValue> params,
                       SqlRowCallback on_row) override;
  Status Query(std::string_view sql, std::span<const SqlValue> params,
               const SqlRowCallback& on_row) override;
  Status Begin(TxnMode mode) override;
  Status Commit() override;
  Status Rollback() override;
  const SqlDialect& dialect() const override { return PostgresDialect(); }

  size_t CachedStatementCountForTest() const { return statements_.size(); }

 private:
  struct ResultDeleter {
    void operator()(pg_result* result) const;
  };
  using Result = std::unique_ptr<pg_result, ResultDeleter>;

  explicit PgConnection(pg_conn* conn) : conn_(conn) {}
  // Prepares (or finds) the statement and runs it with `params`; the result holds its rows.
  StatusOr<Result> Run(std::string_view sql, std::span<const SqlValue> params);
  // The server-side name of the statement, prepared now if need be.
  StatusOr<const std::string*> Prepare(std::string_view sql, std::span<const SqlValue> params);
  StatusOr<const std::string*> Prepared(std::string_view sql, std::span<const SqlValue> params);
  // The statement-cache key of (sql, parameter types), in key_buffer_.
  const std::string& StatementKey(std::string_view sql, std::span<const SqlValue> params);
  // Pipeline mode: statements are sent without waiting; Sync sends them off and reads every
  // result, returning the first error (and, in `last`, the last statement's result), and hands
  // deferred queries' rows to their callbacks (not from Commit or Rollback).
  Status Send(const char* sql);
  Status SendPrepared(const std::string& name, std::span<const SqlValue> params,
                      SqlRowCallback on_row);
  Status Sync(Result* last, bool deliver_rows = true);
  // Runs a statement without parameters or rows (transaction control), unprepared.
  Status Command(const char* sql);
  Status Error(const pg_result* result, std::string_view sql) const;

  pg_conn* conn_;
  const char* pending_begin_ = nullptr;  // BEGIN still to be sent, with the next statement
  bool in_pipeline_ = false;
  // Statements sent in the pipeline whose results are unread, in order: for a deferred query the
  // callback its rows go to, else empty.
  std::vector<SqlRowCallback> in_flight_;
  // (SQL text + '\0' + parameter type signature) -> server-side statement name
  std::unordered_map<std::string, std::string> statements_;
  int next_statement_ = 0;
  std::string key_buffer_;  // reused for statement-cache lookups
};

// Round trips are what a transaction costs here, so few are made (libpq pipeline mode): BEGIN
// travels with the transaction's first statement, and deferred statements (ExecuteDeferred)
// travel with the next statement that needs an answer, at the latest with COMMIT.
//
// Rewrites `?` placeholders (outside quoted literals and identifiers) to `$1`, `$2`, ...
std::string RewritePlaceholders(std::string_view sql);

// A SqlDatabase over PostgreSQL: up to `pool_size` connections, each used for reads and writes
// (PostgreSQL runs writers concurrently; row locks and constraints keep them correct). Opens one
// connection right away, so a bad URI, password or unreachable server fails here.
StatusOr<std::unique_ptr<SqlDatabase>> OpenPostgresDatabase(const PgOptions& options);

}  // namespace mlhub::store
