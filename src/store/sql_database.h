// SPDX-License-Identifier: Apache-2.0
// SqlDatabase: the connections to one database and the transactions that run on them.
// Thread-safe. Without `single_writer` (PostgreSQL) every transaction takes any pooled
// connection and the database runs writers concurrently. With `single_writer` (SQLite) every
// write transaction runs on one dedicated
// connection, one at a time behind an in-process mutex, so writers queue here instead of spinning
// in the database's busy handler; reads run concurrently on pooled connections of their own.
// Writers that queue meanwhile are committed together (group commit): the first in line runs the
// whole queue in one transaction, each write inside its own savepoint, so each stays atomic and
// fails alone, while the commit's locks and log writes are paid once for the group. Every write is
// acknowledged only after the commit that holds it.
// Owns its connections; the factory is called from whichever thread first needs a connection.
// A transaction whose connection turns out dead before its COMMIT (the server restarted) is
// retried once on a fresh one; one the database aborted (deadlock, serialization failure) is
// retried a few times.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <vector>

#include "common/status.h"
#include "store/sql_connection.h"

namespace mlhub::store {

class SqlDatabase {
 public:
  using ConnectionFactory = std::function<StatusOr<std::unique_ptr<SqlConnection>>()>;

  struct Options {
    // Pooled connections, opened on demand: SQLite's readers (beside the writer), or every
    // connection where there is no single writer (PostgreSQL).
    int max_pooled = 8;
    bool single_writer = true;      // writes on one dedicated connection (SQLite)
    bool reads_use_writer = false;  // reads too (an in-memory database has one connection)
    // Connections can be lost (a database over the network): a transaction whose connection
    // turns out dead before COMMIT is retried once on a fresh one.
    bool retry_lost_connections = false;
    // How long a transaction waits for a free pooled connection before kUnavailable.
    std::chrono::milliseconds acquire_timeout = std::chrono::minutes(10);
  };

  // A connection on loan; given back when the lease is destroyed.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&& other) = delete;
    Lease(const Lease&) = delete;
    ~Lease();
    SqlConnection& connection() { return *connection_; }
    // The connection is in an unknown state: close it instead of reusing it.
    void Discard() { discard_ = true; }

   private:
    friend class SqlDatabase;
    Lease(SqlDatabase* db, std::unique_ptr<SqlConnection> pooled, SqlConnection* writer,
          std::unique_lock<std::mutex> writer_lock);

    SqlDatabase* db_;
    std::unique_ptr<SqlConnection> pooled_;  // a pool connection, returned on destruction
    SqlConnection* connection_;
    std::unique_lock<std::mutex> writer_lock_;
    bool discard_ = false;
  };

  // Opens the first connection right away, so a bad path or URI fails here.
  static StatusOr<std::unique_ptr<SqlDatabase>> Create(ConnectionFactory factory,
                                                       const Options& options);

  // Runs `body` atomically: its changes are committed when it returns OK and rolled back otherwise.
  // Write bodies may share their transaction with other writers' bodies (see above), so a body
  // must not begin or end transactions itself.
  Status Transact(TxnMode mode, const std::function<Status(SqlConnection&)>& body);

  // Transact for a body that produces a value (a StatusOr): the value of the attempt that
  // committed, or the failure.
  template <typename Body>
  auto TransactValue(TxnMode mode, const Body& body)
      -> std::invoke_result_t<const Body&, SqlConnection&> {
    std::optional<std::invoke_result_t<const Body&, SqlConnection&>> out;
    RETURN_IF_ERROR(Transact(mode, [&](SqlConnection& c) -> Status {
      out.emplace(body(c));
      return out->status();
    }));
    return std::move(*out);
  }

  // A connection outside any transaction, for work that manages its own (migrations).
  StatusOr<Lease> Acquire(TxnMode mode);

  const SqlDialect& dialect() const { return *dialect_; }
  // Whether write transactions already share commits here (single_writer's group commit).
  bool groups_writes() const { return options_.single_writer; }

 private:
  SqlDatabase(ConnectionFactory factory, const Options& options,
              std::unique_ptr<SqlConnection> first);
  void Return(std::unique_ptr<SqlConnection> connection, bool discard);
  // Closes every idle pooled connection (after one was found dead, the others likely are too).
  void DropIdle();

  struct PendingWrite {
    const std::function<Status(SqlConnection&)>* body;
    Status status;
    bool done = false;
  };
  Status TransactOne(TxnMode mode, const std::function<Status(SqlConnection&)>& body);
  Status TransactOnce(TxnMode mode, const std::function<Status(SqlConnection&)>& body,
                      bool* connection_was_dead);
  // Runs `group` in one write transaction, setting each member's status.
  void CommitGroup(const std::vector<PendingWrite*>& group);

  const ConnectionFactory factory_;
  const Options options_;
  const SqlDialect* const dialect_;
  // The dedicated writer (single_writer or reads_use_writer); null otherwise.
  const std::unique_ptr<SqlConnection> writer_;
  std::mutex writer_mu_;  // held for the whole of a write transaction on writer_

  std::mutex group_mu_;
  std::condition_variable group_cv_;
  std::vector<PendingWrite*> queued_writes_;  // guarded by group_mu_
  bool group_leader_active_ = false;          // guarded by group_mu_

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<SqlConnection>> idle_;  // guarded by pool_mu_
  int open_pooled_ = 0;                               // guarded by pool_mu_
};

}  // namespace mlhub::store
