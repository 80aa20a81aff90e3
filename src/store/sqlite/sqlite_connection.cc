// SPDX-License-Identifier: Apache-2.0
#include "store/sqlite/sqlite_connection.h"

#include <sqlite3.h>

#include <string>
#include <utility>
#include <variant>

namespace mlhub::store {
namespace {

constexpr size_t kMaxCachedStatements = 256;

class SqliteDialectImpl final : public SqlDialect {
 public:
  std::string_view name() const override { return "sqlite"; }
  // Case-sensitive because every connection sets PRAGMA case_sensitive_like=ON.
  std::string CaseSensitiveLike(std::string_view expr) const override {
    return std::string(expr) + " LIKE ?";
  }
  std::string CaseInsensitiveLike(std::string_view expr) const override {
    return "LOWER(" + std::string(expr) + ") LIKE LOWER(?)";
  }
  // `||` is binary-safe in a UTF-8 database; the cast keeps the result a BLOB.
  std::string BlobAppend(std::string_view column, std::string_view value) const override {
    return "CAST(" + std::string(column) + " || " + std::string(value) + " AS BLOB)";
  }
  std::string ForUpdate(std::string_view) const override { return ""; }
  std::string_view OrderedJoin() const override { return " CROSS JOIN "; }
  std::string_view MigrationLock() const override { return ""; }
  std::string_view AutoIdPrimaryKey() const override { return "INTEGER PRIMARY KEY"; }
  std::string_view BlobType() const override { return "BLOB"; }
  std::string_view WithoutRowid() const override { return " WITHOUT ROWID"; }
  bool IndexesLongText() const override { return true; }
  bool UpdatesCopyRows() const override { return false; }
};

class SqliteRow final : public SqlRow {
 public:
  explicit SqliteRow(sqlite3_stmt* stmt) : stmt_(stmt) {}
  int size() const override { return sqlite3_column_count(stmt_); }
  bool IsNull(int column) const override {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
  }
  int64_t GetInt(int column) const override { return sqlite3_column_int64(stmt_, column); }
  double GetDouble(int column) const override { return sqlite3_column_double(stmt_, column); }
  std::string_view GetText(int column) const override {
    const unsigned char* text = sqlite3_column_text(stmt_, column);
    if (text == nullptr) return {};
    return {reinterpret_cast<const char*>(text),
            static_cast<size_t>(sqlite3_column_bytes(stmt_, column))};
  }
  std::string_view GetBlob(int column) const override {
    const void* blob = sqlite3_column_blob(stmt_, column);
    if (blob == nullptr) return {};
    return {static_cast<const char*>(blob),
            static_cast<size_t>(sqlite3_column_bytes(stmt_, column))};
  }

 private:
  sqlite3_stmt* stmt_;
};

bool IsMemoryPath(std::string_view path) { return path.empty() || path == ":memory:"; }

}  // namespace

const SqlDialect& SqliteDialect() {
  static const SqliteDialectImpl* const dialect = new SqliteDialectImpl();
  return *dialect;
}

// A prepared statement for the length of one call: a cached one is reset afterwards, a private
// one (its cached twin was busy in an enclosing query) is finalized.
class SqliteConnection::StatementUse {
 public:
  StatementUse(sqlite3_stmt* stmt, bool owned) : stmt_(stmt), owned_(owned) {}
  StatementUse(StatementUse&& other) noexcept
      : stmt_(std::exchange(other.stmt_, nullptr)), owned_(other.owned_) {}
  StatementUse& operator=(StatementUse&&) = delete;
  ~StatementUse() {
    if (stmt_ == nullptr) return;
    if (owned_) {
      sqlite3_finalize(stmt_);
    } else {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
  }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_;
  bool owned_;
};

StatusOr<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(const SqliteOptions& options) {
  const bool memory = IsMemoryPath(options.path);
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const std::string path = memory ? ":memory:" : options.path;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return UnavailableError("cannot open SQLite database '" + path + "': " + message);
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  std::unique_ptr<SqliteConnection> connection(new SqliteConnection(db));
  static constexpr const char* kFilePragmas[] = {
      "PRAGMA journal_mode=WAL",
      "PRAGMA mmap_size=268435456",
      // Checkpoint every 16k pages (64 MiB of WAL) instead of 1000: metric writes rewrite the same
      // hot pages over and over, and a checkpoint copies each distinct page once however often it
      // changed, so a longer interval turns most of that traffic into nothing.
      "PRAGMA wal_autocheckpoint=16384",
  };
  static constexpr const char* kPragmas[] = {
      "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON",   "PRAGMA case_sensitive_like=ON",
      "PRAGMA temp_store=MEMORY",  "PRAGMA cache_size=-16384",
  };
  if (!memory) {
    for (const char* pragma : kFilePragmas) {
      Status status = connection->Execute(pragma);
      if (!status.ok()) {
        return UnavailableError("cannot open SQLite database '" + path + "': " + status.message());
      }
    }
  }
  for (const char* pragma : kPragmas) {
    Status status = connection->Execute(pragma);
    if (!status.ok()) {
      return UnavailableError("cannot open SQLite database '" + path + "': " + status.message());
    }
  }
  // Pragmas are one-off statements: keep them out of the statement cache.
  connection->ClearCache();
  return connection;
}

SqliteConnection::~SqliteConnection() {
  ClearCache();
  sqlite3_close(db_);
}

void SqliteConnection::ClearCache() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  cache_.clear();
}

Status SqliteConnection::Error(int rc, std::string_view sql) const {
  std::string message = sqlite3_errmsg(db_);
  const int primary = rc & 0xff;
  switch (primary) {
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return AlreadyExistsError(message);
      }
      return InternalError("SQLite constraint failed: " + message);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return UnavailableError("SQLite database is busy: " + message);
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return UnavailableError("SQLite I/O error: " + message);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return {StatusCode::kDataLoss, "SQLite database is damaged: " + message};
    default:
      return InternalError("SQLite error: " + message + " in: " + std::string(sql.substr(0, 200)));
  }
}

