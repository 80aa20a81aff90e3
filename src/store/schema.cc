// SPDX-License-Identifier: Apache-2.0
#include "store/schema.h"

#include <spdlog/spdlog.h>

#include <string_view>
#include <vector>

#include "store/store_util.h"

namespace mlhub::store {
namespace {

// Replaces the dialect words {AUTO_ID}, {BLOB} and {WITHOUT_ROWID} in DDL text.
std::string Ddl(std::string_view text, const SqlDialect& dialect) {
  struct Word {
    std::string_view token;
    std::string_view replacement;
  };
  const Word words[] = {{"{AUTO_ID}", dialect.AutoIdPrimaryKey()},
                        {"{BLOB}", dialect.BlobType()},
                        {"{WITHOUT_ROWID}", dialect.WithoutRowid()}};
  std::string out;
  out.reserve(text.size() + 32);
  size_t i = 0;
  while (i < text.size()) {
    bool replaced = false;
    if (text[i] == '{') {
      for (const Word& word : words) {
        if (text.substr(i, word.token.size()) == word.token) {
          out.append(word.replacement);
          i += word.token.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out.push_back(text[i++]);
  }
  return out;
}

// Version 1: experiments, runs, params, tags, metrics (latest values plus packed history
// chunks) and dataset inputs; the Default experiment.
//
// Runs are keyed inside the database by an integer run_key (the 32-character run_id is looked up
// once per call), which keeps the child tables' keys and indexes small. Metric history is stored
// as chunks of packed points, one row per (run, key) per write, so a 1000-point batch is one row.
constexpr const char* kV1Tables[] = {
    R"(CREATE TABLE experiments (
  experiment_id {AUTO_ID},
  name TEXT NOT NULL UNIQUE,
  artifact_location TEXT NOT NULL,
  lifecycle_stage TEXT NOT NULL,
  creation_time BIGINT NOT NULL,
  last_update_time BIGINT NOT NULL))",
    R"(CREATE TABLE experiment_tags (
  experiment_id BIGINT NOT NULL REFERENCES experiments (experiment_id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (experiment_id, key)){WITHOUT_ROWID})",
    R"(CREATE TABLE runs (
  run_key {AUTO_ID},
  run_id TEXT NOT NULL UNIQUE,
  experiment_id BIGINT NOT NULL REFERENCES experiments (experiment_id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  user_id TEXT NOT NULL,
  status TEXT NOT NULL,
  start_time BIGINT NOT NULL,
  end_time BIGINT,
  artifact_uri TEXT NOT NULL,
  lifecycle_stage TEXT NOT NULL,
  deleted_time BIGINT))",
    "CREATE INDEX runs_by_experiment ON runs (experiment_id, lifecycle_stage, start_time)",
    R"(CREATE TABLE params (
  run_key BIGINT NOT NULL REFERENCES runs (run_key) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_key, key)){WITHOUT_ROWID})",
    R"(CREATE TABLE tags (
  run_key BIGINT NOT NULL REFERENCES runs (run_key) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_key, key)){WITHOUT_ROWID})",
    // value is 0 when is_nan; tail_chunk / tail_points locate the chunk that later points of
    // this key may be appended to.
    R"(CREATE TABLE latest_metrics (
  run_key BIGINT NOT NULL REFERENCES runs (run_key) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value DOUBLE PRECISION NOT NULL,
  timestamp BIGINT NOT NULL,
  step BIGINT NOT NULL,
  is_nan INTEGER NOT NULL,
  tail_chunk BIGINT NOT NULL,
  tail_points INTEGER NOT NULL,
  PRIMARY KEY (run_key, key)){WITHOUT_ROWID})",
    "CREATE INDEX latest_metrics_by_key_value ON latest_metrics (key, is_nan, value)",
    // points: little-endian (timestamp int64, step int64, value double) records, in log order.
    R"(CREATE TABLE metric_chunks (
  chunk_id {AUTO_ID},
  run_key BIGINT NOT NULL REFERENCES runs (run_key) ON DELETE CASCADE,
  key TEXT NOT NULL,
  points {BLOB} NOT NULL))",
    "CREATE INDEX metric_chunks_by_key ON metric_chunks (run_key, key, chunk_id)",
    R"(CREATE TABLE datasets (
  dataset_id {AUTO_ID},
  experiment_id BIGINT NOT NULL REFERENCES experiments (experiment_id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  digest TEXT NOT NULL,
  source_type TEXT NOT NULL,
  source TEXT NOT NULL,
  dataset_schema TEXT NOT NULL,
  dataset_profile TEXT NOT NULL,
  UNIQUE (experiment_id, name, digest)))",
    R"(CREATE TABLE run_inputs (
  input_id {AUTO_ID},
  run_key BIGINT NOT NULL REFERENCES runs (run_key) ON DELETE CASCADE,
  dataset_id BIGINT NOT NULL REFERENCES datasets (dataset_id) ON DELETE CASCADE,
  UNIQUE (run_key, dataset_id)))",
    R"(CREATE TABLE input_tags (
  input_id BIGINT NOT NULL REFERENCES run_inputs (input_id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (input_id, key)){WITHOUT_ROWID})",
};

