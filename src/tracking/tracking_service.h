// SPDX-License-Identifier: Apache-2.0
// TrackingService: the tracking domain (experiments, runs, metrics, params, tags, inputs) on top of
// a TrackingStore. It validates requests against MLflow's limits, resolves run names, parses search
// filters, and stamps times from the injected Clock; the store persists. Thread-safe when the store
// is. The store and clock must outlive the service.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "store/tracking_store.h"

namespace mlhub::tracking {

struct CreateRunRequest {
  std::string experiment_id = "0";
  std::string user_id;
  std::optional<std::string> run_name;
  std::optional<int64_t> start_time;  // default: now
  std::vector<store::Tag> tags;
};

struct SearchRequest {
  std::vector<std::string> experiment_ids;  // runs only
  std::string filter;
  store::ViewType view_type = store::ViewType::kActiveOnly;
  int64_t max_results = 1000;
  std::vector<std::string> order_by;
  int64_t offset = 0;
};

struct CreateLoggedModelRequest {
  std::string experiment_id;
  std::string name;  // empty: a generated one, as for runs
  std::string model_type;
  std::string source_run_id;
  std::vector<store::Param> params;
  std::vector<store::Tag> tags;
};

struct LoggedModelSearchRequest {
  // An element of MLflow's order_by: an attribute name, or `metrics.<key>` optionally on a
  // dataset.
  struct Order {
    std::string field_name;
    bool ascending = true;
    store::DatasetMatch dataset;
  };
  std::vector<std::string> experiment_ids;
  std::string filter;
  std::vector<store::DatasetMatch> datasets;  // each with a name
  std::vector<Order> order_by;
  int64_t max_results = 50;
  int64_t offset = 0;
};

struct TraceSearchRequest {
  std::vector<std::string> experiment_ids;
  std::string filter;
  std::vector<std::string> order_by;  // `<attribute> [ASC|DESC]` each
  int64_t max_results = 100;
  int64_t offset = 0;
};

class TrackingService {
 public:
  TrackingService(store::TrackingStore& store, const Clock& clock) : store_(store), clock_(clock) {}

  StatusOr<std::string> CreateExperiment(std::string name, std::string artifact_location,
                                         std::vector<store::Tag> tags);
  StatusOr<store::Experiment> GetExperiment(std::string_view experiment_id);
  StatusOr<store::Experiment> GetExperimentByName(std::string_view name);
  StatusOr<store::ExperimentPage> SearchExperiments(const SearchRequest& request);
  Status RenameExperiment(std::string_view experiment_id, std::string_view new_name);
  Status DeleteExperiment(std::string_view experiment_id);
  Status RestoreExperiment(std::string_view experiment_id);
  Status SetExperimentTag(std::string_view experiment_id, const store::Tag& tag);
  Status DeleteExperimentTag(std::string_view experiment_id, std::string_view key);

  StatusOr<store::Run> CreateRun(CreateRunRequest request);
  StatusOr<store::Run> GetRun(std::string_view run_id);
  StatusOr<store::RunInfo> UpdateRun(const store::RunUpdate& update);
  Status DeleteRun(std::string_view run_id);
  Status RestoreRun(std::string_view run_id);
  Status LogBatch(std::string_view run_id, const store::RunBatch& batch);
  Status DeleteRunTag(std::string_view run_id, std::string_view key);
  Status LogInputs(std::string_view run_id, const std::vector<store::DatasetInput>& inputs);
  Status LogModel(std::string_view run_id, std::string_view model_json);
  StatusOr<store::RunPage> SearchRuns(const SearchRequest& request);
  Status LogRunOutputs(std::string_view run_id, const std::vector<store::ModelOutput>& outputs);
  // The logged models a run used (MLflow 3's log-inputs `models`): any model the server has.
  Status LogRunModelInputs(std::string_view run_id, const std::vector<std::string>& model_ids);
  // LogBatch where some metrics also belong to logged models (`model_metrics`, each a copy of a
  // metric of `batch`): they are added to their models, and a point the run's history already
  // holds (MLflow 3's log_model re-sends the run's metrics with the new model's id) is not
  // appended to it again.
  Status LogBatchWithModelMetrics(std::string_view run_id, store::RunBatch batch,
                                  std::vector<store::ModelMetric> model_metrics);

