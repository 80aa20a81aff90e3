// SPDX-License-Identifier: Apache-2.0
// SqlTrackingStore: the TrackingStore over SqlDatabase / SqlConnection only (no driver calls),
// so one implementation serves every SQL dialect. Thread-safe: each method is one transaction on
// a pooled connection (writes serialised by the database object). Shares ownership of the
// database; borrows the clock, which must outlive the store.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "store/metric_points.h"
#include "store/sql_database.h"
#include "store/tracking_store.h"
#include "store/write_combiner.h"

namespace mlhub::store {

// How SearchRuns picks its page (see sql_search_runs.cc); tests force each shape.
enum class RunSearchPlan { kAuto, kRunScan, kSegmented, kFilterDriven };

struct SqlTrackingStoreOptions {
  // New experiments without an artifact location get "<root>/<experiment id>".
  std::string default_artifact_root = "mlflow-artifacts:";
  // "Now" where a request carries no timestamp (tag writes, run deletion). Null: system clock.
  const Clock* clock = nullptr;
  RunSearchPlan run_search_plan_for_test = RunSearchPlan::kAuto;
};

class SqlTrackingStore final : public TrackingStore {
 public:
  // At most this many metric-only batches of one run are written as one transaction.
  static constexpr size_t kMaxCombinedBatches = 32;

  // `db` must hold the current schema (see MigrateSchema); kFailedPrecondition otherwise.
  static StatusOr<std::unique_ptr<SqlTrackingStore>> Create(std::shared_ptr<SqlDatabase> db,
                                                            const SqlTrackingStoreOptions& options);

  StatusOr<std::string> CreateExperiment(const NewExperiment& experiment) override;
  StatusOr<Experiment> GetExperiment(std::string_view experiment_id) override;
  StatusOr<Experiment> GetExperimentByName(std::string_view name) override;
  StatusOr<ExperimentPage> SearchExperiments(const ExperimentQuery& query) override;
  Status RenameExperiment(std::string_view experiment_id, std::string_view new_name,
                          int64_t now) override;
  Status SetExperimentLifecycle(std::string_view experiment_id, LifecycleStage stage,
                                int64_t now) override;
  Status SetExperimentTag(std::string_view experiment_id, const Tag& tag) override;
  Status DeleteExperimentTag(std::string_view experiment_id, std::string_view key) override;

  StatusOr<Run> CreateRun(const NewRun& run) override;
  StatusOr<Run> GetRun(std::string_view run_id) override;
  StatusOr<RunInfo> UpdateRun(const RunUpdate& update) override;
  Status SetRunLifecycle(std::string_view run_id, LifecycleStage stage) override;
  Status LogBatch(std::string_view run_id, const RunBatch& batch) override;
  Status DeleteRunTag(std::string_view run_id, std::string_view key) override;
  Status LogInputs(std::string_view run_id, const std::vector<DatasetInput>& inputs) override;
  Status AppendLoggedModel(std::string_view run_id, std::string_view model_json) override;
  StatusOr<RunPage> SearchRuns(const RunQuery& query) override;
  Status LogRunOutputs(std::string_view run_id, const std::vector<ModelOutput>& outputs) override;
  Status LogRunModelInputs(std::string_view run_id,
                           const std::vector<std::string>& model_ids) override;
  Status CreateLoggedModel(const LoggedModel& model) override;
  StatusOr<LoggedModel> GetLoggedModel(std::string_view model_id) override;
  StatusOr<std::string> GetLoggedModelExperiment(std::string_view model_id) override;
  StatusOr<LoggedModel> SetLoggedModelStatus(std::string_view model_id, LoggedModelStatus status,
                                             int64_t now) override;
  Status DeleteLoggedModel(std::string_view model_id) override;
  Status SetLoggedModelTags(std::string_view model_id, const std::vector<Tag>& tags,
                            int64_t now) override;
  Status DeleteLoggedModelTag(std::string_view model_id, std::string_view key,
                              int64_t now) override;
  Status LogLoggedModelParams(std::string_view model_id, const std::vector<Param>& params,
                              int64_t now) override;
  StatusOr<LoggedModelPage> SearchLoggedModels(const LoggedModelQuery& query) override;
  Status LogLoggedModelMetrics(const std::vector<ModelMetric>& metrics) override;

  Status UpsertTrace(const TraceInfo& trace) override;
  StatusOr<TraceInfo> GetTraceInfo(std::string_view trace_id) override;
  StatusOr<TracePage> SearchTraces(const TraceQuery& query) override;
  Status SetTraceTag(std::string_view trace_id, const Tag& tag) override;
  Status DeleteTraceTag(std::string_view trace_id, std::string_view key) override;
  StatusOr<int64_t> DeleteTraces(const TraceDeletion& deletion) override;
  Status LinkTracesToRun(const std::vector<std::string>& trace_ids,
                         std::string_view run_id) override;
  Status CreateAssessment(const TraceAssessment& assessment) override;
  StatusOr<TraceAssessment> GetAssessment(std::string_view trace_id,
                                          std::string_view assessment_id) override;
  StatusOr<TraceAssessment> UpdateAssessment(
      std::string_view trace_id, std::string_view assessment_id,
      const std::function<Status(TraceAssessment*)>& edit) override;
  Status DeleteAssessment(std::string_view trace_id, std::string_view assessment_id) override;

  StatusOr<MetricHistoryPage> ReadMetricHistory(std::string_view run_id, std::string_view key,
                                                int64_t cursor, size_t max_points) override;

 private:
  SqlTrackingStore(std::shared_ptr<SqlDatabase> db, const SqlTrackingStoreOptions& options);
  int64_t Now() const { return clock_->NowMillis(); }

  const std::shared_ptr<SqlDatabase> db_;
  const std::string default_artifact_root_;
  const SystemClock system_clock_;
  const Clock* const clock_;
  const RunSearchPlan run_search_plan_;
  // Metric-only LogBatch calls, combined per run (sql_log_batch.cc).
  WriteCombiner<std::vector<KeyPoints>> metric_writes_{kMaxCombinedBatches};
};

}  // namespace mlhub::store
