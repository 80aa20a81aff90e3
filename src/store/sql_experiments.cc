// SPDX-License-Identifier: Apache-2.0
// SqlTrackingStore: construction and the experiment methods.
#include <map>
#include <optional>
#include <utility>

#include "store/schema.h"
#include "store/sql_search_sql.h"
#include "store/sql_store_internal.h"
#include "store/sql_tracking_store.h"
#include "store/store_util.h"

namespace mlhub::store {
namespace {

using internal::CheckExperimentActive;
using internal::ExperimentNotFoundMessage;
using internal::ExperimentState;
using internal::LoadExperimentState;

std::string Str(std::string_view s) { return std::string(s); }

Status UpsertExperimentTag(SqlConnection& connection, int64_t id, const Tag& tag) {
  const std::string sql =
      "INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?)" +
      connection.dialect().UpsertSuffix("experiment_id, key", {"value"});
  return connection.Execute(sql, {id, tag.key, tag.value});
}

Status TouchExperiment(SqlConnection& connection, int64_t id, int64_t now) {
  return connection.Execute("UPDATE experiments SET last_update_time = ? WHERE experiment_id = ?",
                            {now, id});
}

StatusOr<Experiment> LoadExperiment(SqlConnection& connection, std::string_view where_column,
                                    SqlValue key, std::string not_found) {
  std::vector<Experiment> found;
  RETURN_IF_ERROR(connection.Query(std::string("SELECT ") + internal::kExperimentColumns +
                                       " FROM experiments e WHERE e." + std::string(where_column) +
                                       " = ?",
                                   {std::move(key)}, [&](const SqlRow& row) {
                                     found.push_back(internal::ReadExperimentRow(row));
                                     return false;
                                   }));
  if (found.empty()) return NotFoundError(std::move(not_found));
  RETURN_IF_ERROR(internal::LoadExperimentTags(connection, &found));
  return std::move(found.front());
}

std::string_view StageCondition(ViewType view_type) {
  switch (view_type) {
    case ViewType::kActiveOnly:
      return "e.lifecycle_stage = 'active'";
    case ViewType::kDeletedOnly:
      return "e.lifecycle_stage = 'deleted'";
    case ViewType::kAll:
      return "1 = 1";
  }
  return "1 = 1";
}

}  // namespace

SqlTrackingStore::SqlTrackingStore(std::shared_ptr<SqlDatabase> db,
                                   const SqlTrackingStoreOptions& options)
    : db_(std::move(db)),
      default_artifact_root_(options.default_artifact_root),
      clock_(options.clock != nullptr ? options.clock : &system_clock_),
      run_search_plan_(options.run_search_plan_for_test) {}

StatusOr<std::unique_ptr<SqlTrackingStore>> SqlTrackingStore::Create(
    std::shared_ptr<SqlDatabase> db, const SqlTrackingStoreOptions& options) {
  ASSIGN_OR_RETURN(int version, ReadSchemaVersion(*db));
  if (version != LatestSchemaVersion()) {
    return FailedPreconditionError(
        "database schema version " + std::to_string(version) + " does not match this mlhub (" +
        std::to_string(LatestSchemaVersion()) + "); run `mlhub db upgrade`");
  }
  return std::unique_ptr<SqlTrackingStore>(new SqlTrackingStore(std::move(db), options));
}

StatusOr<std::string> SqlTrackingStore::CreateExperiment(const NewExperiment& experiment) {
  if (experiment.name.empty()) return InvalidArgumentError("Experiment name cannot be empty.");
  const int64_t created = experiment.creation_time != 0 ? experiment.creation_time : Now();
  int64_t id = -1;
  RETURN_IF_ERROR(db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    bool taken = false;
    RETURN_IF_ERROR(
        c.Query("SELECT 1 FROM experiments WHERE name = ?", {experiment.name}, [&](const SqlRow&) {
          taken = true;
          return false;
        }));
    if (taken) {
      return AlreadyExistsError("Experiment(name=" + experiment.name + ") already exists.");
    }
    Status inserted = c.Query(
        "INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, "
        "last_update_time) VALUES (?, ?, 'active', ?, ?) RETURNING experiment_id",
        {experiment.name, experiment.artifact_location, created, created}, [&](const SqlRow& row) {
          id = row.GetInt(0);
          return true;
        });
    // A concurrent writer (PostgreSQL) may have taken the name since the check above.
    if (inserted.code() == StatusCode::kAlreadyExists) {
      return AlreadyExistsError("Experiment(name=" + experiment.name + ") already exists.");
    }
    RETURN_IF_ERROR(inserted);
    if (id < 0) return InternalError("experiment insert returned no id");
    if (experiment.artifact_location.empty()) {
      RETURN_IF_ERROR(
          c.Execute("UPDATE experiments SET artifact_location = ? WHERE experiment_id = ?",
                    {JoinArtifactUri(default_artifact_root_, std::to_string(id)), id}));
    }
    for (const Tag& tag : experiment.tags) RETURN_IF_ERROR(UpsertExperimentTag(c, id, tag));
    return OkStatus();
  }));
  return std::to_string(id);
}

