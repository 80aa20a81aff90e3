// SPDX-License-Identifier: Apache-2.0
#include "store/sql_registry_store.h"

#include <optional>
#include <utility>

#include "store/schema.h"
#include "store/sql_registry_rows.h"
#include "store/sql_search_sql.h"
#include "store/sql_store_internal.h"

namespace mlhub::store {

namespace {

using registry_rows::FindModel;
using registry_rows::FindVersion;
using registry_rows::KeyedModel;
using registry_rows::kModelColumns;
using registry_rows::kVersionColumns;
using registry_rows::kVersionFrom;
using registry_rows::LoadLatestVersions;
using registry_rows::LoadModel;
using registry_rows::LoadModelExtras;
using registry_rows::LoadVersion;
using registry_rows::ModelExists;
using registry_rows::ModelLock;
using registry_rows::ModelNotFound;
using registry_rows::QueryVersions;
using registry_rows::ReadModel;
using registry_rows::TouchModel;
using registry_rows::UpsertTag;
using registry_rows::VersionNotFound;

std::string Str(std::string_view s) { return std::string(s); }

}  // namespace

StatusOr<std::unique_ptr<SqlRegistryStore>> SqlRegistryStore::Create(
    std::shared_ptr<SqlDatabase> db) {
  ASSIGN_OR_RETURN(int version, ReadSchemaVersion(*db));
  if (version != LatestSchemaVersion()) {
    return FailedPreconditionError(
        "database schema version " + std::to_string(version) + " does not match this mlhub (" +
        std::to_string(LatestSchemaVersion()) + "); run `mlhub db upgrade`");
  }
  return std::unique_ptr<SqlRegistryStore>(new SqlRegistryStore(std::move(db)));
}

StatusOr<RegisteredModel> SqlRegistryStore::CreateRegisteredModel(const NewRegisteredModel& model) {
  return db_->TransactValue(TxnMode::kWrite, [&](SqlConnection& c) -> StatusOr<RegisteredModel> {
    bool taken = false;
    RETURN_IF_ERROR(
        c.Query("SELECT 1 FROM registered_models WHERE name = ?", {model.name}, [&](const SqlRow&) {
          taken = true;
          return false;
        }));
    if (taken) return AlreadyExistsError(ModelExists(model.name));
    int64_t key = -1;
    Status inserted = c.Query(
        "INSERT INTO registered_models (name, creation_timestamp, last_updated_timestamp, "
        "description, user_id, next_version) VALUES (?, ?, ?, ?, ?, 1) RETURNING model_key",
        {model.name, model.now, model.now, model.description, model.user_id},
        [&](const SqlRow& row) {
          key = row.GetInt(0);
          return true;
        });
    // A concurrent writer (PostgreSQL) may have taken the name since the check above.
    if (inserted.code() == StatusCode::kAlreadyExists) {
      return AlreadyExistsError(ModelExists(model.name));
    }
    RETURN_IF_ERROR(inserted);
    for (const Tag& tag : model.tags) {
      RETURN_IF_ERROR(UpsertTag(c, "registered_model_tags", "model_key", key, tag));
    }
    return LoadModel(c, model.name);
  });
}

StatusOr<RegisteredModel> SqlRegistryStore::GetRegisteredModel(std::string_view name) {
  return db_->TransactValue(TxnMode::kRead, [&](SqlConnection& c) -> StatusOr<RegisteredModel> {
    return LoadModel(c, name);
  });
}

StatusOr<RegisteredModel> SqlRegistryStore::RenameRegisteredModel(std::string_view name,
                                                                  std::string_view new_name,
                                                                  int64_t now) {
  return db_->TransactValue(TxnMode::kWrite, [&](SqlConnection& c) -> StatusOr<RegisteredModel> {
    ASSIGN_OR_RETURN(int64_t key, FindModel(c, name, ModelLock::kForUpdate));
    std::optional<int64_t> holder;
    RETURN_IF_ERROR(c.Query("SELECT model_key FROM registered_models WHERE name = ?",
                            {Str(new_name)}, [&](const SqlRow& row) {
                              holder = row.GetInt(0);
                              return false;
                            }));
    if (holder.has_value() && *holder != key) return AlreadyExistsError(ModelExists(new_name));
    Status renamed = c.Execute(
        "UPDATE registered_models SET name = ?, last_updated_timestamp = ? WHERE model_key = ?",
        {Str(new_name), now, key});
    if (renamed.code() == StatusCode::kAlreadyExists) {  // taken concurrently (PostgreSQL)
      return AlreadyExistsError(ModelExists(new_name));
    }
    RETURN_IF_ERROR(renamed);
    return LoadModel(c, new_name);
  });
}

StatusOr<RegisteredModel> SqlRegistryStore::UpdateRegisteredModel(std::string_view name,
                                                                  std::string_view description,
                                                                  int64_t now) {
  return db_->TransactValue(TxnMode::kWrite, [&](SqlConnection& c) -> StatusOr<RegisteredModel> {
    ASSIGN_OR_RETURN(int64_t key, FindModel(c, name, ModelLock::kForUpdate));
    RETURN_IF_ERROR(c.ExecuteDeferred(
        "UPDATE registered_models SET description = ?, last_updated_timestamp = ? "
        "WHERE model_key = ?",
        {Str(description), now, key}));
    return LoadModel(c, name);
  });
}

Status SqlRegistryStore::DeleteRegisteredModel(std::string_view name) {
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    int64_t deleted = 0;
    RETURN_IF_ERROR(
        c.Execute("DELETE FROM registered_models WHERE name = ?", {Str(name)}, &deleted));
    if (deleted == 0) return NotFoundError(ModelNotFound(name));
    return OkStatus();
  });
}

