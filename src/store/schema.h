// SPDX-License-Identifier: Apache-2.0
// Versioned schema migrations of the SQL stores, recorded in the database itself
// (schema_migrations: version, description, applied_at). Each migration runs in its own write
// transaction and re-checks the version inside it after taking the dialect's migration lock (on
// PostgreSQL an advisory lock; SQLite's write lock serialises anyway), so several processes
// starting at once apply every migration exactly once. Each applied migration is logged.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "store/sql_database.h"

namespace mlhub::store {

struct MigrationContext {
  std::string default_artifact_root;  // the Default experiment "0" gets "<root>/0"
  int64_t now = 0;                    // ms; applied_at and the Default experiment's timestamps
};

// The newest schema version this binary knows.
int LatestSchemaVersion();

// The version recorded in the database; 0 for a database never migrated.
StatusOr<int> ReadSchemaVersion(SqlDatabase& db);

// Applies every pending migration and returns the resulting version. kFailedPrecondition when
// the database is newer than this binary ("upgrade mlhub").
StatusOr<int> MigrateSchema(SqlDatabase& db, const MigrationContext& context);

}  // namespace mlhub::store
