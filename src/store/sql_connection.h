// SPDX-License-Identifier: Apache-2.0
// SqlConnection: the small driver interface the SQL stores are written against (SQLite and
// PostgreSQL). SQL text uses `?` placeholders; values are always bound, never spliced in.
// A connection is used by one thread at a time (SqlDatabase hands them out); it caches prepared
// statements. SqlDialect describes the few places where the SQL text differs between databases.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "common/status.h"

namespace mlhub::store {

// Bytes bound as a BLOB (a std::string would bind as TEXT).
struct SqlBlob {
  std::string bytes;
};

// A value bound to one `?`. std::monostate binds NULL.
using SqlValue = std::variant<std::monostate, int64_t, double, std::string, SqlBlob>;

// One result row, valid only inside the row callback. Columns are 0-based.
class SqlRow {
 public:
  virtual ~SqlRow() = default;
  virtual int size() const = 0;
  virtual bool IsNull(int column) const = 0;
  virtual int64_t GetInt(int column) const = 0;
  virtual double GetDouble(int column) const = 0;
  virtual std::string_view GetText(int column) const = 0;
  virtual std::string_view GetBlob(int column) const = 0;
};

// Called once per result row; returning false stops the query early (not an error).
using SqlRowCallback = std::function<bool(const SqlRow&)>;

enum class TxnMode {
  kRead,   // a consistent snapshot; SQLite: BEGIN (deferred)
  kWrite,  // takes the write lock up front; SQLite: BEGIN IMMEDIATE
};

// The text that differs between SQL dialects. Expressions are returned with `?` placeholders
// still in them; the driver rewrites `?` to its own style (e.g. `$1`) when it prepares.
class SqlDialect {
 public:
  virtual ~SqlDialect() = default;
  virtual std::string_view name() const = 0;
  // `expr LIKE ?`, matching case-sensitively (MLflow's LIKE).
  virtual std::string CaseSensitiveLike(std::string_view expr) const = 0;
  // `expr ILIKE ?`, matching case-insensitively.
  virtual std::string CaseInsensitiveLike(std::string_view expr) const = 0;
  // An expression: blob `column` with blob `value` appended.
  virtual std::string BlobAppend(std::string_view column, std::string_view value) const = 0;
  // The clause that locks the selected rows of table `alias` until the transaction ends, where
  // row locks are needed to read-modify-write; "" where the database serialises writers anyway.
  virtual std::string ForUpdate(std::string_view alias) const = 0;
  // The join that keeps its left side as the outer loop of the plan: SQLite's CROSS JOIN does
  // that; PostgreSQL plans a plain JOIN itself (and allows no ON after CROSS JOIN).
  virtual std::string_view OrderedJoin() const = 0;
  // A statement that, run first in a write transaction, serialises schema migrations across
  // processes until that transaction ends; "" where write transactions are serialised anyway.
  virtual std::string_view MigrationLock() const = 0;

  // DDL vocabulary for migrations.
  virtual std::string_view AutoIdPrimaryKey() const = 0;  // a 64-bit key the database assigns
  virtual std::string_view BlobType() const = 0;
  virtual std::string_view WithoutRowid() const = 0;  // table suffix for small composite-key rows
  // Whether an UPDATE writes a whole new version of the row (PostgreSQL's MVCC) rather than
  // changing it in place (SQLite): growing a row is then dearer than inserting a small one.
  virtual bool UpdatesCopyRows() const = 0;
  // Whether a B-tree index can hold text values of any length (param values run to 6000
  // characters, tag values further): SQLite's can, PostgreSQL's entries must fit in a third of a
  // page (about 2.7 kB), so there params and tags are found through their primary keys only.
  virtual bool IndexesLongText() const = 0;

  // ` ON CONFLICT (conflict_columns) DO UPDATE SET c = excluded.c, ...` (both SQLite and
  // PostgreSQL spell upserts this way).
  virtual std::string UpsertSuffix(std::string_view conflict_columns,
                                   std::initializer_list<std::string_view> update_columns) const;
};

class SqlConnection {
 public:
  virtual ~SqlConnection() = default;

  // Runs one statement. `rows_affected` (nullable) receives the number of rows it changed.
  virtual Status Execute(std::string_view sql, std::span<const SqlValue> params,
                         int64_t* rows_affected) = 0;
  // Runs one statement whose outcome the caller needs only at the end of the transaction. A
  // driver may send it without waiting (PostgreSQL queues it to travel with the next statement
  // that needs an answer, at the latest COMMIT); its error then comes from that later call, and
  // fails the transaction all the same. Not for statements whose error the caller handles.
  virtual Status ExecuteDeferred(std::string_view sql, std::span<const SqlValue> params) {
    return Execute(sql, params, nullptr);
  }
  // Runs one query whose rows the caller needs only by its next non-deferred call on this
  // connection. A driver may send it without waiting (PostgreSQL: with the next statement that
  // needs an answer) and call `on_row` during that later call; errors surface there too. So
  // `on_row`, and what it captures, must live until then, and it must not run statements; rows
  // not yet delivered when the transaction ends are dropped.
  virtual Status QueryDeferred(std::string_view sql, std::span<const SqlValue> params,
                               SqlRowCallback on_row) {
    return Query(sql, params, on_row);
  }
  // Runs one statement and calls `on_row` for each result row. `on_row` may run other
  // statements on this connection.
  virtual Status Query(std::string_view sql, std::span<const SqlValue> params,
                       const SqlRowCallback& on_row) = 0;
  virtual Status Begin(TxnMode mode) = 0;
  virtual Status Commit() = 0;
  virtual Status Rollback() = 0;
  virtual const SqlDialect& dialect() const = 0;

  // Conveniences over the above.
  Status Execute(std::string_view sql, std::span<const SqlValue> params) {
    return Execute(sql, params, nullptr);
  }
  Status Execute(std::string_view sql, std::initializer_list<SqlValue> params = {},
                 int64_t* rows_affected = nullptr) {
    return Execute(sql, std::span<const SqlValue>(params.begin(), params.size()), rows_affected);
  }
  Status ExecuteDeferred(std::string_view sql, std::initializer_list<SqlValue> params) {
    return ExecuteDeferred(sql, std::span<const SqlValue>(params.begin(), params.size()));
  }
  Status QueryDeferred(std::string_view sql, std::initializer_list<SqlValue> params,
                       SqlRowCallback on_row) {
    return QueryDeferred(sql, std::span<const SqlValue>(params.begin(), params.size()),
                         std::move(on_row));
  }
  Status Query(std::string_view sql, std::initializer_list<SqlValue> params,
               const SqlRowCallback& on_row) {
    return Query(sql, std::span<const SqlValue>(params.begin(), params.size()), on_row);
  }
};

// "?, ?, ?" with `count` placeholders.
std::string SqlPlaceholders(size_t count);

}  // namespace mlhub::store