// Search indexes over text values, where the database can index values of any length.
constexpr const char* kV1TextValueIndexes[] = {
    "CREATE INDEX params_by_key_value ON params (key, value)",
    "CREATE INDEX tags_by_key_value ON tags (key, value)",
};

Status MigrateToV1(SqlConnection& connection, const MigrationContext& context) {
  for (const char* statement : kV1Tables) {
    RETURN_IF_ERROR(connection.Execute(Ddl(statement, connection.dialect())));
  }
  if (connection.dialect().IndexesLongText()) {
    for (const char* statement : kV1TextValueIndexes)
      RETURN_IF_ERROR(connection.Execute(statement));
  }
  return connection.Execute(
      "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, "
      "creation_time, last_update_time) VALUES (0, 'Default', ?, 'active', ?, ?)",
      {JoinArtifactUri(context.default_artifact_root, "0"), context.now, context.now});
}

// Version 2: the model registry. Models and versions are keyed inside the database by integers
// (model_key, version_key), so a rename touches one row. registered_models.next_version is the
// number the next version gets: it only grows, so numbers are never reused after a delete, and
// taking it (an UPDATE) locks the model's row, so concurrent creators get distinct numbers. An
// alias references its version's row and goes with it.
constexpr const char* kV2Tables[] = {
    R"(CREATE TABLE registered_models (
  model_key {AUTO_ID},
  name TEXT NOT NULL UNIQUE,
  creation_timestamp BIGINT NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  description TEXT NOT NULL,
  user_id TEXT NOT NULL,
  next_version BIGINT NOT NULL))",
    R"(CREATE TABLE registered_model_tags (
  model_key BIGINT NOT NULL REFERENCES registered_models (model_key) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (model_key, key)){WITHOUT_ROWID})",
    R"(CREATE TABLE model_versions (
  version_key {AUTO_ID},
  model_key BIGINT NOT NULL REFERENCES registered_models (model_key) ON DELETE CASCADE,
  version BIGINT NOT NULL,
  creation_timestamp BIGINT NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  user_id TEXT NOT NULL,
  current_stage TEXT NOT NULL,
  description TEXT NOT NULL,
  source TEXT NOT NULL,
  run_id TEXT NOT NULL,
  run_link TEXT NOT NULL,
  status TEXT NOT NULL,
  status_message TEXT NOT NULL,
  UNIQUE (model_key, version)))",
    "CREATE INDEX model_versions_by_update ON model_versions (last_updated_timestamp)",
    R"(CREATE TABLE model_version_tags (
  version_key BIGINT NOT NULL REFERENCES model_versions (version_key) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (version_key, key)){WITHOUT_ROWID})",
    R"(CREATE TABLE registered_model_aliases (
  model_key BIGINT NOT NULL REFERENCES registered_models (model_key) ON DELETE CASCADE,
  alias TEXT NOT NULL,
  version_key BIGINT NOT NULL REFERENCES model_versions (version_key) ON DELETE CASCADE,
  PRIMARY KEY (model_key, alias)){WITHOUT_ROWID})",
    "CREATE INDEX registered_model_aliases_by_version ON registered_model_aliases (version_key)",
};

// Runs DDL statements in order, with the dialect's words filled in.
template <size_t N>
Status RunDdl(SqlConnection& connection, const char* const (&statements)[N]) {
  for (const char* statement : statements) {
    RETURN_IF_ERROR(connection.Execute(Ddl(statement, connection.dialect())));
  }
  return OkStatus();
}

Status MigrateToV2(SqlConnection& connection, const MigrationContext&) {
  return RunDdl(connection, kV2Tables);
}

// Users and permissions of `mlhub server --auth basic` (MLflow's basic-auth app): in the
// metadata database, so every replica sees the same ones.
const char* const kV3Tables[] = {
    R"(CREATE TABLE users (
  user_id {AUTO_ID},
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  is_admin INTEGER NOT NULL DEFAULT 0))",
    R"(CREATE TABLE experiment_permissions (
  experiment_id TEXT NOT NULL,
  user_id BIGINT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
  permission TEXT NOT NULL,
  PRIMARY KEY (experiment_id, user_id)){WITHOUT_ROWID})",
    "CREATE INDEX experiment_permissions_by_user ON experiment_permissions (user_id)",
    R"(CREATE TABLE registered_model_permissions (
  name TEXT NOT NULL,
  user_id BIGINT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
  permission TEXT NOT NULL,
  PRIMARY KEY (name, user_id)){WITHOUT_ROWID})",
    "CREATE INDEX registered_model_permissions_by_user ON registered_model_permissions (user_id)",
};

