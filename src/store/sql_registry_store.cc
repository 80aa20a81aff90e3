// SPDX-License-Identifier: Apache-2.0
#include "store/sql_registry_store.h"

#include <algorithm>
#include <optional>
#include <unordered_map>
#include <utility>

#include "store/schema.h"
#include "store/sql_search_sql.h"
#include "store/sql_store_internal.h"

namespace mlhub::store {
namespace {

std::string Str(std::string_view s) { return std::string(s); }

std::string ModelNotFound(std::string_view name) {
  return "Registered Model with name=" + Str(name) + " not found";
}

std::string ModelExists(std::string_view name) {
  return "Registered Model (name=" + Str(name) + ") already exists.";
}

std::string VersionNotFound(std::string_view name, int64_t version) {
  return "Model Version (name=" + Str(name) + ", version=" + std::to_string(version) +
         ") not found";
}

constexpr const char* kAllStages[] = {kStageNone, kStageStaging, kStageProduction,
                                      kStageArchived};

// The columns ReadVersion reads, over `model_versions v JOIN registered_models m`.
constexpr char kVersionColumns[] =
    "v.version_key, m.name, v.version, v.creation_timestamp, v.last_updated_timestamp, "
    "v.user_id, v.current_stage, v.description, v.source, v.run_id, v.run_link, v.status, "
    "v.status_message";
constexpr char kVersionFrom[] =
    " FROM model_versions v JOIN registered_models m ON m.model_key = v.model_key";

struct KeyedVersion {
  int64_t version_key = 0;
  ModelVersion version;
};

KeyedVersion ReadVersion(const SqlRow& row) {
  KeyedVersion out;
  out.version_key = row.GetInt(0);
  ModelVersion& v = out.version;
  v.name = Str(row.GetText(1));
  v.version = row.GetInt(2);
  v.creation_timestamp = row.GetInt(3);
  v.last_updated_timestamp = row.GetInt(4);
  v.user_id = Str(row.GetText(5));
  v.current_stage = Str(row.GetText(6));
  v.description = Str(row.GetText(7));
  v.source = Str(row.GetText(8));
  v.run_id = Str(row.GetText(9));
  v.run_link = Str(row.GetText(10));
  v.status = Str(row.GetText(11));
  v.status_message = Str(row.GetText(12));
  return out;
}

// Fills the tags and alias names of each version.
Status LoadVersionExtras(SqlConnection& c, std::vector<KeyedVersion>* versions) {
  std::vector<int64_t> keys;
  std::unordered_map<int64_t, ModelVersion*> by_key;
  for (KeyedVersion& v : *versions) {
    keys.push_back(v.version_key);
    by_key.emplace(v.version_key, &v.version);
  }
  return internal::ForEachKeyBatch(keys, [&](std::string_view in, std::span<const SqlValue> p) {
    const std::string in_list(in);
    RETURN_IF_ERROR(c.QueryDeferred(
        "SELECT version_key, key, value FROM model_version_tags WHERE version_key IN (" + in_list +
            ") ORDER BY version_key, key",
        p, [&](const SqlRow& row) {
          auto found = by_key.find(row.GetInt(0));
          if (found != by_key.end()) {
            found->second->tags.push_back({Str(row.GetText(1)), Str(row.GetText(2))});
          }
          return true;
        }));
    return c.Query(
        "SELECT version_key, alias FROM registered_model_aliases WHERE version_key IN (" +
            in_list + ") ORDER BY version_key, alias",
        p, [&](const SqlRow& row) {
          auto found = by_key.find(row.GetInt(0));
          if (found != by_key.end()) found->second->aliases.push_back(Str(row.GetText(1)));
          return true;
        });
  });
}

// Runs a query over kVersionColumns / kVersionFrom and loads the versions it returns, with
// their tags and aliases.
StatusOr<std::vector<ModelVersion>> QueryVersions(SqlConnection& c, const std::string& sql,
                                                  std::span<const SqlValue> params) {
  std::vector<KeyedVersion> keyed;
  RETURN_IF_ERROR(c.Query(sql, params, [&](const SqlRow& row) {
    keyed.push_back(ReadVersion(row));
    return true;
  }));
  RETURN_IF_ERROR(LoadVersionExtras(c, &keyed));
  std::vector<ModelVersion> out;
  out.reserve(keyed.size());
  for (KeyedVersion& v : keyed) out.push_back(std::move(v.version));
  return out;
}

StatusOr<ModelVersion> LoadVersion(SqlConnection& c, int64_t version_key) {
  const std::string sql =
      std::string("SELECT ") + kVersionColumns + kVersionFrom + " WHERE v.version_key = ?";
  const SqlValue params[] = {version_key};
  ASSIGN_OR_RETURN(std::vector<ModelVersion> found, QueryVersions(c, sql, params));
  if (found.empty()) return InternalError("model version row vanished inside its transaction");
  return std::move(found.front());
}

// The newest version per stage of each model (model_key -> versions, in kAllStages order).
StatusOr<std::unordered_map<int64_t, std::vector<ModelVersion>>> LoadLatestVersions(
    SqlConnection& c, const std::vector<int64_t>& model_keys) {
  std::unordered_map<int64_t, std::vector<ModelVersion>> out;
  RETURN_IF_ERROR(
      internal::ForEachKeyBatch(model_keys, [&](std::string_view in, std::span<const SqlValue> p) {
        // An uncorrelated GROUP BY joined back: PostgreSQL plans a correlated MAX per row as
        // a subplan per version (measured: 2 s at 3,000 versions, against 2 ms like this).
        const std::string sql =
            std::string("SELECT ") + kVersionColumns + ", v.model_key" + kVersionFrom +
            " JOIN (SELECT model_key, MAX(version) AS version FROM model_versions "
            "WHERE model_key IN (" +
            Str(in) +
            ") GROUP BY model_key, current_stage) l "
            "ON l.model_key = v.model_key AND l.version = v.version";
        std::vector<KeyedVersion> keyed;
        std::vector<int64_t> owners;
        RETURN_IF_ERROR(c.Query(sql, p, [&](const SqlRow& row) {
          keyed.push_back(ReadVersion(row));
          owners.push_back(row.GetInt(13));
          return true;
        }));
        RETURN_IF_ERROR(LoadVersionExtras(c, &keyed));
        for (size_t i = 0; i < keyed.size(); ++i) {
          out[owners[i]].push_back(std::move(keyed[i].version));
        }
        return OkStatus();
      }));
  auto stage_rank = [](const ModelVersion& v) {
    for (size_t i = 0; i < std::size(kAllStages); ++i) {
      if (v.current_stage == kAllStages[i]) return i;
    }
    return std::size(kAllStages);
  };
  for (auto& [key, versions] : out) {
    std::sort(versions.begin(), versions.end(), [&](const ModelVersion& a, const ModelVersion& b) {
      return stage_rank(a) < stage_rank(b);
    });
  }
  return out;
}

// The columns ReadModel reads, over `registered_models m`.
constexpr char kModelColumns[] =
    "m.model_key, m.name, m.creation_timestamp, m.last_updated_timestamp, m.user_id, "
    "m.description";

struct KeyedModel {
  int64_t model_key = 0;
  RegisteredModel model;
};

KeyedModel ReadModel(const SqlRow& row) {
  KeyedModel out;
  out.model_key = row.GetInt(0);
  out.model.name = Str(row.GetText(1));
  out.model.creation_timestamp = row.GetInt(2);
  out.model.last_updated_timestamp = row.GetInt(3);
  out.model.user_id = Str(row.GetText(4));
  out.model.description = Str(row.GetText(5));
  return out;
}

// Fills each model's tags, aliases and latest versions.
Status LoadModelExtras(SqlConnection& c, std::vector<KeyedModel>* models) {
  std::vector<int64_t> keys;
  std::unordered_map<int64_t, RegisteredModel*> by_key;
  for (KeyedModel& m : *models) {
    keys.push_back(m.model_key);
    by_key.emplace(m.model_key, &m.model);
  }
  RETURN_IF_ERROR(
      internal::ForEachKeyBatch(keys, [&](std::string_view in, std::span<const SqlValue> p) {
        const std::string in_list(in);
        RETURN_IF_ERROR(c.QueryDeferred(
            "SELECT model_key, key, value FROM registered_model_tags WHERE model_key IN (" +
                in_list + ") ORDER BY model_key, key",
            p, [&](const SqlRow& row) {
              auto found = by_key.find(row.GetInt(0));
              if (found != by_key.end()) {
                found->second->tags.push_back({Str(row.GetText(1)), Str(row.GetText(2))});
              }
              return true;
            }));
        return c.Query(
            "SELECT a.model_key, a.alias, v.version FROM registered_model_aliases a "
            "JOIN model_versions v ON v.version_key = a.version_key WHERE a.model_key IN (" +
                in_list + ") ORDER BY a.model_key, a.alias",
            p, [&](const SqlRow& row) {
              auto found = by_key.find(row.GetInt(0));
              if (found != by_key.end()) {
                found->second->aliases.push_back({Str(row.GetText(1)), row.GetInt(2)});
              }
              return true;
            });
      }));
  ASSIGN_OR_RETURN(auto latest, LoadLatestVersions(c, keys));
  for (auto& [key, versions] : latest) {
    auto found = by_key.find(key);
    if (found != by_key.end()) found->second->latest_versions = std::move(versions);
  }
  return OkStatus();
}

StatusOr<RegisteredModel> LoadModel(SqlConnection& c, std::string_view name) {
  std::vector<KeyedModel> found;
  RETURN_IF_ERROR(c.Query(std::string("SELECT ") + kModelColumns +
                              " FROM registered_models m WHERE m.name = ?",
                          {Str(name)}, [&](const SqlRow& row) {
                            found.push_back(ReadModel(row));
                            return false;
                          }));
  if (found.empty()) return NotFoundError(ModelNotFound(name));
  RETURN_IF_ERROR(LoadModelExtras(c, &found));
  return std::move(found.front().model);
}

enum class ModelLock { kNone, kForUpdate };

// The model's key; kNotFound when there is no such model. kForUpdate (write transactions) first
// locks the model's row until the transaction ends, in a statement of its own: at READ COMMITTED
// each statement reads as of its own start, so reads that waited for the lock inside one
// statement would miss what the previous holder committed.
StatusOr<int64_t> FindModel(SqlConnection& c, std::string_view name,
                            ModelLock lock = ModelLock::kNone) {
  const std::string for_update = c.dialect().ForUpdate("m");
  if (lock == ModelLock::kForUpdate && !for_update.empty()) {
    RETURN_IF_ERROR(c.ExecuteDeferred(
        "SELECT 1 FROM registered_models m WHERE m.name = ?" + for_update, {Str(name)}));
  }
  std::optional<int64_t> key;
  RETURN_IF_ERROR(c.Query("SELECT model_key FROM registered_models WHERE name = ?", {Str(name)},
                          [&](const SqlRow& row) {
                            key = row.GetInt(0);
                            return false;
                          }));
  if (!key.has_value()) return NotFoundError(ModelNotFound(name));
  return *key;
}

StatusOr<int64_t> FindVersion(SqlConnection& c, int64_t model_key, std::string_view name,
                              int64_t version) {
  std::optional<int64_t> key;
  RETURN_IF_ERROR(c.Query("SELECT version_key FROM model_versions WHERE model_key = ? AND version = ?",
                          {model_key, version}, [&](const SqlRow& row) {
                            key = row.GetInt(0);
                            return false;
                          }));
  if (!key.has_value()) return NotFoundError(VersionNotFound(name, version));
  return *key;
}

Status TouchModel(SqlConnection& c, int64_t model_key, int64_t now) {
  return c.ExecuteDeferred(
      "UPDATE registered_models SET last_updated_timestamp = ? WHERE model_key = ?",
      {now, model_key});
}

Status UpsertTag(SqlConnection& c, std::string_view table, std::string_view owner_column,
                 int64_t owner, const Tag& tag) {
  const std::string sql = "INSERT INTO " + Str(table) + " (" + Str(owner_column) +
                          ", key, value) VALUES (?, ?, ?)" +
                          c.dialect().UpsertSuffix(Str(owner_column) + ", key", {"value"});
  return c.ExecuteDeferred(sql, {owner, tag.key, tag.value});
}


StatusOr<SqlFragment> BuildSearch(SearchTarget target, const SqlDialect& dialect,
                                  std::string select_from, const RegistryQuery& query) {
  RETURN_IF_ERROR(internal::CheckPageWindow(query.max_results, query.offset));
  SearchSqlBuilder builder(target, dialect);
  ASSIGN_OR_RETURN(std::vector<FilterClause> clauses, builder.SplitFilter(query.filter));
  ASSIGN_OR_RETURN(OrderSql order, builder.Order(query.order_by, 0, {}));
  SqlFragment sql;
  sql.sql = std::move(select_from);
  sql.Append(order.joins);
  sql.sql.append(" WHERE 1 = 1");
  for (const FilterClause& clause : clauses) {
    sql.Append(" AND ");
    sql.Append(clause.condition);
  }
  sql.sql.append(" ORDER BY ").append(order.terms).append(" LIMIT ? OFFSET ?");
  sql.params.emplace_back(query.max_results + 1);
  sql.params.emplace_back(query.offset);
  return sql;
}

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
  std::optional<RegisteredModel> out;
  RETURN_IF_ERROR(db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    bool taken = false;
    RETURN_IF_ERROR(c.Query("SELECT 1 FROM registered_models WHERE name = ?", {model.name},
                            [&](const SqlRow&) {
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
    ASSIGN_OR_RETURN(out, LoadModel(c, model.name));
    return OkStatus();
  }));
  return std::move(*out);
}

StatusOr<RegisteredModel> SqlRegistryStore::GetRegisteredModel(std::string_view name) {
  std::optional<RegisteredModel> out;
  RETURN_IF_ERROR(db_->Transact(TxnMode::kRead, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(out, LoadModel(c, name));
    return OkStatus();
  }));
  return std::move(*out);
}

StatusOr<RegisteredModel> SqlRegistryStore::RenameRegisteredModel(std::string_view name,
                                                                  std::string_view new_name,
                                                                  int64_t now) {
  std::optional<RegisteredModel> out;
  RETURN_IF_ERROR(db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
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
    ASSIGN_OR_RETURN(out, LoadModel(c, new_name));
    return OkStatus();
  }));
  return std::move(*out);
}

