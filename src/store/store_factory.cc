// SPDX-License-Identifier: Apache-2.0
#include "store/store_factory.h"

#include <utility>

#include "store/schema.h"
#include "store/sql_tracking_store.h"
#include "store/sqlite/sqlite_connection.h"

namespace mlhub::store {
namespace {

constexpr std::string_view kSupported =
    "supported backend store URIs are sqlite:///<relative path>, sqlite:////<absolute path> and "
    "sqlite:///:memory: (or sqlite://)";

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

StatusOr<std::shared_ptr<SqlDatabase>> Open(const StoreConfig& config, const StoreLocation& at) {
  SqliteOptions options;
  options.path = at.kind == StoreLocation::Kind::kSqliteMemory ? ":memory:" : at.path;
  options.busy_timeout_ms = config.busy_timeout_ms;
  options.max_readers = config.pool_size;
  ASSIGN_OR_RETURN(std::unique_ptr<SqlDatabase> db, OpenSqliteDatabase(options));
  return std::shared_ptr<SqlDatabase>(std::move(db));
}

StatusOr<int> Migrate(SqlDatabase& db, const StoreConfig& config) {
  SystemClock system_clock;
  const Clock& clock = config.clock != nullptr ? *config.clock : system_clock;
  MigrationContext context;
  context.default_artifact_root = config.default_artifact_root;
  context.now = clock.NowMillis();
  return MigrateSchema(db, context);
}

}  // namespace

StatusOr<StoreLocation> ParseBackendStoreUri(std::string_view uri) {
  if (StartsWith(uri, "postgresql") || StartsWith(uri, "postgres:")) {
    return InvalidArgumentError("backend store URI '" + std::string(uri) +
                                "': postgresql:// is not supported yet; " +
                                std::string(kSupported));
  }
  std::string_view rest;
  if (StartsWith(uri, "sqlite://")) {
    rest = uri.substr(9);
  } else {
    return InvalidArgumentError("unsupported backend store URI '" + std::string(uri) +
                                "': " + std::string(kSupported));
  }
  // SQLAlchemy URL query options (?timeout=...) are not used.
  rest = rest.substr(0, rest.find('?'));
  StoreLocation location;
  if (rest.empty() || rest == "/" || rest == "/:memory:") {
    location.kind = StoreLocation::Kind::kSqliteMemory;
    return location;
  }
  if (rest.front() != '/') {
    return InvalidArgumentError("backend store URI '" + std::string(uri) + "' names a host; " +
                                std::string(kSupported));
  }
  location.kind = StoreLocation::Kind::kSqliteFile;
  location.path = std::string(rest.substr(1));  // "/rel.db" -> "rel.db", "//abs" -> "/abs"
  return location;
}

StatusOr<std::shared_ptr<SqlDatabase>> OpenSqlDatabase(const StoreConfig& config) {
  ASSIGN_OR_RETURN(StoreLocation location, ParseBackendStoreUri(config.backend_store_uri));
  return Open(config, location);
}

StatusOr<int> UpgradeDatabase(const StoreConfig& config) {
  ASSIGN_OR_RETURN(std::shared_ptr<SqlDatabase> db, OpenSqlDatabase(config));
  return Migrate(*db, config);
}

StatusOr<std::unique_ptr<TrackingStore>> OpenTrackingStore(const StoreConfig& config) {
  ASSIGN_OR_RETURN(std::shared_ptr<SqlDatabase> db, OpenSqlDatabase(config));
  RETURN_IF_ERROR(Migrate(*db, config).status());
  SqlTrackingStoreOptions options;
  options.default_artifact_root = config.default_artifact_root;
  options.clock = config.clock;
  ASSIGN_OR_RETURN(std::unique_ptr<SqlTrackingStore> store,
                   SqlTrackingStore::Create(std::move(db), options));
  return std::unique_ptr<TrackingStore>(std::move(store));
}

}  // namespace mlhub::store
