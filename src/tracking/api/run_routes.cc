// SPDX-License-Identifier: Apache-2.0
// runs/*, metrics/get-history and artifacts/list.
#include <fmt/format.h>

#include <cstring>

#include "artifacts/artifact_path.h"
#include "common/json_writer.h"
#include "rest/json_route.h"
#include "rest/page_token.h"
#include "tracking/api/entity_json.h"
#include "tracking/api/tracking_routes.h"
#include "tracking/metric_downsample.h"
#include "tracking/validation.h"

namespace mlhub::tracking::api {

using rest::AddJsonRoute;
using rest::AddResponseRoute;
using rest::EncodePageToken;
using rest::MissingField;
namespace {

using rest::Empty;

using http::Method;

// `run_id`, or its deprecated alias `run_uuid` that 2.x clients still send.
StatusOr<std::string_view> RunId(const RequestFields& f) {
  ASSIGN_OR_RETURN(auto run_id, f.String("run_id"));
  if (run_id && !run_id->empty()) return *run_id;
  ASSIGN_OR_RETURN(auto run_uuid, f.String("run_uuid"));
  if (run_uuid && !run_uuid->empty()) return *run_uuid;
  return MissingField("run_id");
}

std::string RunResponse(const store::Run& run) {
  std::string body;
  JsonWriter w(&body);
  w.StartObject().Key("run");
  WriteRun(w, run);
  w.EndObject();
  return body;
}

// A metric; when it names a logged model (MLflow 3: model_id, and maybe dataset_name and
// dataset_digest), `model` (if given) gets a copy with those fields.
StatusOr<store::Metric> ReadMetric(json::Object object, std::vector<store::ModelMetric>* models) {
  store::Metric metric;
  auto key = json::Find(object, "key");
  auto value = json::Find(object, "value");
  auto timestamp = json::Find(object, "timestamp");
  if (!key) return MissingField("key");
  if (!value) return MissingField("value");
  if (!timestamp) return MissingField("timestamp");
  ASSIGN_OR_RETURN(std::string_view key_text, json::AsString(*key, "key"));
  metric.key = key_text;
  ASSIGN_OR_RETURN(metric.value, json::AsDouble(*value, "value"));
  ASSIGN_OR_RETURN(metric.timestamp, json::AsInt64(*timestamp, "timestamp"));
  if (auto step = json::Find(object, "step")) {
    ASSIGN_OR_RETURN(metric.step, json::AsInt64(*step, "step"));
  }
  if (auto model_id = json::Find(object, "model_id"); model_id && models != nullptr) {
    if (!model_id->is_null()) {
      store::ModelMetric m;
      ASSIGN_OR_RETURN(std::string_view id, json::AsString(*model_id, "model_id"));
      m.model_id = std::string(id);
      for (auto [field, target] : {std::pair{"dataset_name", &m.dataset_name},
                                   std::pair{"dataset_digest", &m.dataset_digest}}) {
        if (auto value = json::Find(object, field); value && !value->is_null()) {
          ASSIGN_OR_RETURN(std::string_view text, json::AsString(*value, field));
          *target = std::string(text);
        }
      }
      m.metric = metric;
      if (!m.model_id.empty()) models->push_back(std::move(m));
    }
  }
  return metric;
}

StatusOr<std::string> LogBatch(TrackingService& service, const RequestFields& f) {
  ASSIGN_OR_RETURN(std::string_view run_id, RunId(f));
  store::RunBatch batch;
  std::vector<store::ModelMetric> model_metrics;
  if (f.json()) {
    if (auto metrics = json::Find(*f.json(), "metrics")) {
      ASSIGN_OR_RETURN(json::Array items, json::AsArray(*metrics, "metrics"));
      if (items.size() > kMaxMetricsPerBatch) {
        return ValidateBatch({std::vector<store::Metric>(items.size()), {}, {}});
      }
      batch.metrics.reserve(items.size());
      for (json::Element item : items) {
        ASSIGN_OR_RETURN(json::Object object, json::AsObject(item, "metrics"));
        ASSIGN_OR_RETURN(store::Metric metric, ReadMetric(object, &model_metrics));
        batch.metrics.push_back(std::move(metric));
      }
    }
    ASSIGN_OR_RETURN(std::vector<store::Tag> params, ReadKeyValues(*f.json(), "params"));
    for (auto& p : params) batch.params.push_back({std::move(p.key), std::move(p.value)});
    ASSIGN_OR_RETURN(batch.tags, ReadKeyValues(*f.json(), "tags"));
  }
  return Empty(
      service.LogBatchWithModelMetrics(run_id, std::move(batch), std::move(model_metrics)));
}

StatusOr<std::string> SearchRuns(TrackingService& service, const RequestFields& f) {
  ASSIGN_OR_RETURN(SearchRequest request, ReadSearchRequest(f, "run_view_type"));
  ASSIGN_OR_RETURN(request.experiment_ids, f.StringList("experiment_ids"));
  ASSIGN_OR_RETURN(store::RunPage page, service.SearchRuns(request));
  std::string body;
  JsonWriter w(&body);
  w.StartObject();
  if (!page.runs.empty()) {
    w.Key("runs").StartArray();
    for (const auto& run : page.runs) WriteRun(w, run);
    w.EndArray();
  }
  if (page.next_offset) w.Field("next_page_token", EncodePageToken(*page.next_offset));
  w.EndObject();
  return body;
}

// Streams `{"metrics": [...]}` page by page from the store, so memory stays bounded however long
// the history is (MLflow 2.9 clients expect the whole history in one response).
class MetricHistorySource final : public http::BodySource {
 public:
  MetricHistorySource(TrackingService& service, std::string run_id, std::string key,
                      store::MetricHistoryPage first_page)
      : service_(service), run_id_(std::move(run_id)), key_(std::move(key)) {
    pending_ = "{\"metrics\":[";
    Encode(first_page);
  }

