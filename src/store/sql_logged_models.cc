// SPDX-License-Identifier: Apache-2.0
// SqlTrackingStore: MLflow 3's logged models and the run outputs that name them.
//
// A search loads the models of the experiments asked for, then filters and orders them in
// memory (logged_model_search.h).
#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <utility>

#include "store/logged_model_search.h"
#include "store/sql_store_internal.h"
#include "store/sql_tracking_store.h"
#include "store/store_util.h"

namespace mlhub::store {
namespace {

std::string Str(std::string_view s) { return std::string(s); }

std::string ModelNotFound(std::string_view model_id) {
  return "Logged model with ID '" + Str(model_id) + "' not found.";
}

constexpr char kModelColumns[] =
    "model_id, experiment_id, name, artifact_location, creation_timestamp_ms, "
    "last_updated_timestamp_ms, status, status_message, model_type, source_run_id";

LoggedModel ReadModelRow(const SqlRow& row) {
  LoggedModel model;
  model.model_id = Str(row.GetText(0));
  model.experiment_id = std::to_string(row.GetInt(1));
  model.name = Str(row.GetText(2));
  model.artifact_location = Str(row.GetText(3));
  model.creation_timestamp_ms = row.GetInt(4);
  model.last_updated_timestamp_ms = row.GetInt(5);
  const int64_t status = row.GetInt(6);
  model.status = status >= 0 && status <= 3 ? static_cast<LoggedModelStatus>(status)
                                            : LoggedModelStatus::kUnspecified;
  model.status_message = Str(row.GetText(7));
  model.model_type = Str(row.GetText(8));
  model.source_run_id = Str(row.GetText(9));
  return model;
}

// The models `where` selects (with their tags and params), in no particular order.
StatusOr<std::vector<LoggedModel>> LoadModels(SqlConnection& c, const std::string& where,
                                              std::vector<SqlValue> params) {
  std::vector<LoggedModel> models;
  RETURN_IF_ERROR(
      c.Query(std::string("SELECT ") + kModelColumns + " FROM logged_models WHERE " + where, params,
              [&](const SqlRow& row) {
                models.push_back(ReadModelRow(row));
                return true;
              }));
  if (models.empty()) return models;
  std::unordered_map<std::string, LoggedModel*> by_id;
  for (LoggedModel& model : models) by_id.emplace(model.model_id, &model);
  const std::string ids = "SELECT model_id FROM logged_models WHERE " + where;
  // Tags and params: (key, value) rows of each model, sorted by key.
  auto load_pairs = [&](const char* table, auto LoggedModel::*member) {
    return c.Query(std::string("SELECT model_id, key, value FROM ") + table +
                       " WHERE model_id IN (" + ids + ") ORDER BY key",
                   params, [&](const SqlRow& row) {
                     auto it = by_id.find(Str(row.GetText(0)));
                     if (it != by_id.end()) {
                       (it->second->*member).push_back({Str(row.GetText(1)), Str(row.GetText(2))});
                     }
                     return true;
                   });
  };
  RETURN_IF_ERROR(load_pairs("logged_model_tags", &LoggedModel::tags));
  RETURN_IF_ERROR(load_pairs("logged_model_params", &LoggedModel::params));
  RETURN_IF_ERROR(c.Query(
      "SELECT model_id, key, value, is_nan, timestamp, step, run_id, dataset_name, dataset_digest "
      "FROM logged_model_metrics WHERE model_id IN (" +
          ids + ") ORDER BY metric_id",
      params, [&](const SqlRow& row) {
        auto it = by_id.find(Str(row.GetText(0)));
        if (it == by_id.end()) return true;
        ModelMetric m;
        m.model_id = it->first;
        m.metric.key = Str(row.GetText(1));
        m.metric.value =
            row.GetInt(3) != 0 ? std::numeric_limits<double>::quiet_NaN() : row.GetDouble(2);
        m.metric.timestamp = row.GetInt(4);
        m.metric.step = row.GetInt(5);
        m.run_id = Str(row.GetText(6));
        m.dataset_name = Str(row.GetText(7));
        m.dataset_digest = Str(row.GetText(8));
        it->second->metrics.push_back(std::move(m));
        return true;
      }));
  return models;
}

StatusOr<LoggedModel> LoadModel(SqlConnection& c, std::string_view model_id) {
  ASSIGN_OR_RETURN(std::vector<LoggedModel> found, LoadModels(c, "model_id = ?", {Str(model_id)}));
  if (found.empty()) return NotFoundError(ModelNotFound(model_id));
  return std::move(found.front());
}

// kNotFound unless the model exists.
Status RequireModel(SqlConnection& c, std::string_view model_id) {
  bool exists = false;
  RETURN_IF_ERROR(c.Query("SELECT 1 FROM logged_models WHERE model_id = ?", {Str(model_id)},
                          [&](const SqlRow&) {
                            exists = true;
                            return false;
                          }));
  return exists ? OkStatus() : NotFoundError(ModelNotFound(model_id));
}

// kNotFound unless the model exists; then stamps its last update.
Status TouchModel(SqlConnection& c, std::string_view model_id, int64_t now) {
  int64_t changed = 0;
  RETURN_IF_ERROR(
      c.Execute("UPDATE logged_models SET last_updated_timestamp_ms = ? WHERE model_id = ?",
                {now, Str(model_id)}, &changed));
  if (changed == 0) return NotFoundError(ModelNotFound(model_id));
  return OkStatus();
}

Status UpsertModelTag(SqlConnection& c, std::string_view model_id, const Tag& tag) {
  return c.Execute("INSERT INTO logged_model_tags (model_id, key, value) VALUES (?, ?, ?)" +
                       c.dialect().UpsertSuffix("model_id, key", {"value"}),
                   {Str(model_id), tag.key, tag.value});
}

}  // namespace

Status SqlTrackingStore::CreateLoggedModel(const LoggedModel& model) {
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(internal::ExperimentState experiment,
                     internal::LoadExperimentState(c, model.experiment_id));
    RETURN_IF_ERROR(internal::CheckExperimentActive(experiment));
    RETURN_IF_ERROR(c.Execute(std::string("INSERT INTO logged_models (") + kModelColumns +
                                  ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              {model.model_id, experiment.id, model.name, model.artifact_location,
                               model.creation_timestamp_ms, model.last_updated_timestamp_ms,
                               static_cast<int64_t>(model.status), model.status_message,
                               model.model_type, model.source_run_id}));
    for (const Tag& tag : model.tags) RETURN_IF_ERROR(UpsertModelTag(c, model.model_id, tag));
    for (const Param& param : model.params) {
      RETURN_IF_ERROR(
          c.Execute("INSERT INTO logged_model_params (model_id, key, value) VALUES (?, ?, ?)" +
                        c.dialect().UpsertSuffix("model_id, key", {"value"}),
                    {model.model_id, param.key, param.value}));
    }
    return OkStatus();
  });
}

