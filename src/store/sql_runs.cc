// SPDX-License-Identifier: Apache-2.0
// SqlTrackingStore: run creation, reads, updates, lifecycle, tags and inputs.
#include <optional>
#include <utility>

#include "store/sql_store_internal.h"
#include "store/sql_tracking_store.h"
#include "store/store_util.h"

namespace mlhub::store {
namespace {

using internal::CheckRunActive;
using internal::LoadRunRow;
using internal::RowLock;
using internal::RunRow;

std::string Str(std::string_view s) { return std::string(s); }

// Deferred: its outcome matters only at commit.
Status UpsertRunTag(SqlConnection& connection, int64_t run_key, std::string_view key,
                    std::string_view value) {
  const std::string sql = "INSERT INTO tags (run_key, key, value) VALUES (?, ?, ?)" +
                          connection.dialect().UpsertSuffix("run_key, key", {"value"});
  return connection.ExecuteDeferred(sql, {run_key, Str(key), Str(value)});
}

// Tags with later duplicates winning, in first-seen order.
std::vector<Tag> DedupTags(const std::vector<Tag>& tags) {
  std::vector<Tag> out;
  for (const Tag& tag : tags) {
    bool replaced = false;
    for (Tag& existing : out) {
      if (existing.key == tag.key) {
        existing.value = tag.value;
        replaced = true;
        break;
      }
    }
    if (!replaced) out.push_back(tag);
  }
  return out;
}

}  // namespace

StatusOr<Run> SqlTrackingStore::CreateRun(const NewRun& request) {
  Run run;
  RunInfo& info = run.info;
  info.run_id = request.run_id;
  info.run_name = request.run_name;
  info.experiment_id = request.experiment_id;
  info.user_id = request.user_id;
  info.status = RunStatus::kRunning;
  info.start_time = request.start_time;
  info.lifecycle_stage = LifecycleStage::kActive;
  run.tags = DedupTags(request.tags);
  // The run name and the mlflow.runName tag always agree.
  bool has_name_tag = false;
  for (Tag& tag : run.tags) {
    if (tag.key != kRunNameTag) continue;
    has_name_tag = true;
    if (info.run_name.empty()) info.run_name = tag.value;
    tag.value = info.run_name;
  }
  if (!has_name_tag && !info.run_name.empty()) run.tags.push_back({kRunNameTag, info.run_name});
  if (info.run_id.empty()) return InvalidArgumentError("run_id must not be empty");

  std::optional<int64_t> experiment_id = ParseExperimentId(request.experiment_id);
  if (!experiment_id.has_value()) {
    return NotFoundError(internal::ExperimentNotFoundMessage(request.experiment_id));
  }
  RETURN_IF_ERROR(db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    std::optional<std::string> location;
    LifecycleStage stage = LifecycleStage::kActive;
    RETURN_IF_ERROR(c.Query(
        "SELECT artifact_location, lifecycle_stage FROM experiments WHERE experiment_id = ?",
        {*experiment_id}, [&](const SqlRow& row) {
          location = Str(row.GetText(0));
          stage = ParseLifecycleStage(row.GetText(1));
          return false;
        }));
    if (!location.has_value()) {
      return NotFoundError(internal::ExperimentNotFoundMessage(request.experiment_id));
    }
    if (stage != LifecycleStage::kActive) {
      return InvalidArgumentError("The experiment " + request.experiment_id +
                                  " must be in the 'active' state. Current state is deleted.");
    }
    info.artifact_uri = JoinArtifactUri(*location, info.run_id + "/artifacts");
    int64_t run_key = -1;
    Status inserted = c.Query(
        "INSERT INTO runs (run_id, experiment_id, name, user_id, status, start_time, "
        "artifact_uri, lifecycle_stage) VALUES (?, ?, ?, ?, 'RUNNING', ?, ?, 'active') "
        "RETURNING run_key",
        {info.run_id, *experiment_id, info.run_name, info.user_id, info.start_time,
         info.artifact_uri},
        [&](const SqlRow& row) {
          run_key = row.GetInt(0);
          return true;
        });
    if (inserted.code() == StatusCode::kAlreadyExists) {
      return AlreadyExistsError("Run with id=" + info.run_id + " already exists");
    }
    RETURN_IF_ERROR(inserted);
    for (const Tag& tag : run.tags) RETURN_IF_ERROR(UpsertRunTag(c, run_key, tag.key, tag.value));
    return OkStatus();
  }));
  return run;
}

StatusOr<Run> SqlTrackingStore::GetRun(std::string_view run_id) {
  std::vector<Run> runs(1);
  RETURN_IF_ERROR(db_->Transact(TxnMode::kRead, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(RunRow row, LoadRunRow(c, run_id));
    runs[0] = Run();
    runs[0].info = std::move(row.info);
    return internal::LoadRunData(c, {row.run_key}, &runs);
  }));
  return std::move(runs[0]);
}

StatusOr<RunInfo> SqlTrackingStore::UpdateRun(const RunUpdate& update) {
  RunInfo info;
  RETURN_IF_ERROR(db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(RunRow row, LoadRunRow(c, update.run_id, RowLock::kForUpdate));
    RETURN_IF_ERROR(CheckRunActive(row));
    info = std::move(row.info);
    if (update.status.has_value()) info.status = *update.status;
    if (update.end_time.has_value()) info.end_time = *update.end_time;
    if (update.run_name.has_value() && !update.run_name->empty()) {
      info.run_name = *update.run_name;
      RETURN_IF_ERROR(UpsertRunTag(c, row.run_key, kRunNameTag, info.run_name));
    }
    SqlValue end_time;
    if (info.end_time.has_value()) end_time = *info.end_time;
    return c.Execute("UPDATE runs SET status = ?, end_time = ?, name = ? WHERE run_key = ?",
                     {Str(RunStatusName(info.status)), end_time, info.run_name, row.run_key});
  }));
  return info;
}