StatusOr<SqliteConnection::StatementUse> SqliteConnection::Prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  bool cache_it = true;
  if (it != cache_.end()) {
    if (!sqlite3_stmt_busy(it->second)) return StatementUse(it->second, /*owned=*/false);
    cache_it = false;  // an enclosing query is stepping it
  } else if (cache_.size() >= kMaxCachedStatements) {
    if (depth_ > 1) {
      cache_it = false;  // enclosing calls may hold cached statements
    } else {
      ClearCache();
    }
  }
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              cache_it ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, &tail);
  if (rc != SQLITE_OK) return Error(rc, sql);
  if (stmt == nullptr) return InternalError("empty SQL statement");
  for (; tail != nullptr && tail < sql.data() + sql.size(); ++tail) {
    if (*tail != ' ' && *tail != '\n' && *tail != '\t' && *tail != ';') {
      sqlite3_finalize(stmt);
      return InternalError("more than one SQL statement in one call: " + std::string(sql));
    }
  }
  if (cache_it) cache_.emplace(std::string(sql), stmt);
  return StatementUse(stmt, /*owned=*/!cache_it);
}

Status SqliteConnection::Bind(sqlite3_stmt* stmt, std::span<const SqlValue> params) {
  const int expected = sqlite3_bind_parameter_count(stmt);
  if (expected != static_cast<int>(params.size())) {
    return InternalError("SQL statement takes " + std::to_string(expected) + " parameters, got " +
                         std::to_string(params.size()));
  }
  for (size_t i = 0; i < params.size(); ++i) {
    const int index = static_cast<int>(i) + 1;
    const SqlValue& value = params[i];
    int rc = SQLITE_OK;
    if (const auto* v = std::get_if<int64_t>(&value)) {
      rc = sqlite3_bind_int64(stmt, index, *v);
    } else if (const auto* d = std::get_if<double>(&value)) {
      rc = sqlite3_bind_double(stmt, index, *d);
    } else if (const auto* s = std::get_if<std::string>(&value)) {
      rc = sqlite3_bind_text64(stmt, index, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
    } else if (const auto* b = std::get_if<SqlBlob>(&value)) {
      rc = sqlite3_bind_blob64(stmt, index, b->bytes.data(), b->bytes.size(), SQLITE_STATIC);
    } else {
      rc = sqlite3_bind_null(stmt, index);
    }
    if (rc != SQLITE_OK) return Error(rc, "bind");
  }
  return OkStatus();
}

namespace {
struct DepthGuard {
  explicit DepthGuard(int* depth) : depth(depth) { ++*depth; }
  ~DepthGuard() { --*depth; }
  int* depth;
};
}  // namespace

Status SqliteConnection::Execute(std::string_view sql, std::span<const SqlValue> params,
                                 int64_t* rows_affected) {
  DepthGuard guard(&depth_);
  ASSIGN_OR_RETURN(StatementUse use, Prepare(sql));
  RETURN_IF_ERROR(Bind(use.get(), params));
  int rc;
  while ((rc = sqlite3_step(use.get())) == SQLITE_ROW) {
  }
  if (rc != SQLITE_DONE) return Error(rc, sql);
  if (rows_affected != nullptr) *rows_affected = sqlite3_changes64(db_);
  return OkStatus();
}

Status SqliteConnection::Query(std::string_view sql, std::span<const SqlValue> params,
                               const SqlRowCallback& on_row) {
  DepthGuard guard(&depth_);
  ASSIGN_OR_RETURN(StatementUse use, Prepare(sql));
  RETURN_IF_ERROR(Bind(use.get(), params));
  SqliteRow row(use.get());
  int rc;
  while ((rc = sqlite3_step(use.get())) == SQLITE_ROW) {
    if (!on_row(row)) return OkStatus();
  }
  if (rc != SQLITE_DONE) return Error(rc, sql);
  return OkStatus();
}

Status SqliteConnection::Begin(TxnMode mode) {
  return Execute(mode == TxnMode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN");
}

Status SqliteConnection::Commit() { return Execute("COMMIT"); }

Status SqliteConnection::Rollback() {
  if (sqlite3_get_autocommit(db_) != 0) return OkStatus();  // nothing open (failed COMMIT)
  return Execute("ROLLBACK");
}

StatusOr<std::unique_ptr<SqlDatabase>> OpenSqliteDatabase(const SqliteOptions& options) {
  SqlDatabase::Options pool;
  pool.max_pooled = options.max_readers;
  pool.single_writer = true;
  pool.reads_use_writer = IsMemoryPath(options.path);
  SqlDatabase::ConnectionFactory factory = [options]() -> StatusOr<std::unique_ptr<SqlConnection>> {
    ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> connection, SqliteConnection::Open(options));
    return std::unique_ptr<SqlConnection>(std::move(connection));
  };
  return SqlDatabase::Create(std::move(factory), pool);
}

}  // namespace mlhub::store