StatusOr<LoggedModel> SqlTrackingStore::GetLoggedModel(std::string_view model_id) {
  LoggedModel model;
  RETURN_IF_ERROR(db_->Transact(TxnMode::kRead, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(model, LoadModel(c, model_id));
    return OkStatus();
  }));
  return model;
}

StatusOr<std::string> SqlTrackingStore::GetLoggedModelExperiment(std::string_view model_id) {
  std::optional<std::string> experiment;
  RETURN_IF_ERROR(db_->Transact(TxnMode::kRead, [&](SqlConnection& c) -> Status {
    return c.Query("SELECT experiment_id FROM logged_models WHERE model_id = ?", {Str(model_id)},
                   [&](const SqlRow& row) {
                     experiment = std::to_string(row.GetInt(0));
                     return false;
                   });
  }));
  if (!experiment.has_value()) return NotFoundError(ModelNotFound(model_id));
  return *experiment;
}

StatusOr<LoggedModel> SqlTrackingStore::SetLoggedModelStatus(std::string_view model_id,
                                                             LoggedModelStatus status,
                                                             int64_t now) {
  LoggedModel model;
  RETURN_IF_ERROR(db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    RETURN_IF_ERROR(TouchModel(c, model_id, now));
    RETURN_IF_ERROR(c.Execute("UPDATE logged_models SET status = ? WHERE model_id = ?",
                              {static_cast<int64_t>(status), Str(model_id)}));
    ASSIGN_OR_RETURN(model, LoadModel(c, model_id));
    return OkStatus();
  }));
  return model;
}