StatusOr<RegisteredModelPage> SqlRegistryStore::SearchRegisteredModels(const RegistryQuery& query) {
  RETURN_IF_ERROR(internal::CheckPageWindow(query.max_results, query.offset));
  ASSIGN_OR_RETURN(
      SqlFragment sql,
      SearchPageSql(SearchTarget::kRegisteredModels, db_->dialect(),
                    std::string("SELECT ") + kModelColumns + " FROM registered_models m", "1 = 1",
                    query.filter, query.order_by, query.max_results, query.offset));
  RegisteredModelPage page;
  RETURN_IF_ERROR(db_->Transact(TxnMode::kRead, [&](SqlConnection& c) -> Status {
    std::vector<KeyedModel> found;
    RETURN_IF_ERROR(c.Query(sql.sql, sql.params, [&](const SqlRow& row) {
      found.push_back(ReadModel(row));
      return true;
    }));
    page = RegisteredModelPage();
    if (static_cast<int64_t>(found.size()) > query.max_results) {
      found.pop_back();
      page.next_offset = query.offset + query.max_results;
    }
    RETURN_IF_ERROR(LoadModelExtras(c, &found));
    for (KeyedModel& m : found) page.models.push_back(std::move(m.model));
    return OkStatus();
  }));
  return page;
}

StatusOr<std::vector<ModelVersion>> SqlRegistryStore::GetLatestVersions(
    std::string_view name, const std::vector<std::string>& stages) {
  std::vector<ModelVersion> out;
  RETURN_IF_ERROR(db_->Transact(TxnMode::kRead, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(int64_t key, FindModel(c, name));
    ASSIGN_OR_RETURN(auto latest, LoadLatestVersions(c, {key}));
    std::vector<ModelVersion>& versions = latest[key];
    out.clear();
    if (stages.empty()) {
      out = std::move(versions);
      return OkStatus();
    }
    for (const std::string& stage : stages) {
      for (ModelVersion& v : versions) {
        if (v.current_stage == stage) out.push_back(v);
      }
    }
    return OkStatus();
  }));
  return out;
}

Status SqlRegistryStore::SetRegisteredModelTag(std::string_view name, const Tag& tag) {
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(int64_t key, FindModel(c, name, ModelLock::kForUpdate));
    return UpsertTag(c, "registered_model_tags", "model_key", key, tag);
  });
}

Status SqlRegistryStore::DeleteRegisteredModelTag(std::string_view name, std::string_view key) {
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(int64_t model_key, FindModel(c, name, ModelLock::kForUpdate));
    return c.ExecuteDeferred("DELETE FROM registered_model_tags WHERE model_key = ? AND key = ?",
                             {model_key, Str(key)});
  });
}

