// SPDX-License-Identifier: Apache-2.0
// MLflow's tracing API: the v3 endpoints of MLflow 3 clients (`/api/3.0/mlflow/traces...`, whose
// TraceInfoV3 carries proto JSON timestamps and durations) and the v2 ones of MLflow 2.14-2.21
// (`/api/2.0/mlflow/traces...`), which 3.x clients also use for tags, deletes and run links.
#include <fmt/format.h>

#include "rest/json_route.h"
#include "rest/page_token.h"
#include "tracking/api/entity_json.h"
#include "tracking/api/trace_json.h"
#include "tracking/api/tracking_routes.h"

namespace mlhub::tracking::api {
namespace {

using http::Method;
using rest::AddJsonPrefixRoute;
using rest::AddJsonRoute;
using rest::ApiVersion;
using rest::Empty;
using rest::MissingField;

constexpr std::string_view kStates[] = {"STATE_UNSPECIFIED", "OK", "ERROR", "IN_PROGRESS"};

// A state by name (v3's, or v2's TRACE_STATUS_UNSPECIFIED) or number; kInvalidArgument otherwise.
StatusOr<std::string> ReadState(json::Element value) {
  int64_t number = -1;
  if (value.get(number) == simdjson::SUCCESS) {
    if (number >= 0 && number < 4) return std::string(kStates[number]);
  } else if (std::string_view name; value.get(name) == simdjson::SUCCESS) {
    if (name == "TRACE_STATUS_UNSPECIFIED") return std::string(kStates[0]);
    for (std::string_view state : kStates) {
      if (name == state) return std::string(state);
    }
  }
  return InvalidArgumentError("Invalid trace state " + simdjson::to_string(value) + ".");
}

std::string_view V2Status(std::string_view state) {
  return state == kStates[0] ? "TRACE_STATUS_UNSPECIFIED" : state;
}

// TraceInfoV3 from {"trace": {"trace_info": {...}}}.
StatusOr<store::TraceInfo> ReadTraceInfoV3(const rest::RequestFields& f) {
  if (!f.json()) return MissingField("trace");
  auto trace = json::Find(*f.json(), "trace");
  if (!trace) return MissingField("trace");
  ASSIGN_OR_RETURN(json::Object trace_object, json::AsObject(*trace, "trace"));
  auto info_value = json::Find(trace_object, "trace_info");
  if (!info_value) return MissingField("trace.trace_info");
  ASSIGN_OR_RETURN(json::Object info, json::AsObject(*info_value, "trace_info"));
  store::TraceInfo out;
  ASSIGN_OR_RETURN(out.trace_id, json::OptionalString(info, "trace_id"));
  if (out.trace_id.empty()) return MissingField("trace_info.trace_id");
  std::string_view location_type = "MLFLOW_EXPERIMENT";
  json::Element type;
  if (info.at_pointer("/trace_location/type").get(type) == simdjson::SUCCESS &&
      type.get(location_type) != simdjson::SUCCESS) {
    location_type = "";
  }
  json::Element experiment;
  if (location_type != "MLFLOW_EXPERIMENT" ||
      info.at_pointer("/trace_location/mlflow_experiment/experiment_id").get(experiment) !=
          simdjson::SUCCESS) {
    return InvalidArgumentError(
        "trace_info.trace_location must name an MLflow experiment "
        "({\"type\": \"MLFLOW_EXPERIMENT\", \"mlflow_experiment\": {\"experiment_id\": ...}}).");
  }
  if (int64_t number = 0; experiment.get(number) == simdjson::SUCCESS) {
    out.experiment_id = std::to_string(number);
  } else {
    ASSIGN_OR_RETURN(std::string_view id, json::AsString(experiment, "experiment_id"));
    out.experiment_id = std::string(id);
  }
  ASSIGN_OR_RETURN(out.client_request_id, json::OptionalString(info, "client_request_id"));
  ASSIGN_OR_RETURN(out.request_preview, json::OptionalString(info, "request_preview"));
  ASSIGN_OR_RETURN(out.response_preview, json::OptionalString(info, "response_preview"));
  ASSIGN_OR_RETURN(std::string request_time, json::OptionalString(info, "request_time"));
  if (!request_time.empty()) {
    ASSIGN_OR_RETURN(out.request_time_ms, ParseTimestamp(request_time));
  }
  ASSIGN_OR_RETURN(std::string duration, json::OptionalString(info, "execution_duration"));
  if (!duration.empty()) {
    ASSIGN_OR_RETURN(out.execution_duration_ms, ParseDuration(duration));
  }
  if (auto state = json::Find(info, "state")) {
    ASSIGN_OR_RETURN(out.state, ReadState(*state));
  }
  ASSIGN_OR_RETURN(out.metadata, ReadStringMap(info, "trace_metadata"));
  ASSIGN_OR_RETURN(out.tags, ReadStringMap(info, "tags"));
  return out;
}

void WriteTraceInfoV3(JsonWriter& w, const store::TraceInfo& t) {
  w.StartObject().Field("trace_id", t.trace_id);
  if (!t.client_request_id.empty()) w.Field("client_request_id", t.client_request_id);
  w.Key("trace_location").StartObject().Field("type", "MLFLOW_EXPERIMENT");
  w.Key("mlflow_experiment").StartObject().Field("experiment_id", t.experiment_id).EndObject();
  w.EndObject();
  if (!t.request_preview.empty()) w.Field("request_preview", t.request_preview);
  if (!t.response_preview.empty()) w.Field("response_preview", t.response_preview);
  w.Field("request_time", FormatTimestamp(t.request_time_ms));
  if (t.execution_duration_ms) {
    w.Field("execution_duration", FormatDuration(*t.execution_duration_ms));
  }
  w.Field("state", t.state);
  WriteStringMap(w, "trace_metadata", t.metadata);
  WriteStringMap(w, "tags", t.tags);
  if (!t.assessments.empty()) {
    w.Key("assessments").StartArray();
    for (const store::TraceAssessment& a : t.assessments) WriteAssessment(w, a);
    w.EndArray();
  }
  w.EndObject();
}

std::string TraceResponseV3(const store::TraceInfo& t) {
  std::string body;
  JsonWriter w(&body);
  w.StartObject().Key("trace").StartObject().Key("trace_info");
  WriteTraceInfoV3(w, t);
  w.EndObject().EndObject();
  return body;
}

// v2's TraceInfo: request_id, timestamp_ms, execution_time_ms, status, lists of {key, value}.
void WriteTraceInfoV2(JsonWriter& w, const store::TraceInfo& t) {
  w.StartObject().Field("request_id", t.trace_id).Field("experiment_id", t.experiment_id);
  w.Field("timestamp_ms", t.request_time_ms);
  if (t.execution_duration_ms) w.Field("execution_time_ms", *t.execution_duration_ms);
  w.Field("status", V2Status(t.state));
  WriteKeyValues(w, "request_metadata", t.metadata);
  WriteKeyValues(w, "tags", t.tags);
  w.EndObject();
}

std::string TraceResponseV2(const store::TraceInfo& t) {
  std::string body;
  JsonWriter w(&body);
  w.StartObject().Key("trace_info");
  WriteTraceInfoV2(w, t);
  w.EndObject();
  return body;
}

StatusOr<std::vector<store::Tag>> ReadPairs(const rest::RequestFields& f, std::string_view field) {
  if (!f.json()) return std::vector<store::Tag>();
  return ReadKeyValues(*f.json(), field);
}

// The experiments of a search: v3's locations, or experiment_ids.
StatusOr<std::vector<std::string>> SearchExperimentIds(const rest::RequestFields& f) {
  ASSIGN_OR_RETURN(std::vector<std::string> ids, f.StringList("experiment_ids"));
  if (!f.json()) return ids;
  auto locations = json::Find(*f.json(), "locations");
  if (!locations) return ids;
  ASSIGN_OR_RETURN(json::Array items, json::AsArray(*locations, "locations"));
  for (json::Element item : items) {
    json::Element id;
    if (item.at_pointer("/mlflow_experiment/experiment_id").get(id) != simdjson::SUCCESS) {
      return InvalidArgumentError("Traces are searched in MLflow experiments only.");
    }
    ASSIGN_OR_RETURN(std::string_view text, json::AsString(id, "experiment_id"));
    ids.emplace_back(text);
  }
  return ids;
}

StatusOr<std::string> Search(TrackingService& service, const rest::RequestFields& f,
                             ApiVersion version) {
  TraceSearchRequest request;
  ASSIGN_OR_RETURN(request.experiment_ids, SearchExperimentIds(f));
  ASSIGN_OR_RETURN(auto filter, f.String("filter"));
  request.filter = std::string(filter.value_or(""));
  ASSIGN_OR_RETURN(auto max_results, f.Int64("max_results"));
  request.max_results = max_results.value_or(100);
  ASSIGN_OR_RETURN(request.order_by, f.StringList("order_by"));
  ASSIGN_OR_RETURN(auto token, f.String("page_token"));
  ASSIGN_OR_RETURN(request.offset, rest::DecodePageToken(token.value_or("")));
  ASSIGN_OR_RETURN(store::TracePage page, service.SearchTraces(request));
  std::string body;
  JsonWriter w(&body);
  w.StartObject().Key("traces").StartArray();
  for (const store::TraceInfo& t : page.traces) {
    version == ApiVersion::kV3 ? WriteTraceInfoV3(w, t) : WriteTraceInfoV2(w, t);
  }
  w.EndArray();
  if (page.next_offset) w.Field("next_page_token", rest::EncodePageToken(*page.next_offset));
  w.EndObject();
  return body;
}

Status NoSuchEndpoint(std::string_view suffix) {
  return NotFoundError("No API endpoint for traces/" + std::string(suffix));
}

// "<id>" and what follows it, of a path under traces/.
std::pair<std::string_view, std::string_view> SplitTracePath(std::string_view suffix) {
  const size_t slash = suffix.find('/');
  if (slash == std::string_view::npos) return {suffix, {}};
  return {suffix.substr(0, slash), suffix.substr(slash + 1)};
}

// Tag routes, the same in both generations: PATCH <id>/tags {key, value}, DELETE <id>/tags {key}.
StatusOr<std::string> SetTag(TrackingService& service, const rest::RequestFields& f,
                             std::string_view trace_id) {
  ASSIGN_OR_RETURN(std::string_view key, f.RequiredString("key"));
  ASSIGN_OR_RETURN(auto value, f.String("value"));
  if (!value) return MissingField("value");
  return Empty(service.SetTraceTag(trace_id, {std::string(key), std::string(*value)}));
}

StatusOr<std::string> DeleteTag(TrackingService& service, const rest::RequestFields& f,
                                std::string_view trace_id) {
  ASSIGN_OR_RETURN(std::string_view key, f.RequiredString("key"));
  return Empty(service.DeleteTraceTag(trace_id, key));
}

void AddV3Routes(http::Router& router, TrackingService& service) {
  // Endpoints of newer MLflow servers that keep spans in their database: a bare 404, on which
  // clients fall back to a trace's info and its traces.json.
  for (std::string_view prefix : {rest::kApiV3Prefix, rest::kAjaxV3Prefix}) {
    for (std::string_view path : {"traces/get", "traces/batchGet", "traces/batchGetInfos"}) {
      for (Method method : {Method::kGet, Method::kPost}) {
        router.Add(method, std::string(prefix) + std::string(path),
                   [](http::Request&) { return http::Response::Text(404, "Not Found"); });
      }
    }
  }
  AddJsonRoute(
      router, Method::kPost, "traces",
      [&service](const rest::RequestFields& f) -> StatusOr<std::string> {
        ASSIGN_OR_RETURN(store::TraceInfo info, ReadTraceInfoV3(f));
        ASSIGN_OR_RETURN(store::TraceInfo stored, service.StartTrace(std::move(info)));
        return TraceResponseV3(stored);
      },
      ApiVersion::kV3);
  AddJsonRoute(
      router, Method::kPost, "traces/search",
      [&service](const rest::RequestFields& f) { return Search(service, f, ApiVersion::kV3); },
      ApiVersion::kV3);
  AddJsonPrefixRoute(
      router, Method::kGet, "traces/",
      [&service](const rest::RequestFields& f, std::string_view suffix) -> StatusOr<std::string> {
        auto [trace_id, rest] = SplitTracePath(suffix);
        if (rest.starts_with("assessments")) {
          return HandleAssessmentRequest(service, Method::kGet, f, trace_id, rest);
        }
        if (!rest.empty() || trace_id.empty()) return NoSuchEndpoint(suffix);
        ASSIGN_OR_RETURN(store::TraceInfo info, service.GetTraceInfo(trace_id));
        return TraceResponseV3(info);
      },
      ApiVersion::kV3);
  AddJsonPrefixRoute(
      router, Method::kPost, "traces/",
      [&service](const rest::RequestFields& f, std::string_view suffix) -> StatusOr<std::string> {
        auto [trace_id, rest] = SplitTracePath(suffix);
        return HandleAssessmentRequest(service, Method::kPost, f, trace_id, rest);
      },
      ApiVersion::kV3);
  for (ApiVersion version : {ApiVersion::kV2, ApiVersion::kV3}) {
    AddJsonPrefixRoute(
        router, Method::kDelete, "traces/",
        [&service, version](const rest::RequestFields& f,
                            std::string_view suffix) -> StatusOr<std::string> {
          auto [trace_id, rest] = SplitTracePath(suffix);
          if (version == ApiVersion::kV3 && rest.starts_with("assessments")) {
            return HandleAssessmentRequest(service, Method::kDelete, f, trace_id, rest);
          }
          if (rest != "tags") return NoSuchEndpoint(suffix);
          return DeleteTag(service, f, trace_id);
        },
        version);
  }
  AddJsonPrefixRoute(
      router, Method::kPatch, "traces/",
      [&service](const rest::RequestFields& f, std::string_view suffix) -> StatusOr<std::string> {
        auto [trace_id, rest] = SplitTracePath(suffix);
        if (rest.starts_with("assessments")) {
          return HandleAssessmentRequest(service, Method::kPatch, f, trace_id, rest);
        }
        if (rest != "tags") return NoSuchEndpoint(suffix);
        return SetTag(service, f, trace_id);
      },
      ApiVersion::kV3);
}

void AddV2Routes(http::Router& router, TrackingService& service) {
  AddJsonRoute(
      router, Method::kPost, "traces",
      [&service](const rest::RequestFields& f) -> StatusOr<std::string> {
        ASSIGN_OR_RETURN(std::string_view experiment_id, f.RequiredString("experiment_id"));
        ASSIGN_OR_RETURN(auto timestamp, f.Int64("timestamp_ms"));
        if (!timestamp) return MissingField("timestamp_ms");
        ASSIGN_OR_RETURN(auto metadata, ReadPairs(f, "request_metadata"));
        ASSIGN_OR_RETURN(auto tags, ReadPairs(f, "tags"));
        ASSIGN_OR_RETURN(
            store::TraceInfo info,
            service.StartTraceV2(experiment_id, *timestamp, std::move(metadata), std::move(tags)));
        return TraceResponseV2(info);
      });
  AddJsonRoute(router, Method::kGet, "traces", [&service](const rest::RequestFields& f) {
    return Search(service, f, ApiVersion::kV2);
  });
  AddJsonPrefixRoute(
      router, Method::kGet, "traces/",
      [&service](const rest::RequestFields&, std::string_view suffix) -> StatusOr<std::string> {
        auto [trace_id, rest] = SplitTracePath(suffix);
        if (rest != "info") return NoSuchEndpoint(suffix);
        ASSIGN_OR_RETURN(store::TraceInfo info, service.GetTraceInfo(trace_id));
        return TraceResponseV2(info);
      });
  AddJsonPrefixRoute(
      router, Method::kPatch, "traces/",
      [&service](const rest::RequestFields& f, std::string_view suffix) -> StatusOr<std::string> {
        auto [trace_id, rest] = SplitTracePath(suffix);
        if (rest == "tags") return SetTag(service, f, trace_id);
        if (!rest.empty()) return NoSuchEndpoint(suffix);
        // End of a v2 trace: its end time, status and the metadata and tags it gathered.
        ASSIGN_OR_RETURN(auto timestamp, f.Int64("timestamp_ms"));
        if (!timestamp) return MissingField("timestamp_ms");
        auto status = f.json() ? json::Find(*f.json(), "status") : std::nullopt;
        if (!status) return MissingField("status");
        ASSIGN_OR_RETURN(std::string state, ReadState(*status));
        ASSIGN_OR_RETURN(auto metadata, ReadPairs(f, "request_metadata"));
        ASSIGN_OR_RETURN(auto tags, ReadPairs(f, "tags"));
        ASSIGN_OR_RETURN(store::TraceInfo info,
                         service.EndTraceV2(trace_id, *timestamp, std::move(state),
                                            std::move(metadata), std::move(tags)));
        return TraceResponseV2(info);
      });
  AddJsonRoute(router, Method::kPost, "traces/delete-traces",
               [&service](const rest::RequestFields& f) -> StatusOr<std::string> {
                 store::TraceDeletion deletion;
                 ASSIGN_OR_RETURN(std::string_view experiment_id,
                                  f.RequiredString("experiment_id"));
                 deletion.experiment_id = std::string(experiment_id);
                 ASSIGN_OR_RETURN(deletion.max_timestamp_ms, f.Int64("max_timestamp_millis"));
                 ASSIGN_OR_RETURN(deletion.max_traces, f.Int64("max_traces"));
                 ASSIGN_OR_RETURN(deletion.trace_ids, f.StringList("request_ids"));
                 ASSIGN_OR_RETURN(int64_t deleted, service.DeleteTraces(deletion));
                 return fmt::format("{{\"traces_deleted\": {}}}", deleted);
               });
  AddJsonRoute(router, Method::kPost, "traces/link-to-run",
               [&service](const rest::RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::vector<std::string> ids, f.StringList("trace_ids"));
                 ASSIGN_OR_RETURN(std::string_view run_id, f.RequiredString("run_id"));
                 return Empty(service.LinkTracesToRun(ids, run_id));
               });
}

}  // namespace

void AddTraceRoutes(http::Router& router, TrackingService& service) {
  AddV3Routes(router, service);
  AddV2Routes(router, service);
}

}  // namespace mlhub::tracking::api