StatusOr<RegisteredModel> SqlRegistryStore::UpdateRegisteredModel(std::string_view name,
                                                                  std::string_view description,
                                                                  int64_t now) {
  std::optional<RegisteredModel> out;
  RETURN_IF_ERROR(db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(int64_t key, FindModel(c, name, ModelLock::kForUpdate));
    RETURN_IF_ERROR(c.ExecuteDeferred(
        "UPDATE registered_models SET description = ?, last_updated_timestamp = ? "
        "WHERE model_key = ?",
        {Str(description), now, key}));
    ASSIGN_OR_RETURN(out, LoadModel(c, name));
    return OkStatus();
  }));
  return std::move(*out);
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
  ASSIGN_OR_RETURN(SqlFragment sql,
                   BuildSearch(SearchTarget::kRegisteredModels, db_->dialect(),
                               std::string("SELECT ") + kModelColumns + " FROM registered_models m",
                               query));
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
  std::optional<ModelVersion> out;
  RETURN_IF_ERROR(db_->Transact(TxnMode::kRead, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(int64_t model_key, FindModel(c, name));
    const std::string sql = std::string("SELECT ") + kVersionColumns + kVersionFrom +
                            " JOIN registered_model_aliases a ON a.version_key = v.version_key "
                            "WHERE a.model_key = ? AND a.alias = ?";
    const SqlValue params[] = {model_key, Str(alias)};
    ASSIGN_OR_RETURN(std::vector<ModelVersion> found, QueryVersions(c, sql, params));
    if (found.empty()) return NotFoundError("Registered model alias " + Str(alias) + " not found.");
    out = std::move(found.front());
    return OkStatus();
  }));
  return std::move(*out);
}

