// SPDX-License-Identifier: Apache-2.0
// TrackingStore: persistence of experiments and runs. One SQL implementation (SqlTrackingStore)
// serves every dialect through SqlConnection. Every method is one transaction: it happens whole or
// not at all. Thread-safe: many threads may call concurrently.
//
// Errors: kNotFound for an unknown experiment/run, kAlreadyExists for a taken name,
// kInvalidArgument for a write the data forbids (changing a logged param, logging to a deleted
// run), kUnavailable when the database cannot be reached, kInternal otherwise.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/search_query.h"
#include "store/tracking_types.h"

namespace mlhub::store {

class TrackingStore {
 public:
  virtual ~TrackingStore() = default;

  // --- Experiments. A fresh store holds experiment "0", named "Default".
  virtual StatusOr<std::string> CreateExperiment(const NewExperiment& experiment) = 0;
  virtual StatusOr<Experiment> GetExperiment(std::string_view experiment_id) = 0;
  virtual StatusOr<Experiment> GetExperimentByName(std::string_view name) = 0;
  virtual StatusOr<ExperimentPage> SearchExperiments(const ExperimentQuery& query) = 0;
  virtual Status RenameExperiment(std::string_view experiment_id, std::string_view new_name,
                                  int64_t now) = 0;
  // Deleting an experiment marks its runs deleted too; restoring brings them back.
  virtual Status SetExperimentLifecycle(std::string_view experiment_id, LifecycleStage stage,
                                        int64_t now) = 0;
  virtual Status SetExperimentTag(std::string_view experiment_id, const Tag& tag) = 0;
  virtual Status DeleteExperimentTag(std::string_view experiment_id, std::string_view key) = 0;

  // --- Runs. kInvalidArgument when the experiment is deleted.
  virtual StatusOr<Run> CreateRun(const NewRun& run) = 0;
  virtual StatusOr<Run> GetRun(std::string_view run_id) = 0;
  virtual StatusOr<RunInfo> UpdateRun(const RunUpdate& update) = 0;
  virtual Status SetRunLifecycle(std::string_view run_id, LifecycleStage stage) = 0;
  // Metrics append to the history and refresh the latest value (highest step, then timestamp, then
  // value); params are immutable (same value again is a no-op); tags overwrite, and the
  // mlflow.runName tag renames the run. kInvalidArgument when the run is deleted.
  virtual Status LogBatch(std::string_view run_id, const RunBatch& batch) = 0;
  virtual Status DeleteRunTag(std::string_view run_id, std::string_view key) = 0;
  virtual Status LogInputs(std::string_view run_id, const std::vector<DatasetInput>& inputs) = 0;
  // Appends `model_json` to the JSON list in the run's mlflow.log-model.history tag.
  virtual Status AppendLoggedModel(std::string_view run_id, std::string_view model_json) = 0;
  virtual StatusOr<RunPage> SearchRuns(const RunQuery& query) = 0;
  // Records models as outputs of the run (again: the step is updated). kNotFound for an unknown
  // model, kInvalidArgument when the run is deleted.
  virtual Status LogRunOutputs(std::string_view run_id,
                               const std::vector<ModelOutput>& outputs) = 0;
  // Records logged models the run used (its model inputs); again is a no-op. kNotFound for an
  // unknown model, kInvalidArgument when the run is deleted.
  virtual Status LogRunModelInputs(std::string_view run_id,
                                   const std::vector<std::string>& model_ids) = 0;

  // --- Logged models (MLflow 3). kNotFound for an unknown model id.
  // The caller fills every field (id, location, times); kInvalidArgument when the experiment is
  // deleted, kNotFound when it does not exist.
  virtual Status CreateLoggedModel(const LoggedModel& model) = 0;
  virtual StatusOr<LoggedModel> GetLoggedModel(std::string_view model_id) = 0;
  // Only the model's experiment (without loading its tags, params and metrics).
  virtual StatusOr<std::string> GetLoggedModelExperiment(std::string_view model_id) = 0;
  virtual StatusOr<LoggedModel> SetLoggedModelStatus(std::string_view model_id,
                                                     LoggedModelStatus status, int64_t now) = 0;
  virtual Status DeleteLoggedModel(std::string_view model_id) = 0;
  virtual Status SetLoggedModelTags(std::string_view model_id, const std::vector<Tag>& tags,
                                    int64_t now) = 0;
  virtual Status DeleteLoggedModelTag(std::string_view model_id, std::string_view key,
                                      int64_t now) = 0;
  // Params are immutable, as a run's: the same value again is a no-op, another is
  // kInvalidArgument.
  virtual Status LogLoggedModelParams(std::string_view model_id, const std::vector<Param>& params,
                                      int64_t now) = 0;
  virtual StatusOr<LoggedModelPage> SearchLoggedModels(const LoggedModelQuery& query) = 0;
  // Adds metrics to their models (a point already there, identical, is not added twice).
  // kNotFound for an unknown model.
  virtual Status LogLoggedModelMetrics(const std::vector<ModelMetric>& metrics) = 0;

  // --- Traces (MLflow tracing) ---
  // Stores the trace's info, or replaces the info of the trace with that id, adding its tags and
  // metadata to those it has (the same key: the new value). kNotFound / kInvalidArgument when the
  // experiment is missing / deleted.
  virtual Status UpsertTrace(const TraceInfo& trace) = 0;
  virtual StatusOr<TraceInfo> GetTraceInfo(std::string_view trace_id) = 0;
  virtual StatusOr<TracePage> SearchTraces(const TraceQuery& query) = 0;
  virtual Status SetTraceTag(std::string_view trace_id, const Tag& tag) = 0;
  // kNotFound when the trace or the tag does not exist.
  virtual Status DeleteTraceTag(std::string_view trace_id, std::string_view key) = 0;
  // How many traces were deleted.
  virtual StatusOr<int64_t> DeleteTraces(const TraceDeletion& deletion) = 0;
  // Adds an assessment to its trace; one that overrides another makes that one invalid.
  // kNotFound for an unknown trace or overridden assessment.
  virtual Status CreateAssessment(const TraceAssessment& assessment) = 0;
  virtual StatusOr<TraceAssessment> GetAssessment(std::string_view trace_id,
                                                  std::string_view assessment_id) = 0;
  // Applies `edit` to the stored assessment and stores what it leaves, in one transaction (its
  // name, time, value, rationale and metadata; ids, validity and overrides stay). kNotFound for
  // an unknown assessment; an error from `edit` changes nothing.
  virtual StatusOr<TraceAssessment> UpdateAssessment(
      std::string_view trace_id, std::string_view assessment_id,
      const std::function<Status(TraceAssessment*)>& edit) = 0;
  // Those that overrode it then override what it overrode; that one is valid again when nothing
  // overrides it any more.
  virtual Status DeleteAssessment(std::string_view trace_id, std::string_view assessment_id) = 0;
  // Links existing traces to an existing run (searchable as run_id); kNotFound otherwise.
  virtual Status LinkTracesToRun(const std::vector<std::string>& trace_ids,
                                 std::string_view run_id) = 0;

  // Reads up to `max_points` of one metric's history after `cursor` (0 to start). kNotFound when
  // the run does not exist; an unknown key is an empty, finished page.
  virtual StatusOr<MetricHistoryPage> ReadMetricHistory(std::string_view run_id,
                                                        std::string_view key, int64_t cursor,
                                                        size_t max_points) = 0;
};

}  // namespace mlhub::store