Status SqlTrackingStore::SetRunLifecycle(std::string_view run_id, LifecycleStage stage) {
  const int64_t now = Now();
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(RunRow row, LoadRunRow(c, run_id, RowLock::kForUpdate));
    SqlValue deleted_time;
    if (stage == LifecycleStage::kDeleted) deleted_time = now;
    return c.Execute("UPDATE runs SET lifecycle_stage = ?, deleted_time = ? WHERE run_key = ?",
                     {Str(LifecycleStageName(stage)), deleted_time, row.run_key});
  });
}

Status SqlTrackingStore::DeleteRunTag(std::string_view run_id, std::string_view key) {
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(RunRow row, LoadRunRow(c, run_id, RowLock::kForUpdate));
    RETURN_IF_ERROR(CheckRunActive(row));
    int64_t deleted = 0;
    RETURN_IF_ERROR(c.Execute("DELETE FROM tags WHERE run_key = ? AND key = ?",
                              {row.run_key, Str(key)}, &deleted));
    if (deleted == 0) {
      return NotFoundError("No tag with name: " + Str(key) + " in run with id " + Str(run_id));
    }
    return OkStatus();
  });
}

Status SqlTrackingStore::LogInputs(std::string_view run_id,
                                   const std::vector<DatasetInput>& inputs) {
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(RunRow row, LoadRunRow(c, run_id, RowLock::kForUpdate));
    RETURN_IF_ERROR(CheckRunActive(row));
    const int64_t experiment_id = ParseExperimentId(row.info.experiment_id).value_or(-1);
    for (const DatasetInput& input : inputs) {
      const Dataset& d = input.dataset;
      // Datasets are shared within an experiment by (name, digest); the first logged wins.
      // Insert first, then look up: two runs logging the same new dataset at once (concurrent
      // writers on PostgreSQL) both end up on the one row instead of one failing.
      std::optional<int64_t> dataset_id;
      RETURN_IF_ERROR(
          c.Query("INSERT INTO datasets (experiment_id, name, digest, source_type, source, "
                  "dataset_schema, dataset_profile) VALUES (?, ?, ?, ?, ?, ?, ?) "
                  "ON CONFLICT (experiment_id, name, digest) DO NOTHING RETURNING dataset_id",
                  {experiment_id, d.name, d.digest, d.source_type, d.source, d.schema, d.profile},
                  [&](const SqlRow& r) {
                    dataset_id = r.GetInt(0);
                    return true;
                  }));
      if (!dataset_id.has_value()) {
        RETURN_IF_ERROR(c.Query(
            "SELECT dataset_id FROM datasets WHERE experiment_id = ? AND name = ? AND digest = ?",
            {experiment_id, d.name, d.digest}, [&](const SqlRow& r) {
              dataset_id = r.GetInt(0);
              return false;
            }));
      }
      if (!dataset_id.has_value()) return InternalError("dataset row vanished while logging");
      // An input already linked to the run keeps its original tags.
      std::optional<int64_t> input_id;
      RETURN_IF_ERROR(
          c.Query("INSERT INTO run_inputs (run_key, dataset_id) VALUES (?, ?) "
                  "ON CONFLICT (run_key, dataset_id) DO NOTHING RETURNING input_id",
                  {row.run_key, *dataset_id}, [&](const SqlRow& r) {
                    input_id = r.GetInt(0);
                    return true;
                  }));
      if (!input_id.has_value()) continue;
      for (const Tag& tag : DedupTags(input.tags)) {
        RETURN_IF_ERROR(c.Execute("INSERT INTO input_tags (input_id, key, value) VALUES (?, ?, ?)",
                                  {*input_id, tag.key, tag.value}));
      }
    }
    return OkStatus();
  });
}

Status SqlTrackingStore::AppendLoggedModel(std::string_view run_id, std::string_view model_json) {
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(RunRow row, LoadRunRow(c, run_id, RowLock::kForUpdate));
    RETURN_IF_ERROR(CheckRunActive(row));
    std::string history;
    RETURN_IF_ERROR(c.Query("SELECT value FROM tags WHERE run_key = ? AND key = ?",
                            {row.run_key, std::string(kLogModelHistoryTag)}, [&](const SqlRow& r) {
                              history = Str(r.GetText(0));
                              return false;
                            }));
    // The tag holds a JSON list; keep it one: "[a]" + b -> "[a, b]".
    while (!history.empty() && (history.back() == ' ' || history.back() == '\n')) {
      history.pop_back();
    }
    const bool is_list = history.size() >= 2 && history.front() == '[' && history.back() == ']';
    std::string inner = is_list ? history.substr(1, history.size() - 2) : std::string();
    const bool empty_list = inner.find_first_not_of(" \n\t") == std::string::npos;
    std::string updated = "[";
    if (!empty_list) updated.append(inner).append(", ");
    updated.append(model_json).append("]");
    return UpsertRunTag(c, row.run_key, kLogModelHistoryTag, updated);
  });
}

}  // namespace mlhub::store
