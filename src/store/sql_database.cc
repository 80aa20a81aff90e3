// SPDX-License-Identifier: Apache-2.0
#include "store/sql_database.h"

#include <string>
#include <thread>
#include <utility>

namespace mlhub::store {

SqlDatabase::Lease::Lease(SqlDatabase* db, std::unique_ptr<SqlConnection> pooled,
                          SqlConnection* writer, std::unique_lock<std::mutex> writer_lock)
    : db_(db),
      pooled_(std::move(pooled)),
      connection_(pooled_ ? pooled_.get() : writer),
      writer_lock_(std::move(writer_lock)) {}

SqlDatabase::Lease::Lease(Lease&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      pooled_(std::move(other.pooled_)),
      connection_(std::exchange(other.connection_, nullptr)),
      writer_lock_(std::move(other.writer_lock_)),
      discard_(other.discard_) {}

SqlDatabase::Lease::~Lease() {
  if (db_ != nullptr && pooled_ != nullptr) db_->Return(std::move(pooled_), discard_);
}

SqlDatabase::SqlDatabase(ConnectionFactory factory, const Options& options,
                         std::unique_ptr<SqlConnection> first)
    : factory_(std::move(factory)),
      options_(options),
      dialect_(&first->dialect()),
      writer_(options.single_writer || options.reads_use_writer ? std::move(first) : nullptr) {
  if (first != nullptr) {  // no dedicated writer: the first connection joins the pool
    idle_.push_back(std::move(first));
    open_pooled_ = 1;
  }
}

StatusOr<std::unique_ptr<SqlDatabase>> SqlDatabase::Create(ConnectionFactory factory,
                                                           const Options& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<SqlConnection> first, factory());
  Options effective = options;
  if (effective.max_pooled < 1) effective.max_pooled = 1;
  return std::unique_ptr<SqlDatabase>(
      new SqlDatabase(std::move(factory), effective, std::move(first)));
}

StatusOr<SqlDatabase::Lease> SqlDatabase::Acquire(TxnMode mode) {
  const bool use_writer =
      options_.reads_use_writer || (mode == TxnMode::kWrite && options_.single_writer);
  if (use_writer) {
    std::unique_lock<std::mutex> lock(writer_mu_);
    return Lease(this, nullptr, writer_.get(), std::move(lock));
  }
  std::unique_lock<std::mutex> lock(pool_mu_);
  if (!pool_cv_.wait_for(lock, options_.acquire_timeout,
                         [&] { return !idle_.empty() || open_pooled_ < options_.max_pooled; })) {
    return UnavailableError("all " + std::to_string(options_.max_pooled) +
                            " database connections are busy");
  }
  if (!idle_.empty()) {
    std::unique_ptr<SqlConnection> connection = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(connection), nullptr, {});
  }
  ++open_pooled_;
  lock.unlock();
  StatusOr<std::unique_ptr<SqlConnection>> opened = factory_();
  if (!opened.ok()) {
    lock.lock();
    --open_pooled_;
    pool_cv_.notify_one();
    return opened.status();
  }
  return Lease(this, std::move(opened).value(), nullptr, {});
}

void SqlDatabase::Return(std::unique_ptr<SqlConnection> connection, bool discard) {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (discard) {
      --open_pooled_;
    } else {
      idle_.push_back(std::move(connection));
    }
  }
  pool_cv_.notify_one();
  // A discarded connection closes here, outside the lock.
}

void SqlDatabase::DropIdle() {
  std::vector<std::unique_ptr<SqlConnection>> dropped;
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    dropped.swap(idle_);
    open_pooled_ -= static_cast<int>(dropped.size());
  }
  pool_cv_.notify_all();
  // They close here, outside the lock.
}