Status SqlTrackingStore::DeleteLoggedModel(std::string_view model_id) {
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    // Children first: the store does not rely on the database enforcing ON DELETE CASCADE.
    for (const char* table : {"logged_model_tags", "logged_model_params", "logged_model_metrics",
                              "run_model_inputs", "run_model_outputs"}) {
      RETURN_IF_ERROR(
          c.Execute(std::string("DELETE FROM ") + table + " WHERE model_id = ?", {Str(model_id)}));
    }
    int64_t deleted = 0;
    RETURN_IF_ERROR(
        c.Execute("DELETE FROM logged_models WHERE model_id = ?", {Str(model_id)}, &deleted));
    if (deleted == 0) return NotFoundError(ModelNotFound(model_id));
    return OkStatus();
  });
}

Status SqlTrackingStore::SetLoggedModelTags(std::string_view model_id, const std::vector<Tag>& tags,
                                            int64_t now) {
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    RETURN_IF_ERROR(TouchModel(c, model_id, now));
    for (const Tag& tag : tags) RETURN_IF_ERROR(UpsertModelTag(c, model_id, tag));
    return OkStatus();
  });
}

Status SqlTrackingStore::DeleteLoggedModelTag(std::string_view model_id, std::string_view key,
                                              int64_t now) {
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    RETURN_IF_ERROR(TouchModel(c, model_id, now));
    int64_t deleted = 0;
    RETURN_IF_ERROR(c.Execute("DELETE FROM logged_model_tags WHERE model_id = ? AND key = ?",
                              {Str(model_id), Str(key)}, &deleted));
    if (deleted == 0) {
      return NotFoundError("No tag with key '" + Str(key) + "' found for logged model '" +
                           Str(model_id) + "'.");
    }
    return OkStatus();
  });
}

Status SqlTrackingStore::LogLoggedModelParams(std::string_view model_id,
                                              const std::vector<Param>& params, int64_t now) {
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    RETURN_IF_ERROR(TouchModel(c, model_id, now));
    for (const Param& param : params) {
      std::optional<std::string> existing;
      RETURN_IF_ERROR(
          c.Query("SELECT value FROM logged_model_params WHERE model_id = ? AND key = ?",
                  {Str(model_id), param.key}, [&](const SqlRow& row) {
                    existing = Str(row.GetText(0));
                    return false;
                  }));
      if (existing.has_value()) {
        if (*existing == param.value) continue;
        return InvalidArgumentError("Changing param values is not allowed. Param with key='" +
                                    param.key + "' was already logged with value='" + *existing +
                                    "' for logged model '" + Str(model_id) +
                                    "'. Attempted logging new value '" + param.value + "'.");
      }
      RETURN_IF_ERROR(
          c.Execute("INSERT INTO logged_model_params (model_id, key, value) VALUES (?, ?, ?)",
                    {Str(model_id), param.key, param.value}));
    }
    return OkStatus();
  });
}