StatusOr<ModelVersion> SqlRegistryStore::CreateModelVersion(const NewModelVersion& version) {
  std::optional<ModelVersion> out;
  RETURN_IF_ERROR(db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    // Taking the number locks the model's row (concurrent creators take turns, and each reads
    // the number its predecessor left).
    std::optional<int64_t> model_key;
    int64_t number = 0;
    RETURN_IF_ERROR(c.Query(
        "UPDATE registered_models SET next_version = next_version + 1, "
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
        "status, status_message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'READY', '') "
        "RETURNING version_key",
        {*model_key, number, version.now, version.now, version.user_id, Str(kStageNone),
         version.description, version.source, version.run_id, version.run_link},
        [&](const SqlRow& row) {
          version_key = row.GetInt(0);
          return true;
        }));
    for (const Tag& tag : version.tags) {
      RETURN_IF_ERROR(UpsertTag(c, "model_version_tags", "version_key", version_key, tag));
    }
    ASSIGN_OR_RETURN(out, LoadVersion(c, version_key));
    return OkStatus();
  }));
  return std::move(*out);
}

StatusOr<ModelVersion> SqlRegistryStore::GetModelVersion(std::string_view name, int64_t version) {
  std::optional<ModelVersion> out;
  RETURN_IF_ERROR(db_->Transact(TxnMode::kRead, [&](SqlConnection& c) -> Status {
    const std::string sql = std::string("SELECT ") + kVersionColumns + kVersionFrom +
                            " WHERE m.name = ? AND v.version = ?";
    const SqlValue params[] = {Str(name), version};
    ASSIGN_OR_RETURN(std::vector<ModelVersion> found, QueryVersions(c, sql, params));
    if (found.empty()) return NotFoundError(VersionNotFound(name, version));
    out = std::move(found.front());
    return OkStatus();
  }));
  return std::move(*out);
}

