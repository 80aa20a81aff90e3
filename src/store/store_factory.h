// SPDX-License-Identifier: Apache-2.0
// OpenStores: turns a backend store URI (MLflow's SQLAlchemy spellings) into a migrated database
// and the tracking and registry stores over it. Thread-safe; the stores share the database's
// connections and borrow `clock`, which must outlive them.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "store/registry_store.h"
#include "store/sql_database.h"
#include "store/tracking_store.h"

namespace mlhub::store {

struct StoreConfig {
  // sqlite:///relative/path.db, sqlite:////absolute/path.db, sqlite:///:memory: or sqlite://
  // (in memory); postgresql://user:pass@host:port/db?libpq-options (also postgres:// and
  // SQLAlchemy's postgresql+<driver>://).
  std::string backend_store_uri = "sqlite:///mlhub.db";
  // New experiments without an artifact location get "<root>/<id>"; Default gets "<root>/0".
  std::string default_artifact_root = "mlflow-artifacts:";
  int pool_size = 8;             // SQLite: read connections (plus one writer); PostgreSQL: all
  int busy_timeout_ms = 10000;   // SQLite: waits on other processes' write locks
  int connect_timeout_s = 5;     // PostgreSQL: connecting, and waiting for a pooled connection
  int statement_timeout_s = 30;  // PostgreSQL: server-side statement_timeout (0: none)
  const Clock* clock = nullptr;  // null: the system clock
};

// What a backend store URI names.
struct StoreLocation {
  enum class Kind { kSqliteFile, kSqliteMemory, kPostgres };
  Kind kind = Kind::kSqliteMemory;
  std::string path;      // kSqliteFile
  std::string conninfo;  // kPostgres: a libpq connection URI
};

// kInvalidArgument for an unsupported or malformed URI, naming what is supported.
StatusOr<StoreLocation> ParseBackendStoreUri(std::string_view uri);

// The URI with any password replaced by "***", for logs and messages.
std::string RedactBackendStoreUri(std::string_view uri);

// Opens the database the config names, without touching its schema.
StatusOr<std::shared_ptr<SqlDatabase>> OpenSqlDatabase(const StoreConfig& config);

// Opens the database, applies pending migrations (`mlhub db upgrade` does only this) and
// returns the resulting schema version.
StatusOr<int> UpgradeDatabase(const StoreConfig& config);

// The stores over one database.
struct Stores {
  std::unique_ptr<TrackingStore> tracking;
  std::unique_ptr<RegistryStore> registry;
  std::shared_ptr<SqlDatabase> database;  // theirs, for other tables of the schema (users)
};

// Opens the database, applies pending migrations and returns the stores over it.
StatusOr<Stores> OpenStores(const StoreConfig& config);

// OpenStores' tracking store alone.
StatusOr<std::unique_ptr<TrackingStore>> OpenTrackingStore(const StoreConfig& config);

}  // namespace mlhub::store