Status MigrateToV3(SqlConnection& connection, const MigrationContext&) {
  return RunDdl(connection, kV3Tables);
}

// Version 4: MLflow 3's logged models (with their tags, params and metrics), the models runs
// name as inputs and outputs, and the logged model a registered version comes from
// (model_versions.model_id, and storage_location: where its files are, which get-download-uri
// answers).
const char* const kV4Tables[] = {
    R"(CREATE TABLE logged_models (
  model_id TEXT NOT NULL PRIMARY KEY,
  experiment_id BIGINT NOT NULL REFERENCES experiments (experiment_id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  artifact_location TEXT NOT NULL,
  creation_timestamp_ms BIGINT NOT NULL,
  last_updated_timestamp_ms BIGINT NOT NULL,
  status INTEGER NOT NULL,
  status_message TEXT NOT NULL,
  model_type TEXT NOT NULL,
  source_run_id TEXT NOT NULL))",
    "CREATE INDEX logged_models_by_experiment ON logged_models (experiment_id, "
    "creation_timestamp_ms)",
    R"(CREATE TABLE logged_model_tags (
  model_id TEXT NOT NULL REFERENCES logged_models (model_id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (model_id, key)){WITHOUT_ROWID})",
    R"(CREATE TABLE logged_model_params (
  model_id TEXT NOT NULL REFERENCES logged_models (model_id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (model_id, key)){WITHOUT_ROWID})",
    R"(CREATE TABLE logged_model_metrics (
  model_id TEXT NOT NULL REFERENCES logged_models (model_id) ON DELETE CASCADE,
  metric_id {AUTO_ID},
  key TEXT NOT NULL,
  value DOUBLE PRECISION NOT NULL,
  is_nan INTEGER NOT NULL,
  timestamp BIGINT NOT NULL,
  step BIGINT NOT NULL,
  run_id TEXT NOT NULL,
  dataset_name TEXT NOT NULL,
  dataset_digest TEXT NOT NULL))",
    // Also finds a point again by its step and timestamp (duplicates are not stored twice).
    "CREATE INDEX logged_model_metrics_by_model ON logged_model_metrics (model_id, key, step, "
    "timestamp)",
    R"(CREATE TABLE run_model_inputs (
  run_key BIGINT NOT NULL REFERENCES runs (run_key) ON DELETE CASCADE,
  model_id TEXT NOT NULL REFERENCES logged_models (model_id) ON DELETE CASCADE,
  PRIMARY KEY (run_key, model_id)){WITHOUT_ROWID})",
    R"(CREATE TABLE run_model_outputs (
  run_key BIGINT NOT NULL REFERENCES runs (run_key) ON DELETE CASCADE,
  model_id TEXT NOT NULL REFERENCES logged_models (model_id) ON DELETE CASCADE,
  step BIGINT NOT NULL,
  PRIMARY KEY (run_key, model_id)){WITHOUT_ROWID})",
    "ALTER TABLE model_versions ADD COLUMN model_id TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE model_versions ADD COLUMN storage_location TEXT NOT NULL DEFAULT ''",
};

Status MigrateToV4(SqlConnection& connection, const MigrationContext&) {
  return RunDdl(connection, kV4Tables);
}

// Version 5: MLflow's traces: their info, tags, request metadata and assessments, and the runs
// they are linked to. Spans are files in the artifact store.
const char* const kV5Tables[] = {
    R"(CREATE TABLE trace_info (
  trace_id TEXT NOT NULL PRIMARY KEY,
  experiment_id BIGINT NOT NULL REFERENCES experiments (experiment_id) ON DELETE CASCADE,
  client_request_id TEXT NOT NULL,
  request_time_ms BIGINT NOT NULL,
  execution_duration_ms BIGINT,
  state TEXT NOT NULL,
  request_preview TEXT NOT NULL,
  response_preview TEXT NOT NULL))",
    "CREATE INDEX trace_info_by_time ON trace_info (experiment_id, request_time_ms)",
    R"(CREATE TABLE trace_tags (
  trace_id TEXT NOT NULL REFERENCES trace_info (trace_id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (trace_id, key)){WITHOUT_ROWID})",
    R"(CREATE TABLE trace_metadata (
  trace_id TEXT NOT NULL REFERENCES trace_info (trace_id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (trace_id, key)){WITHOUT_ROWID})",
    R"(CREATE TABLE trace_run_links (
  trace_id TEXT NOT NULL REFERENCES trace_info (trace_id) ON DELETE CASCADE,
  run_id TEXT NOT NULL,
  PRIMARY KEY (trace_id, run_id)){WITHOUT_ROWID})",
    "CREATE INDEX trace_run_links_by_run ON trace_run_links (run_id)",
    // metadata: a JSON object of strings; value: the feedback or expectation object's JSON.
    R"(CREATE TABLE trace_assessments (
  assessment_id TEXT NOT NULL PRIMARY KEY,
  trace_id TEXT NOT NULL REFERENCES trace_info (trace_id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  span_id TEXT NOT NULL,
  source_type TEXT NOT NULL,
  source_id TEXT NOT NULL,
  create_time_ms BIGINT NOT NULL,
  last_update_time_ms BIGINT NOT NULL,
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  rationale TEXT NOT NULL,
  metadata TEXT NOT NULL,
  overrides TEXT NOT NULL,
  valid INTEGER NOT NULL))",
    "CREATE INDEX trace_assessments_by_trace ON trace_assessments (trace_id, create_time_ms)",
};

