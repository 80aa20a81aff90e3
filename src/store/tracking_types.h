// SPDX-License-Identifier: Apache-2.0
// The tracking entities as the store keeps them: experiments, runs, metrics, params, tags, inputs.
// Plain values; the REST layer turns them into MLflow's JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlhub::store {

enum class LifecycleStage { kActive, kDeleted };
enum class ViewType { kActiveOnly = 1, kDeletedOnly = 2, kAll = 3 };
enum class RunStatus { kRunning = 1, kScheduled = 2, kFinished = 3, kFailed = 4, kKilled = 5 };

struct Tag {
  std::string key;
  std::string value;
};

struct Param {
  std::string key;
  std::string value;
};

struct Metric {
  std::string key;
  double value = 0;
  int64_t timestamp = 0;
  int64_t step = 0;
};

struct Experiment {
  std::string experiment_id;
  std::string name;
  std::string artifact_location;
  LifecycleStage lifecycle_stage = LifecycleStage::kActive;
  int64_t creation_time = 0;
  int64_t last_update_time = 0;
  std::vector<Tag> tags;
};

struct RunInfo {
  std::string run_id;
  std::string run_name;
  std::string experiment_id;
  std::string user_id;
  RunStatus status = RunStatus::kRunning;
  int64_t start_time = 0;
  std::optional<int64_t> end_time;
  std::string artifact_uri;
  LifecycleStage lifecycle_stage = LifecycleStage::kActive;
};

struct Dataset {
  std::string name;
  std::string digest;
  std::string source_type;
  std::string source;
  std::string schema;
  std::string profile;
};

struct DatasetInput {
  std::vector<Tag> tags;
  Dataset dataset;
};

// A model a run produced (MLflow 3's run outputs), at the step it was logged.
struct ModelOutput {
  std::string model_id;
  int64_t step = 0;
};

struct Run {
  RunInfo info;
  std::vector<Metric> metrics;  // the latest value of each key
  std::vector<Param> params;
  std::vector<Tag> tags;
  std::vector<DatasetInput> inputs;
  std::vector<std::string> model_inputs;  // ids of logged models the run used (MLflow 3)
  std::vector<ModelOutput> model_outputs;
};

// MLflow 3's LoggedModel: a model's files and metadata, in an experiment, apart from runs (a run
// may name it as an output). Its values are those of MLflow's LoggedModelStatus enum.
enum class LoggedModelStatus { kUnspecified = 0, kPending = 1, kReady = 2, kUploadFailed = 3 };

// A metric of a logged model: logged in a run (MLflow 3 clients send model_id with run metrics),
// optionally on a dataset.
struct ModelMetric {
  std::string model_id;
  std::string run_id;
  Metric metric;
  std::string dataset_name;
  std::string dataset_digest;
};

struct LoggedModel {
  std::string model_id;  // "m-" + 32 hex digits
  std::string experiment_id;
  std::string name;
  std::string artifact_location;  // <experiment location>/models/<model_id>/artifacts
  int64_t creation_timestamp_ms = 0;
  int64_t last_updated_timestamp_ms = 0;
  LoggedModelStatus status = LoggedModelStatus::kPending;
  std::string status_message;
  std::string model_type;
  std::string source_run_id;
  std::vector<Tag> tags;
  std::vector<Param> params;
  std::vector<ModelMetric> metrics;  // in the order they were logged
};

// MLflow's trace of one GenAI call tree: what the server keeps of it. Its spans are a file,
// traces.json, under the trace's artifact location (tag mlflow.artifactLocation), which clients
// write and read through the artifact API themselves. The states are MLflow's TraceInfoV3 State
// names: STATE_UNSPECIFIED, OK, ERROR, IN_PROGRESS.
// An assessment of a trace (MLflow 3's Assessment): feedback (human, LLM judge or code) or an
// expectation. `value` is the JSON of its feedback or expectation object, as the client sent it
// (a value of any JSON type, or an error). Superseded by one that `overrides` it, it is no longer
// valid.
struct TraceAssessment {
  std::string assessment_id;  // "a-<32 hex>"
  std::string trace_id;
  std::string name;
  std::string span_id;
  std::string source_type = "SOURCE_TYPE_UNSPECIFIED";  // HUMAN, LLM_JUDGE or CODE
  std::string source_id;
  int64_t create_time_ms = 0;
  int64_t last_update_time_ms = 0;
  std::string kind;   // "feedback" or "expectation"
  std::string value;  // JSON object
  std::string rationale;
  std::vector<Tag> metadata;
  std::string overrides;  // the assessment this one supersedes, if any
  bool valid = true;
};

struct TraceInfo {
  std::string trace_id;  // "tr-<32 hex>" from MLflow 3 clients; 32 hex digits when made here (v2)
  std::string experiment_id;
  std::string client_request_id;
  int64_t request_time_ms = 0;
  std::optional<int64_t> execution_duration_ms;
  std::string state = "STATE_UNSPECIFIED";
  std::string request_preview;
  std::string response_preview;
  std::vector<Tag> tags;      // by key
  std::vector<Tag> metadata;  // by key; MLflow's trace_metadata (request_metadata in v2)
  std::vector<TraceAssessment> assessments;  // oldest first
};

// --- Requests to the store ---------------------------------------------------------------------

struct NewExperiment {
  std::string name;
  std::string artifact_location;  // empty: "<default artifact root>/<new id>"
  std::vector<Tag> tags;
  int64_t creation_time = 0;
};

struct NewRun {
  std::string run_id;  // chosen by the caller (uuid hex)
  std::string experiment_id;
  std::string user_id;
  std::string run_name;  // already resolved; also stored as the mlflow.runName tag
  int64_t start_time = 0;
  std::vector<Tag> tags;  // includes mlflow.runName
};

struct RunUpdate {
  std::string run_id;
  std::optional<RunStatus> status;
  std::optional<int64_t> end_time;
  std::optional<std::string> run_name;  // also rewrites the mlflow.runName tag
};

// One atomic write to a run: everything lands, or nothing does.
struct RunBatch {
  std::vector<Metric> metrics;
  std::vector<Param> params;
  std::vector<Tag> tags;
};

// A slice of one metric's history, in the order the points were logged.
struct MetricHistoryPage {
  std::vector<Metric> points;  // `key` left empty: the caller knows it
  int64_t next_cursor = 0;     // pass back to continue
  bool done = true;            // no more points after these
};

inline constexpr char kRunNameTag[] = "mlflow.runName";
inline constexpr char kLogModelHistoryTag[] = "mlflow.log-model.history";

}  // namespace mlhub::store