  StatusOr<size_t> Read(char* buffer, size_t capacity) override {
    while (offset_ == pending_.size()) {
      if (finished_) return size_t{0};
      pending_.clear();
      offset_ = 0;
      ASSIGN_OR_RETURN(store::MetricHistoryPage page,
                       service_.ReadMetricHistory(run_id_, key_, cursor_, kPagePoints));
      Encode(page);
    }
    size_t n = std::min(capacity, pending_.size() - offset_);
    std::memcpy(buffer, pending_.data() + offset_, n);
    offset_ += n;
    return n;
  }

 private:
  static constexpr size_t kPagePoints = 8192;

  void Encode(const store::MetricHistoryPage& page) {
    for (const auto& point : page.points) {
      if (wrote_point_) pending_.push_back(',');
      wrote_point_ = true;
      JsonWriter w(&pending_);
      WriteMetric(w, key_, point);
    }
    cursor_ = page.next_cursor;
    if (page.done) {
      pending_ += "]}";
      finished_ = true;
    }
  }

  TrackingService& service_;
  std::string run_id_;
  std::string key_;
  std::string pending_;
  size_t offset_ = 0;
  int64_t cursor_ = 0;
  bool wrote_point_ = false;
  bool finished_ = false;
};

StatusOr<http::Response> GetHistory(TrackingService& service, const RequestFields& f) {
  ASSIGN_OR_RETURN(std::string_view run_id, RunId(f));
  ASSIGN_OR_RETURN(std::string_view key, f.RequiredString("metric_key"));
  // The first page is read before answering, so an unknown run is still a clean 404.
  ASSIGN_OR_RETURN(store::MetricHistoryPage first, service.ReadMetricHistory(run_id, key, 0, 8192));
  http::Response response;
  response.stream = std::make_unique<MetricHistorySource>(service, std::string(run_id),
                                                          std::string(key), std::move(first));
  return response;
}

// Our own route for charts of long histories (tracking/metric_downsample.h).
StatusOr<std::string> GetHistoryDownsampled(TrackingService& service, const RequestFields& f) {
  ASSIGN_OR_RETURN(std::string_view run_id, RunId(f));
  ASSIGN_OR_RETURN(std::string_view key, f.RequiredString("metric_key"));
  ASSIGN_OR_RETURN(auto max_points, f.Int64("max_points"));
  const int64_t buckets = max_points.value_or(1000);
  if (buckets < 1 || buckets > 100000) {
    return InvalidArgumentError(
        fmt::format("max_points must be between 1 and 100000, got {}", buckets));
  }
  ASSIGN_OR_RETURN(auto x_axis, f.String("x_axis"));
  const std::string_view axis_name = x_axis.value_or("step");
  if (axis_name != "step" && axis_name != "time") {
    return InvalidArgumentError(
        fmt::format("x_axis must be 'step' or 'time', got '{}'", axis_name));
  }
  std::vector<store::Metric> points;
  int64_t cursor = 0;
  for (;;) {
    ASSIGN_OR_RETURN(store::MetricHistoryPage page,
                     service.ReadMetricHistory(run_id, key, cursor, 8192));
    points.insert(points.end(), page.points.begin(), page.points.end());
    if (page.done) break;
    cursor = page.next_cursor;
  }
  const size_t total = points.size();
  std::vector<HistoryPoint> series =
      DownsampleHistory(std::move(points), static_cast<size_t>(buckets),
                        axis_name == "time" ? HistoryAxis::kTime : HistoryAxis::kStep);
  std::string body;
  JsonWriter w(&body);
  w.StartObject().Field("metric_key", key).Field("total_points", static_cast<int64_t>(total));
  w.Field("downsampled", series.size() < total).Key("points").StartArray();
  for (const HistoryPoint& p : series) {
    w.StartObject().Field("step", p.step).Field("timestamp", p.timestamp);
    w.Field("value", p.value).Field("min", p.min).Field("max", p.max).EndObject();
  }
  w.EndArray().EndObject();
  return body;
}

StatusOr<std::string> ListArtifacts(TrackingService& service, artifacts::ArtifactStore& store,
                                    const RequestFields& f) {
  ASSIGN_OR_RETURN(std::string_view run_id, RunId(f));
  ASSIGN_OR_RETURN(auto path, f.String("path"));
  ASSIGN_OR_RETURN(store::Run run, service.GetRun(run_id));
  return ArtifactListingJson(store, run.info.artifact_uri, path.value_or(""));
}

}  // namespace

void AddRunRoutes(http::Router& router, TrackingService& service,
                  artifacts::ArtifactStore& artifacts) {
  AddJsonRoute(router, Method::kPost, "runs/create",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 CreateRunRequest request;
                 ASSIGN_OR_RETURN(auto experiment_id, f.String("experiment_id"));
                 if (experiment_id && !experiment_id->empty())
                   request.experiment_id = *experiment_id;
                 ASSIGN_OR_RETURN(auto user_id, f.String("user_id"));
                 request.user_id = std::string(user_id.value_or(""));
                 ASSIGN_OR_RETURN(auto run_name, f.String("run_name"));
                 if (run_name) request.run_name = std::string(*run_name);
                 ASSIGN_OR_RETURN(request.start_time, f.Int64("start_time"));
                 if (f.json()) {
                   ASSIGN_OR_RETURN(request.tags, ReadKeyValues(*f.json(), "tags"));
                 }
                 ASSIGN_OR_RETURN(store::Run run, service.CreateRun(std::move(request)));
                 return RunResponse(run);
               });
  AddJsonRoute(router, Method::kGet, "runs/get",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view run_id, RunId(f));
                 ASSIGN_OR_RETURN(store::Run run, service.GetRun(run_id));
                 return RunResponse(run);
               });
  AddJsonRoute(router, Method::kPost, "runs/update",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 store::RunUpdate update;
                 ASSIGN_OR_RETURN(std::string_view run_id, RunId(f));
                 update.run_id = run_id;
                 ASSIGN_OR_RETURN(auto status, f.EnumText("status"));
                 if (status) {
                   ASSIGN_OR_RETURN(update.status, ParseRunStatus(*status));
                 }
                 ASSIGN_OR_RETURN(update.end_time, f.Int64("end_time"));
                 ASSIGN_OR_RETURN(auto run_name, f.String("run_name"));
                 if (run_name && !run_name->empty()) update.run_name = std::string(*run_name);
                 ASSIGN_OR_RETURN(store::RunInfo info, service.UpdateRun(update));
                 std::string body;
                 JsonWriter w(&body);
                 w.StartObject().Key("run_info");
                 WriteRunInfo(w, info);
                 w.EndObject();
                 return body;
               });
  AddJsonRoute(router, Method::kPost, "runs/delete",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view run_id, RunId(f));
                 return Empty(service.DeleteRun(run_id));
               });
  AddJsonRoute(router, Method::kPost, "runs/restore",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view run_id, RunId(f));
                 return Empty(service.RestoreRun(run_id));
               });
  AddJsonRoute(router, Method::kPost, "runs/log-metric",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view run_id, RunId(f));
                 if (!f.json()) return MissingField("key");
                 std::vector<store::ModelMetric> model_metrics;
                 ASSIGN_OR_RETURN(store::Metric metric, ReadMetric(*f.json(), &model_metrics));
                 store::RunBatch batch;
                 batch.metrics.push_back(std::move(metric));
                 return Empty(service.LogBatchWithModelMetrics(run_id, std::move(batch),
                                                               std::move(model_metrics)));
               });
  AddJsonRoute(router, Method::kPost, "runs/log-parameter",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view run_id, RunId(f));
                 ASSIGN_OR_RETURN(std::string_view key, f.RequiredString("key"));
                 ASSIGN_OR_RETURN(std::string_view value, f.RequiredString("value"));
                 store::RunBatch batch;
                 batch.params.push_back({std::string(key), std::string(value)});
                 return Empty(service.LogBatch(run_id, batch));
               });
  AddJsonRoute(router, Method::kPost, "runs/set-tag",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view run_id, RunId(f));
                 ASSIGN_OR_RETURN(std::string_view key, f.RequiredString("key"));
                 ASSIGN_OR_RETURN(std::string_view value, f.RequiredString("value"));
                 store::RunBatch batch;
                 batch.tags.push_back({std::string(key), std::string(value)});
                 return Empty(service.LogBatch(run_id, batch));
               });
  AddJsonRoute(router, Method::kPost, "runs/delete-tag",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view run_id, RunId(f));
                 ASSIGN_OR_RETURN(std::string_view key, f.RequiredString("key"));
                 return Empty(service.DeleteRunTag(run_id, key));
               });
  AddJsonRoute(router, Method::kPost, "runs/log-batch",
               [&service](const RequestFields& f) { return LogBatch(service, f); });
  AddJsonRoute(
      router, Method::kPost, "runs/log-model",
      [&service](const RequestFields& f) -> StatusOr<std::string> {
        ASSIGN_OR_RETURN(std::string_view run_id, RunId(f));
        ASSIGN_OR_RETURN(std::string_view model_json, f.RequiredString("model_json"));
        // The model must be a JSON object; check it with a local parser (the thread's
        // parser holds the request document).
        simdjson::dom::parser parser;
        simdjson::dom::object model;
        if (parser.parse(model_json).get(model) != simdjson::SUCCESS) {
          return InvalidArgumentError("Malformed model info: 'model_json' must be a JSON object.");
        }
        return Empty(service.LogModel(run_id, model_json));
      });
  AddJsonRoute(router, Method::kPost, "runs/log-inputs",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view run_id, RunId(f));
                 std::vector<store::DatasetInput> inputs;
                 if (auto datasets = f.json() ? json::Find(*f.json(), "datasets") : std::nullopt) {
                   ASSIGN_OR_RETURN(json::Array items, json::AsArray(*datasets, "datasets"));
                   for (json::Element item : items) {
                     ASSIGN_OR_RETURN(json::Object object, json::AsObject(item, "datasets"));
                     store::DatasetInput input;
                     ASSIGN_OR_RETURN(input.tags, ReadKeyValues(object, "tags"));
                     auto dataset = json::Find(object, "dataset");
                     if (!dataset) return MissingField("dataset");
                     ASSIGN_OR_RETURN(json::Object d, json::AsObject(*dataset, "dataset"));
                     std::pair<const char*, std::string*> fields[] = {
                         {"name", &input.dataset.name},
                         {"digest", &input.dataset.digest},
                         {"source_type", &input.dataset.source_type},
                         {"source", &input.dataset.source},
                         {"schema", &input.dataset.schema},
                         {"profile", &input.dataset.profile}};
                     for (auto& [name, target] : fields) {
                       if (auto value = json::Find(d, name)) {
                         ASSIGN_OR_RETURN(std::string_view text, json::AsString(*value, name));
                         *target = text;
                       }
                     }
                     inputs.push_back(std::move(input));
                   }
                 }
                 // MLflow 3: the logged models the run used, [{"model_id": ...}].
                 std::vector<std::string> models;
                 if (auto items = f.json() ? json::Find(*f.json(), "models") : std::nullopt) {
                   ASSIGN_OR_RETURN(json::Array array, json::AsArray(*items, "models"));
                   for (json::Element item : array) {
                     ASSIGN_OR_RETURN(json::Object object, json::AsObject(item, "models"));
                     auto id = json::Find(object, "model_id");
                     if (!id) return MissingField("models.model_id");
                     ASSIGN_OR_RETURN(std::string_view text, json::AsString(*id, "model_id"));
                     models.emplace_back(text);
                   }
                 }
                 if (models.empty()) return Empty(service.LogInputs(run_id, inputs));
                 // The datasets are checked first, so a refused request writes neither.
                 RETURN_IF_ERROR(ValidateDatasetInputs(inputs));
                 RETURN_IF_ERROR(service.LogRunModelInputs(run_id, models));
                 if (inputs.empty()) return std::string("{}");
                 return Empty(service.LogInputs(run_id, inputs));
               });
  for (Method method : {Method::kPost, Method::kGet}) {
    AddJsonRoute(router, method, "runs/search",
                 [&service](const RequestFields& f) { return SearchRuns(service, f); });
  }
  AddResponseRoute(router, Method::kGet, "metrics/get-history",
                   [&service](const RequestFields& f) { return GetHistory(service, f); });
  rest::AddMlhubJsonRoute(
      router, Method::kGet, "metrics/get-history-downsampled",
      [&service](const RequestFields& f) { return GetHistoryDownsampled(service, f); });
  AddJsonRoute(router, Method::kGet, "artifacts/list",
               [&service, &artifacts](const RequestFields& f) {
                 return ListArtifacts(service, artifacts, f);
               });
}

}  // namespace mlhub::tracking::api
