// SPDX-License-Identifier: Apache-2.0
// OpenTrackingStore: turns a backend store URI (MLflow's SQLAlchemy spellings) into a migrated,
// ready TrackingStore. Thread-safe; the returned store owns its database connections and borrows
// `clock`, which must outlive it.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "store/sql_database.h"
#include "store/tracking_store.h"

namespace mlhub::store {

struct StoreConfig {
  // sqlite:///relative/path.db, sqlite:////absolute/path.db, sqlite:///:memory: or sqlite://
  // (in memory). postgresql:// is reserved for a later driver.
  std::string backend_store_uri = "sqlite:///mlhub.db";
  // New experiments without an artifact location get "<root>/<id>"; Default gets "<root>/0".
  std::string default_artifact_root = "mlflow-artifacts:";
  int pool_size = 8;             // read connections (plus one writer)
  int busy_timeout_ms = 10000;   // waits on other processes' write locks
  const Clock* clock = nullptr;  // null: the system clock
};

// What a backend store URI names.
struct StoreLocation {
  enum class Kind { kSqliteFile, kSqliteMemory };
  Kind kind = Kind::kSqliteMemory;
  std::string path;  // kSqliteFile
};

// kInvalidArgument for an unsupported or malformed URI, naming what is supported.
StatusOr<StoreLocation> ParseBackendStoreUri(std::string_view uri);

// Opens the database the config names, without touching its schema.
StatusOr<std::shared_ptr<SqlDatabase>> OpenSqlDatabase(const StoreConfig& config);

// Opens the database, applies pending migrations (`mlhub db upgrade` does only this) and
// returns the resulting schema version.
StatusOr<int> UpgradeDatabase(const StoreConfig& config);

// Opens the database, applies pending migrations and returns the store.
StatusOr<std::unique_ptr<TrackingStore>> OpenTrackingStore(const StoreConfig& config);

}  // namespace mlhub::store