Status SqlDatabase::TransactOnce(TxnMode mode, const std::function<Status(SqlConnection&)>& body,
                                 bool* connection_was_dead) {
  ASSIGN_OR_RETURN(Lease lease, Acquire(mode));
  SqlConnection& connection = lease.connection();
  Status status = connection.Begin(mode);
  if (status.ok()) status = body(connection);
  if (status.ok()) {
    status = connection.Commit();
    if (status.ok()) return status;
    // A commit lost with its connection may still have happened: never retried as dead. (A
    // body's first statement needs an answer, so a dead pooled connection shows before COMMIT.)
  } else if (status.code() == StatusCode::kUnavailable && options_.retry_lost_connections) {
    // The connection died before COMMIT was sent, so the database rolled the transaction back:
    // safe to run it again on a fresh connection.
    *connection_was_dead = true;
  }
  if (!connection.Rollback().ok()) {
    lease.Discard();
    if (lease.pooled_ != nullptr) DropIdle();
  }
  return status;
}

Status SqlDatabase::TransactOne(TxnMode mode, const std::function<Status(SqlConnection&)>& body) {
  constexpr int kAbortedRetries = 3;
  bool retried_dead_connection = false;
  for (int attempt = 0;; ++attempt) {
    bool connection_was_dead = false;
    Status status = TransactOnce(mode, body, &connection_was_dead);
    if (connection_was_dead && !retried_dead_connection) {
      retried_dead_connection = true;
      DropIdle();
      continue;
    }
    // kAborted (deadlock, serialization failure) means the database rolled the transaction back,
    // also when COMMIT reports it, so running it again cannot apply it twice.
    if (status.code() == StatusCode::kAborted && attempt < kAbortedRetries) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1 << attempt));
      continue;
    }
    return status;
  }
}

Status SqlDatabase::Transact(TxnMode mode, const std::function<Status(SqlConnection&)>& body) {
  if (mode != TxnMode::kWrite || !options_.single_writer) return TransactOne(mode, body);
  PendingWrite self{&body, OkStatus()};
  std::unique_lock<std::mutex> lock(group_mu_);
  queued_writes_.push_back(&self);
  group_cv_.wait(lock, [&] { return self.done || !group_leader_active_; });
  if (self.done) return self.status;  // a leader committed it
  // Lead: take everything queued so far (this write included) and commit it as one group.
  group_leader_active_ = true;
  std::vector<PendingWrite*> group;
  group.swap(queued_writes_);
  lock.unlock();
  CommitGroup(group);
  lock.lock();
  for (PendingWrite* write : group) write->done = true;
  group_leader_active_ = false;
  lock.unlock();
  group_cv_.notify_all();
  return self.status;
}

void SqlDatabase::CommitGroup(const std::vector<PendingWrite*>& group) {
  if (group.size() == 1) {
    group[0]->status = TransactOne(TxnMode::kWrite, *group[0]->body);
    return;
  }
  auto fail_all = [&](const Status& status) {
    for (PendingWrite* write : group) write->status = status;
  };
  StatusOr<Lease> lease = Acquire(TxnMode::kWrite);
  if (!lease.ok()) return fail_all(lease.status());
  SqlConnection& connection = lease->connection();
  Status begun = connection.Begin(TxnMode::kWrite);
  if (!begun.ok()) return fail_all(begun);
  for (PendingWrite* write : group) {
    Status status = connection.Execute("SAVEPOINT mlhub_write", {});
    if (status.ok()) {
      status = (*write->body)(connection);
      if (!status.ok()) {
        Status undone = connection.Execute("ROLLBACK TO SAVEPOINT mlhub_write", {});
        if (!undone.ok()) {  // the transaction cannot be trusted any more: drop it all
          if (!connection.Rollback().ok()) lease->Discard();
          return fail_all(undone);
        }
      }
      Status released = connection.Execute("RELEASE SAVEPOINT mlhub_write", {});
      if (!released.ok()) {
        if (!connection.Rollback().ok()) lease->Discard();
        return fail_all(released);
      }
    }
    write->status = status;
  }
  Status committed = connection.Commit();
  if (!committed.ok()) {
    if (!connection.Rollback().ok()) lease->Discard();
    fail_all(committed);
  }
}

}  // namespace mlhub::store