Status SqlRegistryStore::SetAlias(std::string_view name, std::string_view alias, int64_t version) {
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(int64_t model_key, FindModel(c, name, ModelLock::kForUpdate));
    ASSIGN_OR_RETURN(int64_t version_key, FindVersion(c, model_key, name, version));
    return c.ExecuteDeferred(
        "INSERT INTO registered_model_aliases (model_key, alias, version_key) VALUES (?, ?, ?)" +
            c.dialect().UpsertSuffix("model_key, alias", {"version_key"}),
        {model_key, Str(alias), version_key});
  });
}

Status SqlRegistryStore::DeleteAlias(std::string_view name, std::string_view alias) {
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(int64_t model_key, FindModel(c, name, ModelLock::kForUpdate));
    return c.ExecuteDeferred(
        "DELETE FROM registered_model_aliases WHERE model_key = ? AND alias = ?",
        {model_key, Str(alias)});
  });
}

StatusOr<ModelVersion> SqlRegistryStore::GetVersionByAlias(std::string_view name,
                                                           std::string_view alias) {
  return db_->TransactValue(TxnMode::kRead, [&](SqlConnection& c) -> StatusOr<ModelVersion> {
    ASSIGN_OR_RETURN(int64_t model_key, FindModel(c, name));
    const std::string sql = std::string("SELECT ") + kVersionColumns + kVersionFrom +
                            " JOIN registered_model_aliases a ON a.version_key = v.version_key "
                            "WHERE a.model_key = ? AND a.alias = ?";
    const SqlValue params[] = {model_key, Str(alias)};
    ASSIGN_OR_RETURN(std::vector<ModelVersion> found, QueryVersions(c, sql, params));
    if (found.empty()) return NotFoundError("Registered model alias " + Str(alias) + " not found.");
    return std::move(found.front());
  });
}

StatusOr<ModelVersion> SqlRegistryStore::CreateModelVersion(const NewModelVersion& version) {
  return db_->TransactValue(TxnMode::kWrite, [&](SqlConnection& c) -> StatusOr<ModelVersion> {
    // Taking the number locks the model's row (concurrent creators take turns, and each reads
    // the number its predecessor left).
    std::optional<int64_t> model_key;
    int64_t number = 0;
    RETURN_IF_ERROR(
        c.Query("UPDATE registered_models SET next_version = next_version + 1, "
                "last_updated_timestamp = ? WHERE name = ? RETURNING model_key, next_version - 1",
                {version.now, version.name}, [&](const SqlRow& row) {
                  model_key = row.GetInt(0);
                  number = row.GetInt(1);
                  return true;
                }));
    if (!model_key.has_value()) return NotFoundError(ModelNotFound(version.name));
    int64_t version_key = -1;
    RETURN_IF_ERROR(c.Query(
        "INSERT INTO model_versions (model_key, version, creation_timestamp, "
        "last_updated_timestamp, user_id, current_stage, description, source, run_id, run_link, "
        "status, status_message, model_id, storage_location) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, 'READY', '', ?, ?) RETURNING version_key",
        {*model_key, number, version.now, version.now, version.user_id, Str(kStageNone),
         version.description, version.source, version.run_id, version.run_link, version.model_id,
         version.storage_location},
        [&](const SqlRow& row) {
          version_key = row.GetInt(0);
          return true;
        }));
    for (const Tag& tag : version.tags) {
      RETURN_IF_ERROR(UpsertTag(c, "model_version_tags", "version_key", version_key, tag));
    }
    return LoadVersion(c, version_key);
  });
}

StatusOr<ModelVersion> SqlRegistryStore::GetModelVersion(std::string_view name, int64_t version) {
  return db_->TransactValue(TxnMode::kRead, [&](SqlConnection& c) -> StatusOr<ModelVersion> {
    const std::string sql = std::string("SELECT ") + kVersionColumns + kVersionFrom +
                            " WHERE m.name = ? AND v.version = ?";
    const SqlValue params[] = {Str(name), version};
    ASSIGN_OR_RETURN(std::vector<ModelVersion> found, QueryVersions(c, sql, params));
    if (found.empty()) return NotFoundError(VersionNotFound(name, version));
    return std::move(found.front());
  });
}