StatusOr<Experiment> SqlTrackingStore::GetExperiment(std::string_view experiment_id) {
  std::optional<int64_t> id = ParseExperimentId(experiment_id);
  if (!id.has_value()) return NotFoundError(ExperimentNotFoundMessage(experiment_id));
  std::optional<Experiment> out;
  RETURN_IF_ERROR(db_->Transact(TxnMode::kRead, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(
        out, LoadExperiment(c, "experiment_id", *id, ExperimentNotFoundMessage(experiment_id)));
    return OkStatus();
  }));
  return std::move(*out);
}

StatusOr<Experiment> SqlTrackingStore::GetExperimentByName(std::string_view name) {
  std::optional<Experiment> out;
  RETURN_IF_ERROR(db_->Transact(TxnMode::kRead, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(out, LoadExperiment(c, "name", Str(name),
                                         "Experiment '" + Str(name) + "' does not exist."));
    return OkStatus();
  }));
  return std::move(*out);
}

StatusOr<ExperimentPage> SqlTrackingStore::SearchExperiments(const ExperimentQuery& query) {
  RETURN_IF_ERROR(internal::CheckPageWindow(query.max_results, query.offset));
  ASSIGN_OR_RETURN(
      SqlFragment sql,
      SearchPageSql(SearchTarget::kExperiments, db_->dialect(),
                    std::string("SELECT ") + internal::kExperimentColumns + " FROM experiments e",
                    StageCondition(query.view_type), query.filter, query.order_by,
                    query.max_results, query.offset));

  ExperimentPage page;
  RETURN_IF_ERROR(db_->Transact(TxnMode::kRead, [&](SqlConnection& c) -> Status {
    page.experiments.clear();
    RETURN_IF_ERROR(c.Query(sql.sql, sql.params, [&](const SqlRow& row) {
      page.experiments.push_back(internal::ReadExperimentRow(row));
      return true;
    }));
    if (static_cast<int64_t>(page.experiments.size()) > query.max_results) {
      page.experiments.pop_back();
      page.next_offset = query.offset + query.max_results;
    }
    return internal::LoadExperimentTags(c, &page.experiments);
  }));
  return page;
}

Status SqlTrackingStore::RenameExperiment(std::string_view experiment_id, std::string_view new_name,
                                          int64_t now) {
  if (new_name.empty()) return InvalidArgumentError("Experiment name cannot be empty.");
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(ExperimentState state, LoadExperimentState(c, experiment_id));
    if (state.stage != LifecycleStage::kActive) {
      return InvalidArgumentError("Cannot rename a non-active experiment.");
    }
    std::optional<int64_t> holder;
    RETURN_IF_ERROR(c.Query("SELECT experiment_id FROM experiments WHERE name = ?", {Str(new_name)},
                            [&](const SqlRow& row) {
                              holder = row.GetInt(0);
                              return false;
                            }));
    if (holder.has_value() && *holder != state.id) {
      return AlreadyExistsError("Experiment(name=" + Str(new_name) + ") already exists.");
    }
    Status renamed =
        c.Execute("UPDATE experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?",
                  {Str(new_name), now, state.id});
    if (renamed.code() == StatusCode::kAlreadyExists) {  // taken concurrently (PostgreSQL)
      return AlreadyExistsError("Experiment(name=" + Str(new_name) + ") already exists.");
    }
    return renamed;
  });
}

Status SqlTrackingStore::SetExperimentLifecycle(std::string_view experiment_id,
                                                LifecycleStage stage, int64_t now) {
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(ExperimentState state, LoadExperimentState(c, experiment_id));
    // MLflow looks a deleted experiment up among active ones (and vice versa): not found.
    if (state.stage == stage) return NotFoundError(ExperimentNotFoundMessage(experiment_id));
    const std::string name = Str(LifecycleStageName(stage));
    RETURN_IF_ERROR(
        c.Execute("UPDATE experiments SET lifecycle_stage = ?, last_update_time = ? "
                  "WHERE experiment_id = ?",
                  {name, now, state.id}));
    SqlValue deleted_time;
    if (stage == LifecycleStage::kDeleted) deleted_time = now;
    return c.Execute(
        "UPDATE runs SET lifecycle_stage = ?, deleted_time = ? WHERE experiment_id = ?",
        {name, deleted_time, state.id});
  });
}

Status SqlTrackingStore::SetExperimentTag(std::string_view experiment_id, const Tag& tag) {
  const int64_t now = Now();
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(ExperimentState state, LoadExperimentState(c, experiment_id));
    RETURN_IF_ERROR(CheckExperimentActive(state));
    RETURN_IF_ERROR(UpsertExperimentTag(c, state.id, tag));
    return TouchExperiment(c, state.id, now);
  });
}

Status SqlTrackingStore::DeleteExperimentTag(std::string_view experiment_id, std::string_view key) {
  const int64_t now = Now();
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(ExperimentState state, LoadExperimentState(c, experiment_id));
    RETURN_IF_ERROR(CheckExperimentActive(state));
    int64_t deleted = 0;
    RETURN_IF_ERROR(c.Execute("DELETE FROM experiment_tags WHERE experiment_id = ? AND key = ?",
                              {state.id, Str(key)}, &deleted));
    if (deleted == 0) {
      return NotFoundError("No tag with name: " + Str(key) + " in experiment with id " +
                           Str(experiment_id));
    }
    return TouchExperiment(c, state.id, now);
  });
}

}  // namespace mlhub::store
