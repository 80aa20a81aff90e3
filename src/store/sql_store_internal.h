// SPDX-License-Identifier: Apache-2.0
// Internals shared by the SqlTrackingStore source files (not part of the store's API): the row
// shapes of runs and experiments, lookups with MLflow's error messages, and the batched loading
// of run data for a page of runs. Functions run on a connection the caller holds in a transaction.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "store/sql_connection.h"
#include "store/tracking_types.h"

namespace mlhub::store::internal {

// Bounds that keep offset + max_results far from overflow (the API layer enforces MLflow's
// smaller limits).
inline constexpr int64_t kMaxSearchOffset = int64_t{1} << 40;
inline constexpr int64_t kMaxSearchResults = int64_t{1} << 30;

// kInvalidArgument unless 1 <= max_results <= kMaxSearchResults and 0 <= offset <=
// kMaxSearchOffset.
Status CheckPageWindow(int64_t max_results, int64_t offset);

// The columns of `runs r` that ReadRunRow reads, starting at column 0.
inline constexpr char kRunColumns[] =
    "r.run_key, r.run_id, r.name, r.experiment_id, r.user_id, r.status, r.start_time, "
    "r.end_time, r.artifact_uri, r.lifecycle_stage";

struct RunRow {
  int64_t run_key = 0;
  RunInfo info;
};

RunRow ReadRunRow(const SqlRow& row);

enum class RowLock { kNone, kForUpdate };

// kNotFound "Run with id=<id> not found". kForUpdate (in write transactions that read, then
// change, the run's data) locks the run's row until the transaction ends, so concurrent writers
// of one run take turns where the database runs writers concurrently (PostgreSQL).
StatusOr<RunRow> LoadRunRow(SqlConnection& connection, std::string_view run_id,
                            RowLock lock = RowLock::kNone);

// kInvalidArgument unless the run is active (MLflow's wording).
Status CheckRunActive(const RunRow& run);

// Fills the metrics, params, tags and inputs of runs[i], whose key is run_keys[i].
Status LoadRunData(SqlConnection& connection, const std::vector<int64_t>& run_keys,
                   std::vector<Run>* runs);

// The columns of `experiments e` that ReadExperimentRow reads, starting at column 0.
inline constexpr char kExperimentColumns[] =
    "e.experiment_id, e.name, e.artifact_location, e.lifecycle_stage, e.creation_time, "
    "e.last_update_time";

Experiment ReadExperimentRow(const SqlRow& row);

// Fills the tags of each experiment.
Status LoadExperimentTags(SqlConnection& connection, std::vector<Experiment>* experiments);

std::string ExperimentNotFoundMessage(std::string_view experiment_id);

struct ExperimentState {
  int64_t id = 0;
  LifecycleStage stage = LifecycleStage::kActive;
};

// The experiment's id and stage; kNotFound for an unknown or malformed id.
StatusOr<ExperimentState> LoadExperimentState(SqlConnection& connection,
                                              std::string_view experiment_id);
// kInvalidArgument (MLflow's message) unless the experiment is active.
Status CheckExperimentActive(const ExperimentState& state);

// kNotFound ("Trace with ID '<id>' not found.") unless the trace exists (sql_traces.cc).
Status RequireTrace(SqlConnection& connection, std::string_view trace_id);

// Adds their assessments to the traces `by_id` holds; `ids` are its keys
// (sql_trace_assessments.cc).
Status LoadTraceAssessments(SqlConnection& connection,
                            const std::unordered_map<std::string, TraceInfo*>& by_id,
                            const std::vector<SqlValue>& ids);

// Calls `body` with "?, ?, ..." and the values for IN lists over `keys`, in batches of at most
// 512; a batch is padded (repeating its last key) to a power of two so that few distinct
// statements reach the statement cache.
Status ForEachKeyBatch(
    const std::vector<int64_t>& keys,
    const std::function<Status(std::string_view in_list, std::span<const SqlValue> params)>& body);

}  // namespace mlhub::store::internal
