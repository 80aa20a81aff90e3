// SPDX-License-Identifier: Apache-2.0
#include "tracking/api/entity_json.h"

#include <fmt/format.h>

#include "common/utf8.h"
#include "rest/page_token.h"

namespace mlhub::tracking::api {

using rest::DecodePageToken;

std::string_view LifecycleName(store::LifecycleStage stage) {
  return stage == store::LifecycleStage::kActive ? "active" : "deleted";
}

std::string_view RunStatusName(store::RunStatus status) {
  switch (status) {
    case store::RunStatus::kRunning:
      return "RUNNING";
    case store::RunStatus::kScheduled:
      return "SCHEDULED";
    case store::RunStatus::kFinished:
      return "FINISHED";
    case store::RunStatus::kFailed:
      return "FAILED";
    case store::RunStatus::kKilled:
      return "KILLED";
  }
  return "RUNNING";
}

StatusOr<store::RunStatus> ParseRunStatus(std::string_view text) {
  static constexpr std::pair<std::string_view, store::RunStatus> kNames[] = {
      {"RUNNING", store::RunStatus::kRunning},   {"SCHEDULED", store::RunStatus::kScheduled},
      {"FINISHED", store::RunStatus::kFinished}, {"FAILED", store::RunStatus::kFailed},
      {"KILLED", store::RunStatus::kKilled},     {"1", store::RunStatus::kRunning},
      {"2", store::RunStatus::kScheduled},       {"3", store::RunStatus::kFinished},
      {"4", store::RunStatus::kFailed},          {"5", store::RunStatus::kKilled}};
  for (const auto& [name, status] : kNames) {
    if (name == text) return status;
  }
  return InvalidArgumentError(
      fmt::format("Invalid value '{}' for parameter 'status' supplied.", Utf8Prefix(text, 100)));
}

StatusOr<store::ViewType> ParseViewType(std::string_view text) {
  if (text == "ACTIVE_ONLY" || text == "1") return store::ViewType::kActiveOnly;
  if (text == "DELETED_ONLY" || text == "2") return store::ViewType::kDeletedOnly;
  if (text == "ALL" || text == "3") return store::ViewType::kAll;
  return InvalidArgumentError(
      fmt::format("Invalid value '{}' for parameter 'view_type' supplied.", Utf8Prefix(text, 100)));
}

void WriteExperiment(JsonWriter& w, const store::Experiment& e) {
  w.StartObject()
      .Field("experiment_id", e.experiment_id)
      .Field("name", e.name)
      .Field("artifact_location", e.artifact_location)
      .Field("lifecycle_stage", LifecycleName(e.lifecycle_stage))
      .Field("last_update_time", e.last_update_time)
      .Field("creation_time", e.creation_time);
  WriteKeyValues(w, "tags", e.tags);
  w.EndObject();
}

void WriteRunInfo(JsonWriter& w, const store::RunInfo& info) {
  w.StartObject()
      .Field("run_uuid", info.run_id)
      .Field("run_id", info.run_id)
      .Field("run_name", info.run_name)
      .Field("experiment_id", info.experiment_id)
      .Field("user_id", info.user_id)
      .Field("status", RunStatusName(info.status))
      .Field("start_time", info.start_time);
  if (info.end_time) w.Field("end_time", *info.end_time);
  w.Field("artifact_uri", info.artifact_uri)
      .Field("lifecycle_stage", LifecycleName(info.lifecycle_stage))
      .EndObject();
}

void WriteMetric(JsonWriter& w, std::string_view key, const store::Metric& metric) {
  w.StartObject()
      .Field("key", key)
      .Field("value", metric.value)
      .Field("timestamp", metric.timestamp)
      .Field("step", metric.step)
      .EndObject();
}

void WriteRun(JsonWriter& w, const store::Run& run) {
  w.StartObject().Key("info");
  WriteRunInfo(w, run.info);
  w.Key("data").StartObject();
  if (!run.metrics.empty()) {
    w.Key("metrics").StartArray();
    for (const auto& metric : run.metrics) WriteMetric(w, metric.key, metric);
    w.EndArray();
  }
  if (!run.params.empty()) {
    w.Key("params").StartArray();
    for (const auto& p : run.params)
      w.StartObject().Field("key", p.key).Field("value", p.value).EndObject();
    w.EndArray();
  }
  WriteKeyValues(w, "tags", run.tags);
  w.EndObject();
  w.Key("inputs").StartObject();
  if (!run.inputs.empty()) {
    w.Key("dataset_inputs").StartArray();
    for (const auto& input : run.inputs) {
      w.StartObject();
      WriteKeyValues(w, "tags", input.tags);
      const auto& d = input.dataset;
      w.Key("dataset").StartObject().Field("name", d.name).Field("digest", d.digest);
      w.Field("source_type", d.source_type).Field("source", d.source);
      if (!d.schema.empty()) w.Field("schema", d.schema);
      if (!d.profile.empty()) w.Field("profile", d.profile);
      w.EndObject().EndObject();
    }
    w.EndArray();
  }
  if (!run.model_inputs.empty()) {
    w.Key("model_inputs").StartArray();
    for (const std::string& model_id : run.model_inputs) {
      w.StartObject().Field("model_id", model_id).EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  // MLflow 3 clients read outputs.model_outputs (registering a run's model looks for it there).
  w.Key("outputs").StartObject();
  if (!run.model_outputs.empty()) {
    w.Key("model_outputs").StartArray();
    for (const store::ModelOutput& output : run.model_outputs) {
      w.StartObject().Field("model_id", output.model_id).Field("step", output.step).EndObject();
    }
    w.EndArray();
  }
  w.EndObject().EndObject();
}

StatusOr<SearchRequest> ReadSearchRequest(const RequestFields& fields,
                                          std::string_view view_field) {
  SearchRequest request;
  ASSIGN_OR_RETURN(auto filter, fields.String("filter"));
  request.filter = std::string(filter.value_or(""));
  ASSIGN_OR_RETURN(auto max_results, fields.Int64("max_results"));
  request.max_results = max_results.value_or(1000);
  ASSIGN_OR_RETURN(request.order_by, fields.StringList("order_by"));
  ASSIGN_OR_RETURN(auto view_type, fields.EnumText(view_field));
  if (view_type) {
    ASSIGN_OR_RETURN(request.view_type, ParseViewType(*view_type));
  }
  ASSIGN_OR_RETURN(auto token, fields.String("page_token"));
  ASSIGN_OR_RETURN(request.offset, DecodePageToken(token.value_or("")));
  return request;
}

}  // namespace mlhub::tracking::api
