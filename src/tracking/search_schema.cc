// SPDX-License-Identifier: Apache-2.0
#include "tracking/search_schema.h"

namespace mlhub::tracking::internal {
namespace {

constexpr ValueKind S = ValueKind::kString;
constexpr ValueKind N = ValueKind::kNumber;

constexpr AttributeSpec kRunAttributes[] = {
    {"run_id", "run_id", S, true},          {"run_name", "run_name", S, true},
    {"run name", "run_name", S, true},      {"Run name", "run_name", S, true},
    {"Run Name", "run_name", S, true},      {"status", "status", S, true},
    {"user_id", "user_id", S, true},        {"artifact_uri", "artifact_uri", S, true},
    {"start_time", "start_time", N, false}, {"end_time", "end_time", N, false},
    {"created", "start_time", N, false},    {"Created", "start_time", N, false},
};
constexpr AttributeSpec kExperimentFilter[] = {{"name", "name", S, false},
                                               {"creation_time", "creation_time", N, false},
                                               {"last_update_time", "last_update_time", N, false}};
constexpr AttributeSpec kExperimentOrder[] = {{"name", "name"},
                                              {"experiment_id", "experiment_id"},
                                              {"creation_time", "creation_time"},
                                              {"last_update_time", "last_update_time"}};
constexpr AttributeSpec kModelFilter[] = {{"name", "name", S, false}};
constexpr AttributeSpec kModelOrder[] = {{"name", "name"},
                                         {"creation_timestamp", "creation_timestamp"},
                                         // MLflow sorts "timestamp" by the last update
                                         {"timestamp", "last_updated_timestamp"},
                                         {"last_updated_timestamp", "last_updated_timestamp"}};
constexpr AttributeSpec kVersionFilter[] = {
    {"name", "name", S, false},
    {"run_id", "run_id", S, true},
    {"source_path", "source_path", S, false},
    {"version_number", "version_number", N, false},
    {"creation_timestamp", "creation_timestamp", N, false},
    {"last_updated_timestamp", "last_updated_timestamp", N, false}};
constexpr AttributeSpec kVersionOrder[] = {{"name", "name"},
                                           {"version_number", "version_number"},
                                           {"creation_timestamp", "creation_timestamp"},
                                           {"last_updated_timestamp", "last_updated_timestamp"}};
constexpr AttributeSpec kLoggedModelAttributes[] = {
    {"name", "name", S, true},
    {"model_id", "model_id", S, true},
    {"model_type", "model_type", S, true},
    {"status", "status", S, true},
    {"source_run_id", "source_run_id", S, true},
    {"creation_timestamp", "creation_timestamp", N, false},
    {"creation_time", "creation_timestamp", N, false},
    {"creation_timestamp_ms", "creation_timestamp", N, false},
    {"last_updated_timestamp", "last_updated_timestamp", N, false},
    {"last_updated_timestamp_ms", "last_updated_timestamp", N, false}};
// MLflow's trace filters (SearchTraceUtils): `name` is the trace's mlflow.traceName tag and
// `run_id` its mlflow.sourceRun metadata (or a linked run), which the service rewrites.
constexpr AttributeSpec kTraceFilter[] = {{"request_id", "trace_id", S, true},
                                          {"trace_id", "trace_id", S, true},
                                          {"client_request_id", "client_request_id", S, true},
                                          {"timestamp_ms", "timestamp_ms", N, false},
                                          {"timestamp", "timestamp_ms", N, false},
                                          {"execution_time_ms", "execution_time_ms", N, false},
                                          {"execution_time", "execution_time_ms", N, false},
                                          {"status", "status", S, true},
                                          {"state", "status", S, true},
                                          {"name", "name", S, true},
                                          {"run_id", "run_id", S, true}};
constexpr AttributeSpec kTraceOrder[] = {{"request_id", "trace_id"},
                                         {"trace_id", "trace_id"},
                                         {"timestamp_ms", "timestamp_ms"},
                                         {"timestamp", "timestamp_ms"},
                                         {"execution_time_ms", "execution_time_ms"},
                                         {"execution_time", "execution_time_ms"},
                                         {"status", "status"},
                                         {"state", "status"}};
constexpr AttributeSpec kDatasetFields[] = {
    {"name", "name", S, true}, {"digest", "digest", S, true}, {"context", "context", S, true}};

}  // namespace

const Schema& SchemaFor(SearchEntity entity) {
  static const Schema kSchemas[] = {
      {"runs", kRunAttributes, kRunAttributes, true},
      {"experiments", kExperimentFilter, kExperimentOrder, false},
      {"registered models", kModelFilter, kModelOrder, false},
      {"model versions", kVersionFilter, kVersionOrder, false},
      {"logged models", kLoggedModelAttributes, kLoggedModelAttributes, true},
      {"traces", kTraceFilter, kTraceOrder, false, true},
  };
  return kSchemas[static_cast<int>(entity)];
}

std::span<const AttributeSpec> DatasetFields() { return kDatasetFields; }

std::string ListNames(std::span<const AttributeSpec> specs) {
  std::string out;
  for (const AttributeSpec& s : specs) {
    if (s.name != s.canonical) continue;
    if (!out.empty()) out += ", ";
    out += s.name;
  }
  return out;
}

}  // namespace mlhub::tracking::internal
