// SPDX-License-Identifier: Apache-2.0
// MLflow 3's LoggedModel API (`/api/2.0/mlflow/logged-models...`) and `runs/outputs`: what an
// MLflow 3 client's log_model, register_model and load_model("models:/m-...") call.
#include <charconv>

#include "common/percent_encoding.h"
#include "rest/json_route.h"
#include "rest/page_token.h"
#include "tracking/api/entity_json.h"
#include "tracking/api/tracking_routes.h"

namespace mlhub::tracking::api {
namespace {

using rest::Empty;

using http::Method;
using rest::AddJsonPrefixRoute;
using rest::AddJsonRoute;
using rest::MissingField;

std::string_view StatusName(store::LoggedModelStatus status) {
  switch (status) {
    case store::LoggedModelStatus::kPending:
      return "LOGGED_MODEL_PENDING";
    case store::LoggedModelStatus::kReady:
      return "LOGGED_MODEL_READY";
    case store::LoggedModelStatus::kUploadFailed:
      return "LOGGED_MODEL_UPLOAD_FAILED";
    case store::LoggedModelStatus::kUnspecified:
      break;
  }
  return "LOGGED_MODEL_STATUS_UNSPECIFIED";
}

// The enum's name or its number (as a number or as text).
StatusOr<store::LoggedModelStatus> ParseStatus(std::string_view text) {
  for (int value = 0; value <= 3; ++value) {
    const auto status = static_cast<store::LoggedModelStatus>(value);
    int parsed = -1;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    const bool number = error == std::errc() && end == text.data() + text.size();
    if (text == StatusName(status) || (number && parsed == value)) return status;
  }
  return InvalidArgumentError("Invalid value '" + std::string(text) + "' for parameter 'status'.");
}

// MLflow's LoggedModel: {"info": {...}, "data": {"params": [...], "metrics": [...]}}.
void WriteModel(JsonWriter& w, const store::LoggedModel& model) {
  w.StartObject().Key("info").StartObject();
  w.Field("model_id", model.model_id).Field("experiment_id", model.experiment_id);
  w.Field("name", model.name).Field("artifact_uri", model.artifact_location);
  w.Field("creation_timestamp_ms", model.creation_timestamp_ms);
  w.Field("last_updated_timestamp_ms", model.last_updated_timestamp_ms);
  w.Field("status", StatusName(model.status));
  if (!model.status_message.empty()) w.Field("status_message", model.status_message);
  if (!model.model_type.empty()) w.Field("model_type", model.model_type);
  if (!model.source_run_id.empty()) w.Field("source_run_id", model.source_run_id);
  WriteKeyValues(w, "tags", model.tags);
  w.EndObject().Key("data").StartObject().Key("params").StartArray();
  for (const store::Param& param : model.params) {
    w.StartObject().Field("key", param.key).Field("value", param.value).EndObject();
  }
  w.EndArray().Key("metrics").StartArray();
  for (const store::ModelMetric& m : model.metrics) {
    w.StartObject().Field("key", m.metric.key).Field("value", m.metric.value);
    w.Field("timestamp", m.metric.timestamp).Field("step", m.metric.step);
    w.Field("model_id", m.model_id).Field("run_id", m.run_id);
    if (!m.dataset_name.empty()) w.Field("dataset_name", m.dataset_name);
    if (!m.dataset_digest.empty()) w.Field("dataset_digest", m.dataset_digest);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject().EndObject();
}

std::string ModelResponse(const store::LoggedModel& model) {
  std::string body;
  JsonWriter w(&body);
  w.StartObject().Key("model");
  WriteModel(w, model);
  w.EndObject();
  return body;
}

StatusOr<std::vector<store::Param>> ReadParams(const RequestFields& f) {
  if (!f.json()) return std::vector<store::Param>();
  ASSIGN_OR_RETURN(std::vector<store::Tag> pairs, ReadKeyValues(*f.json(), "params"));
  std::vector<store::Param> params;
  for (store::Tag& pair : pairs) params.push_back({std::move(pair.key), std::move(pair.value)});
  return params;
}

StatusOr<std::string> Create(TrackingService& service, const RequestFields& f) {
  CreateLoggedModelRequest request;
  ASSIGN_OR_RETURN(std::string_view experiment_id, f.RequiredString("experiment_id"));
  request.experiment_id = std::string(experiment_id);
  ASSIGN_OR_RETURN(auto name, f.String("name"));
  request.name = std::string(name.value_or(""));
  ASSIGN_OR_RETURN(auto model_type, f.String("model_type"));
  request.model_type = std::string(model_type.value_or(""));
  ASSIGN_OR_RETURN(auto source_run_id, f.String("source_run_id"));
  request.source_run_id = std::string(source_run_id.value_or(""));
  ASSIGN_OR_RETURN(request.params, ReadParams(f));
  if (f.json()) {
    ASSIGN_OR_RETURN(request.tags, ReadKeyValues(*f.json(), "tags"));
  }
  ASSIGN_OR_RETURN(store::LoggedModel model, service.CreateLoggedModel(std::move(request)));
  return ModelResponse(model);
}

// order_by: [{field_name, ascending, dataset_name, dataset_digest}].
StatusOr<std::vector<LoggedModelSearchRequest::Order>> ReadOrderBy(const RequestFields& f) {
  std::vector<LoggedModelSearchRequest::Order> out;
  if (!f.json()) return out;
  auto order_by = json::Find(*f.json(), "order_by");
  if (!order_by) return out;
  ASSIGN_OR_RETURN(json::Array items, json::AsArray(*order_by, "order_by"));
  for (json::Element item : items) {
    ASSIGN_OR_RETURN(json::Object object, json::AsObject(item, "order_by"));
    LoggedModelSearchRequest::Order order;
    ASSIGN_OR_RETURN(order.field_name, json::OptionalString(object, "field_name"));
    if (order.field_name.empty()) return MissingField("order_by.field_name");
    if (auto asc = json::Find(object, "ascending")) {
      if (asc->get_bool().get(order.ascending) != simdjson::SUCCESS) {
        return InvalidArgumentError("order_by.ascending must be a boolean.");
      }
    }
    ASSIGN_OR_RETURN(order.dataset.name, json::OptionalString(object, "dataset_name"));
    ASSIGN_OR_RETURN(order.dataset.digest, json::OptionalString(object, "dataset_digest"));
    out.push_back(std::move(order));
  }
  return out;
}

// datasets: [{dataset_name, dataset_digest}].
StatusOr<std::vector<store::DatasetMatch>> ReadDatasets(const RequestFields& f) {
  std::vector<store::DatasetMatch> out;
  if (!f.json()) return out;
  auto datasets = json::Find(*f.json(), "datasets");
  if (!datasets) return out;
  ASSIGN_OR_RETURN(json::Array items, json::AsArray(*datasets, "datasets"));
  for (json::Element item : items) {
    ASSIGN_OR_RETURN(json::Object object, json::AsObject(item, "datasets"));
    store::DatasetMatch dataset;
    ASSIGN_OR_RETURN(dataset.name, json::OptionalString(object, "dataset_name"));
    ASSIGN_OR_RETURN(dataset.digest, json::OptionalString(object, "dataset_digest"));
    out.push_back(std::move(dataset));
  }
  return out;
}

StatusOr<std::string> Search(TrackingService& service, const RequestFields& f) {
  LoggedModelSearchRequest request;
  ASSIGN_OR_RETURN(request.experiment_ids, f.StringList("experiment_ids"));
  ASSIGN_OR_RETURN(auto filter, f.String("filter"));
  request.filter = std::string(filter.value_or(""));
  ASSIGN_OR_RETURN(auto max_results, f.Int64("max_results"));
  request.max_results = max_results.value_or(50);
  ASSIGN_OR_RETURN(request.order_by, ReadOrderBy(f));
  ASSIGN_OR_RETURN(request.datasets, ReadDatasets(f));
  ASSIGN_OR_RETURN(auto token, f.String("page_token"));
  ASSIGN_OR_RETURN(request.offset, rest::DecodePageToken(token.value_or("")));
  ASSIGN_OR_RETURN(store::LoggedModelPage page, service.SearchLoggedModels(request));
  std::string body;
  JsonWriter w(&body);
  w.StartObject().Key("models").StartArray();
  for (const store::LoggedModel& model : page.models) WriteModel(w, model);
  w.EndArray();
  if (page.next_offset) w.Field("next_page_token", rest::EncodePageToken(*page.next_offset));
  w.EndObject();
  return body;
}

Status NoSuchEndpoint(std::string_view suffix) {
  return NotFoundError("No API endpoint for logged-models/" + std::string(suffix));
}

// "<id>" or "<id>/<rest>" of a path under logged-models/.
struct ModelPath {
  std::string model_id;
  std::string rest;  // percent-decoded
};

StatusOr<ModelPath> SplitPath(std::string_view suffix) {
  const size_t slash = suffix.find('/');
  ModelPath out;
  out.model_id = std::string(suffix.substr(0, slash));
  if (slash != std::string_view::npos) {
    // "<id>/" names nothing: only "<id>" is the model itself.
    if (slash + 1 == suffix.size()) return NoSuchEndpoint(suffix);
    ASSIGN_OR_RETURN(out.rest, PercentDecode(suffix.substr(slash + 1), /*plus_is_space=*/false));
  }
  return out;
}

}  // namespace

void AddLoggedModelRoutes(http::Router& router, TrackingService& service,
                          artifacts::ArtifactStore& artifacts) {
  AddJsonRoute(router, Method::kPost, "logged-models",
               [&service](const RequestFields& f) { return Create(service, f); });
  AddJsonRoute(router, Method::kPost, "logged-models/search",
               [&service](const RequestFields& f) { return Search(service, f); });
  AddJsonPrefixRoute(
      router, Method::kGet, "logged-models/",
      [&service, &artifacts](const RequestFields& f,
                             std::string_view suffix) -> StatusOr<std::string> {
        ASSIGN_OR_RETURN(ModelPath path, SplitPath(suffix));
        if (!path.rest.empty() && path.rest != "artifacts/directories") {
          return NoSuchEndpoint(suffix);
        }
        ASSIGN_OR_RETURN(store::LoggedModel model, service.GetLoggedModel(path.model_id));
        if (path.rest.empty()) return ModelResponse(model);
        // The model's files, as artifacts/list lists a run's (what MLflow's UI calls).
        ASSIGN_OR_RETURN(auto dir, f.String("artifact_directory_path"));
        return ArtifactListingJson(artifacts, model.artifact_location, dir.value_or(""));
      });
  AddJsonPrefixRoute(
      router, Method::kPatch, "logged-models/",
      [&service](const RequestFields& f, std::string_view suffix) -> StatusOr<std::string> {
        ASSIGN_OR_RETURN(ModelPath path, SplitPath(suffix));
        if (path.rest == "tags") {
          std::vector<store::Tag> tags;
          if (f.json()) {
            ASSIGN_OR_RETURN(tags, ReadKeyValues(*f.json(), "tags"));
          }
          RETURN_IF_ERROR(service.SetLoggedModelTags(path.model_id, tags));
          ASSIGN_OR_RETURN(store::LoggedModel model, service.GetLoggedModel(path.model_id));
          return ModelResponse(model);
        }
        if (!path.rest.empty()) return NoSuchEndpoint(suffix);
        ASSIGN_OR_RETURN(auto status, f.EnumText("status"));
        if (!status) return MissingField("status");
        ASSIGN_OR_RETURN(store::LoggedModelStatus parsed, ParseStatus(*status));
        ASSIGN_OR_RETURN(store::LoggedModel model,
                         service.FinalizeLoggedModel(path.model_id, parsed));
        return ModelResponse(model);
      });
  AddJsonPrefixRoute(
      router, Method::kDelete, "logged-models/",
      [&service](const RequestFields&, std::string_view suffix) -> StatusOr<std::string> {
        ASSIGN_OR_RETURN(ModelPath path, SplitPath(suffix));
        if (path.rest.empty()) return Empty(service.DeleteLoggedModel(path.model_id));
        if (path.rest.starts_with("tags/") && path.rest.size() > 5) {
          return Empty(service.DeleteLoggedModelTag(path.model_id, path.rest.substr(5)));
        }
        return NoSuchEndpoint(suffix);
      });
  AddJsonPrefixRoute(
      router, Method::kPost, "logged-models/",
      [&service](const RequestFields& f, std::string_view suffix) -> StatusOr<std::string> {
        ASSIGN_OR_RETURN(ModelPath path, SplitPath(suffix));
        if (path.rest != "params") return NoSuchEndpoint(suffix);
        ASSIGN_OR_RETURN(std::vector<store::Param> params, ReadParams(f));
        return Empty(service.LogLoggedModelParams(path.model_id, params));
      });
  AddJsonRoute(router, Method::kPost, "runs/outputs",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view run_id, f.RequiredString("run_id"));
                 std::vector<store::ModelOutput> outputs;
                 if (auto models = f.json() ? json::Find(*f.json(), "models") : std::nullopt) {
                   ASSIGN_OR_RETURN(json::Array items, json::AsArray(*models, "models"));
                   for (json::Element item : items) {
                     ASSIGN_OR_RETURN(json::Object object, json::AsObject(item, "models"));
                     auto id = json::Find(object, "model_id");
                     if (!id) return MissingField("models.model_id");
                     store::ModelOutput output;
                     ASSIGN_OR_RETURN(std::string_view text, json::AsString(*id, "model_id"));
                     output.model_id = std::string(text);
                     if (auto step = json::Find(object, "step")) {
                       ASSIGN_OR_RETURN(output.step, json::AsInt64(*step, "step"));
                     }
                     outputs.push_back(std::move(output));
                   }
                 }
                 return Empty(service.LogRunOutputs(run_id, outputs));
               });
}

}  // namespace mlhub::tracking::api