Status MigrateToV5(SqlConnection& connection, const MigrationContext&) {
  return RunDdl(connection, kV5Tables);
}

struct Migration {
  int version;
  const char* description;
  Status (*apply)(SqlConnection& connection, const MigrationContext& context);
};

const std::vector<Migration>& Migrations() {
  static const auto* const migrations = new std::vector<Migration>{
      {1, "experiments, runs, params, tags, chunked metrics, inputs", &MigrateToV1},
      {2, "model registry: registered models, versions, tags, aliases", &MigrateToV2},
      {3, "authentication: users, experiment and registered model permissions", &MigrateToV3},
      {4, "logged models (MLflow 3), run outputs, model versions from logged models", &MigrateToV4},
      {5, "traces: info, tags, request metadata, assessments, links to runs", &MigrateToV5},
  };
  return *migrations;
}

constexpr const char* kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
    "description TEXT NOT NULL, applied_at BIGINT NOT NULL)";

// Inside a write transaction: waits until no other process is migrating this database (a no-op
// where write transactions are serialised anyway).
Status LockMigrations(SqlConnection& connection) {
  const std::string_view lock = connection.dialect().MigrationLock();
  if (lock.empty()) return OkStatus();
  return connection.Query(lock, {}, [](const SqlRow&) { return false; });
}

StatusOr<int> CurrentVersion(SqlConnection& connection) {
  int version = 0;
  RETURN_IF_ERROR(connection.Query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {},
                                   [&](const SqlRow& row) {
                                     version = static_cast<int>(row.GetInt(0));
                                     return false;
                                   }));
  return version;
}

Status CheckNotNewer(int version) {
  if (version > LatestSchemaVersion()) {
    return FailedPreconditionError("database schema version " + std::to_string(version) +
                                   " is newer than this mlhub (" +
                                   std::to_string(LatestSchemaVersion()) + "); upgrade mlhub");
  }
  return OkStatus();
}

}  // namespace

int LatestSchemaVersion() { return Migrations().back().version; }

StatusOr<int> ReadSchemaVersion(SqlDatabase& db) {
  int version = 0;
  RETURN_IF_ERROR(db.Transact(TxnMode::kWrite, [&](SqlConnection& connection) -> Status {
    RETURN_IF_ERROR(LockMigrations(connection));
    RETURN_IF_ERROR(connection.Execute(kCreateMigrationsTable));
    ASSIGN_OR_RETURN(version, CurrentVersion(connection));
    return OkStatus();
  }));
  return version;
}

StatusOr<int> MigrateSchema(SqlDatabase& db, const MigrationContext& context) {
  ASSIGN_OR_RETURN(int version, ReadSchemaVersion(db));
  RETURN_IF_ERROR(CheckNotNewer(version));
  for (const Migration& migration : Migrations()) {
    if (migration.version <= version) continue;
    bool applied_here = false;
    RETURN_IF_ERROR(db.Transact(TxnMode::kWrite, [&](SqlConnection& connection) -> Status {
      applied_here = false;  // (the body may run again after a lost connection)
      // Another process may have got here first.
      RETURN_IF_ERROR(LockMigrations(connection));
      ASSIGN_OR_RETURN(int current, CurrentVersion(connection));
      RETURN_IF_ERROR(CheckNotNewer(current));
      if (current >= migration.version) return OkStatus();
      Status applied = migration.apply(connection, context);
      if (!applied.ok()) {
        return Status(applied.code(), "schema migration " + std::to_string(migration.version) +
                                          " failed: " + applied.message());
      }
      applied_here = true;
      return connection.Execute(
          "INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)",
          {int64_t{migration.version}, std::string(migration.description), context.now});
    }));
    if (applied_here) {
      spdlog::info("applied schema migration {} ({})", migration.version, migration.description);
    }
    version = migration.version;
  }
  return version;
}

}  // namespace mlhub::store