StatusOr<ModelVersion> SqlRegistryStore::UpdateModelVersion(std::string_view name, int64_t version,
                                                            std::string_view description,
                                                            int64_t now) {
  return db_->TransactValue(TxnMode::kWrite, [&](SqlConnection& c) -> StatusOr<ModelVersion> {
    ASSIGN_OR_RETURN(int64_t model_key, FindModel(c, name, ModelLock::kForUpdate));
    ASSIGN_OR_RETURN(int64_t version_key, FindVersion(c, model_key, name, version));
    RETURN_IF_ERROR(
        c.ExecuteDeferred("UPDATE model_versions SET description = ?, last_updated_timestamp = ? "
                          "WHERE version_key = ?",
                          {Str(description), now, version_key}));
    return LoadVersion(c, version_key);
  });
}

StatusOr<ModelVersion> SqlRegistryStore::TransitionStage(std::string_view name, int64_t version,
                                                         std::string_view stage,
                                                         bool archive_existing, int64_t now) {
  return db_->TransactValue(TxnMode::kWrite, [&](SqlConnection& c) -> StatusOr<ModelVersion> {
    ASSIGN_OR_RETURN(int64_t model_key, FindModel(c, name, ModelLock::kForUpdate));
    ASSIGN_OR_RETURN(int64_t version_key, FindVersion(c, model_key, name, version));
    if (archive_existing) {
      RETURN_IF_ERROR(c.ExecuteDeferred(
          "UPDATE model_versions SET current_stage = ?, last_updated_timestamp = ? "
          "WHERE model_key = ? AND current_stage = ? AND version_key <> ?",
          {Str(kStageArchived), now, model_key, Str(stage), version_key}));
    }
    RETURN_IF_ERROR(
        c.ExecuteDeferred("UPDATE model_versions SET current_stage = ?, last_updated_timestamp = ? "
                          "WHERE version_key = ?",
                          {Str(stage), now, version_key}));
    RETURN_IF_ERROR(TouchModel(c, model_key, now));
    return LoadVersion(c, version_key);
  });
}

Status SqlRegistryStore::DeleteModelVersion(std::string_view name, int64_t version, int64_t now) {
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(int64_t model_key, FindModel(c, name, ModelLock::kForUpdate));
    ASSIGN_OR_RETURN(int64_t version_key, FindVersion(c, model_key, name, version));
    // Its tags and the aliases that point at it go with it (ON DELETE CASCADE).
    RETURN_IF_ERROR(
        c.ExecuteDeferred("DELETE FROM model_versions WHERE version_key = ?", {version_key}));
    return TouchModel(c, model_key, now);
  });
}

StatusOr<ModelVersionPage> SqlRegistryStore::SearchModelVersions(const RegistryQuery& query) {
  RETURN_IF_ERROR(internal::CheckPageWindow(query.max_results, query.offset));
  ASSIGN_OR_RETURN(SqlFragment sql,
                   SearchPageSql(SearchTarget::kModelVersions, db_->dialect(),
                                 std::string("SELECT ") + kVersionColumns + kVersionFrom, "1 = 1",
                                 query.filter, query.order_by, query.max_results, query.offset));
  ModelVersionPage page;
  RETURN_IF_ERROR(db_->Transact(TxnMode::kRead, [&](SqlConnection& c) -> Status {
    page = ModelVersionPage();
    ASSIGN_OR_RETURN(page.versions, QueryVersions(c, sql.sql, sql.params));
    if (static_cast<int64_t>(page.versions.size()) > query.max_results) {
      page.versions.pop_back();
      page.next_offset = query.offset + query.max_results;
    }
    return OkStatus();
  }));
  return page;
}

Status SqlRegistryStore::SetModelVersionTag(std::string_view name, int64_t version,
                                            const Tag& tag) {
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(int64_t model_key, FindModel(c, name, ModelLock::kForUpdate));
    ASSIGN_OR_RETURN(int64_t version_key, FindVersion(c, model_key, name, version));
    return UpsertTag(c, "model_version_tags", "version_key", version_key, tag);
  });
}

Status SqlRegistryStore::DeleteModelVersionTag(std::string_view name, int64_t version,
                                               std::string_view key) {
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(int64_t model_key, FindModel(c, name, ModelLock::kForUpdate));
    ASSIGN_OR_RETURN(int64_t version_key, FindVersion(c, model_key, name, version));
    return c.ExecuteDeferred("DELETE FROM model_version_tags WHERE version_key = ? AND key = ?",
                             {version_key, Str(key)});
  });
}

}  // namespace mlhub::store
