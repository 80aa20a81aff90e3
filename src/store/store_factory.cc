// SPDX-License-Identifier: Apache-2.0
#include "store/store_factory.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "store/postgres/pg_connection.h"
#include "store/schema.h"
#include "store/sql_registry_store.h"
#include "store/sql_tracking_store.h"
#include "store/sqlite/sqlite_connection.h"

namespace mlhub::store {
namespace {

constexpr std::string_view kSupported =
    "supported backend store URIs are sqlite:///<relative path>, sqlite:////<absolute path>, "
    "sqlite:///:memory: (or sqlite://) and postgresql://<user>:<password>@<host>:<port>/<database>";

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

StatusOr<std::shared_ptr<SqlDatabase>> Open(const StoreConfig& config, const StoreLocation& at) {
  if (at.kind == StoreLocation::Kind::kPostgres) {
    PgOptions options;
    options.conninfo = at.conninfo;
    options.connect_timeout_s = config.connect_timeout_s;
    options.statement_timeout_s = config.statement_timeout_s;
    options.pool_size = config.pool_size;
    ASSIGN_OR_RETURN(std::unique_ptr<SqlDatabase> db, OpenPostgresDatabase(options));
    return std::shared_ptr<SqlDatabase>(std::move(db));
  }
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

// postgresql+psycopg2://... (SQLAlchemy) -> postgresql://... (libpq); nullopt if not PostgreSQL.
std::optional<std::string> PostgresConninfo(std::string_view uri) {
  const size_t scheme_end = uri.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  std::string_view scheme = uri.substr(0, scheme_end);
  scheme = scheme.substr(0, scheme.find('+'));  // drop the SQLAlchemy driver name
  if (scheme != "postgresql" && scheme != "postgres") return std::nullopt;
  return "postgresql" + std::string(uri.substr(scheme_end));
}

}  // namespace

std::string RedactBackendStoreUri(std::string_view uri) {
  const size_t scheme_end = uri.find("://");
  if (scheme_end == std::string_view::npos) return std::string(uri);
  const size_t authority = scheme_end + 3;
  const size_t authority_end = std::min(uri.find_first_of("/?", authority), uri.size());
  const size_t at = uri.rfind('@', authority_end);
  if (at == std::string_view::npos || at < authority) return std::string(uri);
  const size_t colon = uri.find(':', authority);
  if (colon == std::string_view::npos || colon > at) return std::string(uri);
  return std::string(uri.substr(0, colon + 1)) + "***" + std::string(uri.substr(at));
}

StatusOr<StoreLocation> ParseBackendStoreUri(std::string_view uri) {
  if (std::optional<std::string> conninfo = PostgresConninfo(uri)) {
    StoreLocation location;
    location.kind = StoreLocation::Kind::kPostgres;
    location.conninfo = std::move(*conninfo);
    return location;
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

StatusOr<Stores> OpenStores(const StoreConfig& config) {
  ASSIGN_OR_RETURN(std::shared_ptr<SqlDatabase> db, OpenSqlDatabase(config));
  RETURN_IF_ERROR(Migrate(*db, config).status());
  SqlTrackingStoreOptions options;
  options.default_artifact_root = config.default_artifact_root;
  options.clock = config.clock;
  Stores stores;
  ASSIGN_OR_RETURN(stores.tracking, SqlTrackingStore::Create(db, options));
  ASSIGN_OR_RETURN(stores.registry, SqlRegistryStore::Create(db));
  stores.database = std::move(db);
  return stores;
}

StatusOr<std::unique_ptr<TrackingStore>> OpenTrackingStore(const StoreConfig& config) {
  ASSIGN_OR_RETURN(Stores stores, OpenStores(config));
  return std::move(stores.tracking);
}

}  // namespace mlhub::store