StatusOr<ModelVersion> SqlRegistryStore::UpdateModelVersion(std::string_view name, int64_t version,
                                                            std::string_view description,
                                                            int64_t now) {
  std::optional<ModelVersion> out;
  RETURN_IF_ERROR(db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(int64_t model_key, FindModel(c, name, ModelLock::kForUpdate));
    ASSIGN_OR_RETURN(int64_t version_key, FindVersion(c, model_key, name, version));
    RETURN_IF_ERROR(c.ExecuteDeferred(
        "UPDATE model_versions SET description = ?, last_updated_timestamp = ? "
        "WHERE version_key = ?",
        {Str(description), now, version_key}));
    ASSIGN_OR_RETURN(out, LoadVersion(c, version_key));
    return OkStatus();
  }));
  return std::move(*out);
}

StatusOr<ModelVersion> SqlRegistryStore::TransitionStage(std::string_view name, int64_t version,
                                                         std::string_view stage,
                                                         bool archive_existing, int64_t now) {
  std::optional<ModelVersion> out;
  RETURN_IF_ERROR(db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(int64_t model_key, FindModel(c, name, ModelLock::kForUpdate));
    ASSIGN_OR_RETURN(int64_t version_key, FindVersion(c, model_key, name, version));
    if (archive_existing) {
      RETURN_IF_ERROR(c.ExecuteDeferred(
          "UPDATE model_versions SET current_stage = ?, last_updated_timestamp = ? "
          "WHERE model_key = ? AND current_stage = ? AND version_key <> ?",
          {Str(kStageArchived), now, model_key, Str(stage), version_key}));
    }
    RETURN_IF_ERROR(c.ExecuteDeferred(
        "UPDATE model_versions SET current_stage = ?, last_updated_timestamp = ? "
        "WHERE version_key = ?",
        {Str(stage), now, version_key}));
    RETURN_IF_ERROR(TouchModel(c, model_key, now));
    ASSIGN_OR_RETURN(out, LoadVersion(c, version_key));
    return OkStatus();
  }));
  return std::move(*out);
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
  ASSIGN_OR_RETURN(SqlFragment sql,
                   BuildSearch(SearchTarget::kModelVersions, db_->dialect(),
                               std::string("SELECT ") + kVersionColumns + kVersionFrom, query));
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