StatusOr<LoggedModelPage> SqlTrackingStore::SearchLoggedModels(const LoggedModelQuery& query) {
  RETURN_IF_ERROR(internal::CheckPageWindow(query.max_results, query.offset));
  std::vector<SqlValue> ids;
  std::string in;
  for (const std::string& id : query.experiment_ids) {
    std::optional<int64_t> parsed = ParseExperimentId(id);
    if (!parsed.has_value()) continue;  // names no experiment: matches nothing
    in += in.empty() ? "?" : ", ?";
    ids.push_back(*parsed);
  }
  LoggedModelPage page;
  if (ids.empty()) return page;
  std::vector<LoggedModel> models;
  RETURN_IF_ERROR(db_->Transact(TxnMode::kRead, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(models, LoadModels(c, "experiment_id IN (" + in + ")", ids));
    return OkStatus();
  }));
  std::erase_if(models,
                [&](const LoggedModel& m) { return !internal::MatchesLoggedModelQuery(m, query); });
  internal::SortLoggedModels(query, &models);
  const auto begin = std::min<size_t>(models.size(), static_cast<size_t>(query.offset));
  const auto end = std::min<size_t>(models.size(), begin + static_cast<size_t>(query.max_results));
  page.models.assign(std::make_move_iterator(models.begin() + static_cast<ptrdiff_t>(begin)),
                     std::make_move_iterator(models.begin() + static_cast<ptrdiff_t>(end)));
  if (end < models.size()) page.next_offset = static_cast<int64_t>(end);
  return page;
}

Status SqlTrackingStore::LogLoggedModelMetrics(const std::vector<ModelMetric>& metrics) {
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    for (const ModelMetric& m : metrics) {
      RETURN_IF_ERROR(RequireModel(c, m.model_id));
      const bool is_nan = std::isnan(m.metric.value);
      const double value = is_nan ? 0.0 : m.metric.value;
      const std::vector<SqlValue> row = {m.model_id,      m.metric.key,       value,
                                         int64_t{is_nan}, m.metric.timestamp, m.metric.step,
                                         m.run_id,        m.dataset_name,     m.dataset_digest};
      // The same point again (MLflow 3's log_model re-sends the run's metrics) is kept once.
      bool duplicate = false;
      RETURN_IF_ERROR(c.Query(
          "SELECT 1 FROM logged_model_metrics WHERE model_id = ? AND key = ? AND value = ? AND "
          "is_nan = ? AND timestamp = ? AND step = ? AND run_id = ? AND dataset_name = ? AND "
          "dataset_digest = ?",
          row, [&](const SqlRow&) {
            duplicate = true;
            return false;
          }));
      if (duplicate) continue;
      RETURN_IF_ERROR(c.Execute(
          "INSERT INTO logged_model_metrics (model_id, key, value, is_nan, timestamp, step, "
          "run_id, dataset_name, dataset_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
          row));
    }
    return OkStatus();
  });
}

Status SqlTrackingStore::LogRunModelInputs(std::string_view run_id,
                                           const std::vector<std::string>& model_ids) {
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(internal::RunRow run,
                     internal::LoadRunRow(c, run_id, internal::RowLock::kForUpdate));
    RETURN_IF_ERROR(internal::CheckRunActive(run));
    for (const std::string& model_id : model_ids) {
      RETURN_IF_ERROR(RequireModel(c, model_id));
      RETURN_IF_ERROR(c.Execute("INSERT INTO run_model_inputs (run_key, model_id) VALUES (?, ?)" +
                                    c.dialect().UpsertSuffix("run_key, model_id", {"model_id"}),
                                {run.run_key, model_id}));
    }
    return OkStatus();
  });
}

Status SqlTrackingStore::LogRunOutputs(std::string_view run_id,
                                       const std::vector<ModelOutput>& outputs) {
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(internal::RunRow run,
                     internal::LoadRunRow(c, run_id, internal::RowLock::kForUpdate));
    RETURN_IF_ERROR(internal::CheckRunActive(run));
    for (const ModelOutput& output : outputs) {
      RETURN_IF_ERROR(RequireModel(c, output.model_id));
      RETURN_IF_ERROR(
          c.Execute("INSERT INTO run_model_outputs (run_key, model_id, step) VALUES "
                    "(?, ?, ?)" +
                        c.dialect().UpsertSuffix("run_key, model_id", {"step"}),
                    {run.run_key, output.model_id, output.step}));
    }
    return OkStatus();
  });
}

}  // namespace mlhub::store