  // MLflow 3's logged models (logged_models.cc). A new model is PENDING, with an id of
  // "m-<uuid hex>" and its files under <experiment location>/models/<id>/artifacts.
  StatusOr<store::LoggedModel> CreateLoggedModel(CreateLoggedModelRequest request);
  StatusOr<store::LoggedModel> GetLoggedModel(std::string_view model_id);
  StatusOr<std::string> GetLoggedModelExperiment(std::string_view model_id);
  StatusOr<store::LoggedModel> FinalizeLoggedModel(std::string_view model_id,
                                                   store::LoggedModelStatus status);
  Status DeleteLoggedModel(std::string_view model_id);
  Status SetLoggedModelTags(std::string_view model_id, const std::vector<store::Tag>& tags);
  Status DeleteLoggedModelTag(std::string_view model_id, std::string_view key);
  Status LogLoggedModelParams(std::string_view model_id, const std::vector<store::Param>& params);
  StatusOr<store::LoggedModelPage> SearchLoggedModels(const LoggedModelSearchRequest& request);

  // MLflow's traces (traces.cc). Each gets the tag mlflow.artifactLocation, <experiment
  // location>/traces/<trace id>/artifacts, where clients write its spans (traces.json).
  // MLflow 3 (v3 API): the client makes the id and sends the whole info when the trace ends; a
  // trace sent again replaces its info and adds its tags and metadata.
  StatusOr<store::TraceInfo> StartTrace(store::TraceInfo trace);
  // MLflow 2 (v2 API): the server makes the id; the trace is IN_PROGRESS until it ends.
  StatusOr<store::TraceInfo> StartTraceV2(std::string_view experiment_id, int64_t timestamp_ms,
                                          std::vector<store::Tag> metadata,
                                          std::vector<store::Tag> tags);
  StatusOr<store::TraceInfo> EndTraceV2(std::string_view trace_id, int64_t timestamp_ms,
                                        std::string state, std::vector<store::Tag> metadata,
                                        std::vector<store::Tag> tags);
  StatusOr<store::TraceInfo> GetTraceInfo(std::string_view trace_id);
  StatusOr<store::TracePage> SearchTraces(const TraceSearchRequest& request);
  Status SetTraceTag(std::string_view trace_id, const store::Tag& tag);
  Status DeleteTraceTag(std::string_view trace_id, std::string_view key);
  StatusOr<int64_t> DeleteTraces(const store::TraceDeletion& deletion);
  Status LinkTracesToRun(const std::vector<std::string>& trace_ids, std::string_view run_id);
  // Assessments of traces (feedback, expectations). A new one gets an id of "a-<uuid hex>" and,
  // where the client gave none, the current time.
  StatusOr<store::TraceAssessment> CreateAssessment(store::TraceAssessment assessment);
  StatusOr<store::TraceAssessment> GetAssessment(std::string_view trace_id,
                                                 std::string_view assessment_id);
  // Takes the fields named in `fields` (assessment_name, feedback, expectation, rationale,
  // metadata) from `update`.
  StatusOr<store::TraceAssessment> UpdateAssessment(std::string_view trace_id,
                                                    std::string_view assessment_id,
                                                    const store::TraceAssessment& update,
                                                    const std::vector<std::string>& fields);
  Status DeleteAssessment(std::string_view trace_id, std::string_view assessment_id);

  StatusOr<store::MetricHistoryPage> ReadMetricHistory(std::string_view run_id,
                                                       std::string_view key, int64_t cursor,
                                                       size_t max_points);

 private:
  store::TrackingStore& store_;
  const Clock& clock_;
};

}  // namespace mlhub::tracking
