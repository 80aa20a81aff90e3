// SPDX-License-Identifier: Apache-2.0
// Internals of SqlRegistryStore (not part of the store's API): the row shapes of registered
// models and versions, lookups with MLflow's error messages, and the batched loading of tags,
// aliases and latest versions. Functions run on a connection the caller holds in a transaction.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "store/registry_types.h"
#include "store/sql_connection.h"

namespace mlhub::store::registry_rows {

std::string ModelNotFound(std::string_view name);
std::string ModelExists(std::string_view name);
std::string VersionNotFound(std::string_view name, int64_t version);

// The columns QueryVersions reads, over kVersionFrom (`model_versions v JOIN registered_models m`).
inline constexpr char kVersionColumns[] =
    "v.version_key, m.name, v.version, v.creation_timestamp, v.last_updated_timestamp, "
    "v.user_id, v.current_stage, v.description, v.source, v.run_id, v.run_link, v.status, "
    "v.status_message, v.model_id, v.storage_location";
inline constexpr int kVersionColumnCount = 15;  // the columns of kVersionColumns
inline constexpr char kVersionFrom[] =
    " FROM model_versions v JOIN registered_models m ON m.model_key = v.model_key";

struct KeyedVersion {
  int64_t version_key = 0;
  ModelVersion version;
};

// Runs a query selecting kVersionColumns (first) and loads the versions it returns, with their
// tags and aliases.
StatusOr<std::vector<ModelVersion>> QueryVersions(SqlConnection& c, const std::string& sql,
                                                  std::span<const SqlValue> params);
StatusOr<ModelVersion> LoadVersion(SqlConnection& c, int64_t version_key);
// The newest version per stage of each model (model_key -> versions, stages in MLflow's order
// None, Staging, Production, Archived).
StatusOr<std::unordered_map<int64_t, std::vector<ModelVersion>>> LoadLatestVersions(
    SqlConnection& c, const std::vector<int64_t>& model_keys);

// The columns ReadModel reads, over `registered_models m`.
inline constexpr char kModelColumns[] =
    "m.model_key, m.name, m.creation_timestamp, m.last_updated_timestamp, m.user_id, "
    "m.description";

struct KeyedModel {
  int64_t model_key = 0;
  RegisteredModel model;
};

KeyedModel ReadModel(const SqlRow& row);
// Fills each model's tags, aliases and latest versions.
Status LoadModelExtras(SqlConnection& c, std::vector<KeyedModel>* models);
// The whole model; kNotFound in MLflow's words.
StatusOr<RegisteredModel> LoadModel(SqlConnection& c, std::string_view name);

enum class ModelLock { kNone, kForUpdate };

// The model's key; kNotFound when there is no such model. kForUpdate (write transactions) first
// locks the model's row until the transaction ends, in a statement of its own: at READ COMMITTED
// each statement reads as of its own start, so reads that waited for the lock inside one
// statement would miss what the previous holder committed.
StatusOr<int64_t> FindModel(SqlConnection& c, std::string_view name,
                            ModelLock lock = ModelLock::kNone);
// The version's key; kNotFound in MLflow's words.
StatusOr<int64_t> FindVersion(SqlConnection& c, int64_t model_key, std::string_view name,
                              int64_t version);

Status TouchModel(SqlConnection& c, int64_t model_key, int64_t now);
// Inserts or overwrites a tag of `table` (registered_model_tags / model_version_tags).
Status UpsertTag(SqlConnection& c, std::string_view table, std::string_view owner_column,
                 int64_t owner, const Tag& tag);

}  // namespace mlhub::store::registry_rows
