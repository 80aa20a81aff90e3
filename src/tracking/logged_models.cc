// SPDX-License-Identifier: Apache-2.0
// TrackingService: MLflow 3's logged models and run outputs.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "common/ids.h"
#include "tracking/run_name.h"
#include "tracking/search_filter.h"
#include "tracking/tracking_service.h"
#include "tracking/validation.h"

namespace mlhub::tracking {
namespace {

// Names as long as a run's may be (MLflow limits run names to 500 characters too).
constexpr size_t kMaxModelNameLength = 500;

// MLflow's SearchLoggedModels allows pages of up to this many models.
constexpr int64_t kMaxLoggedModelResults = 1000;

// Ids are "m-" and 32 hex digits; anything else names no model (and never reaches SQL as a
// pattern or a path).
Status ValidateModelId(std::string_view model_id) {
  bool ok = model_id.size() == 34 && model_id.starts_with("m-");
  for (size_t i = 2; ok && i < model_id.size(); ++i) {
    const char c = model_id[i];
    ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  }
  if (ok) return OkStatus();
  return NotFoundError(fmt::format("Logged model with ID '{}' not found.", model_id));
}

bool HasDatasetComparison(const store::FilterExpr& filter) {
  if (filter.kind != store::FilterExpr::Kind::kComparison) {
    return std::any_of(filter.children.begin(), filter.children.end(), HasDatasetComparison);
  }
  return filter.comparison.type == store::EntityType::kDataset;
}

// A search names at most this many datasets; their names and digests are as long as a model's
// name may be.
constexpr size_t kMaxSearchDatasets = 100;

Status ValidateDatasetMatch(const store::DatasetMatch& dataset) {
  if (dataset.name.size() > kMaxModelNameLength || dataset.digest.size() > kMaxModelNameLength) {
    return InvalidArgumentError(fmt::format(
        "Dataset names and digests in a search are at most {} characters.", kMaxModelNameLength));
  }
  return OkStatus();
}

// An order_by field name as MLflow reads it: `metrics.<key>` (the key as it is, dots and all) or
// an attribute.
StatusOr<store::OrderBy> ParseModelOrderKey(std::string_view field_name) {
  const size_t dot = field_name.find('.');
  const bool identifier =
      !field_name.empty() && std::all_of(field_name.begin(), field_name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_';
      });
  if (dot == std::string_view::npos && identifier) {  // not "name DESC" nor "`name`"
    ASSIGN_OR_RETURN(std::vector<store::OrderBy> parsed,
                     ParseOrderBy(SearchEntity::kLoggedModels, {std::string(field_name)}));
    if (parsed.front().type == store::EntityType::kAttribute) return parsed.front();
  } else if (dot != std::string_view::npos && field_name.substr(0, dot) == "metrics") {
    const std::string_view key = field_name.substr(dot + 1);
    RETURN_IF_ERROR(ValidateKey("metric", key));
    return store::OrderBy{store::EntityType::kMetric, std::string(key)};
  }
  return InvalidArgumentError(fmt::format(
      "Invalid order by field name: {}. Logged models are ordered by name, model_id, model_type, "
      "status, source_run_id, creation_timestamp, last_updated_timestamp or metrics.<key>.",
      field_name));
}

// A run names as outputs, and logs metrics of, only models of its own experiment: a model of
// another is not the caller's to write to (they may not even read it).
Status CheckModelsOfRun(store::TrackingStore& store, const store::Run& run,
                        const std::vector<std::string>& model_ids) {
  for (const std::string& model_id : model_ids) {
    RETURN_IF_ERROR(ValidateModelId(model_id));
    ASSIGN_OR_RETURN(std::string experiment, store.GetLoggedModelExperiment(model_id));
    if (experiment != run.info.experiment_id) {
      return InvalidArgumentError(fmt::format(
          "The logged model '{}' belongs to experiment {}, not to the run's experiment {}.",
          model_id, experiment, run.info.experiment_id));
    }
  }
  return OkStatus();
}

}  // namespace

Status TrackingService::LogRunOutputs(std::string_view run_id,
                                      const std::vector<store::ModelOutput>& outputs) {
  RETURN_IF_ERROR(ValidateRunId(run_id));
  ASSIGN_OR_RETURN(store::Run run, store_.GetRun(run_id));
  std::vector<std::string> ids;
  for (const store::ModelOutput& output : outputs) ids.push_back(output.model_id);
  RETURN_IF_ERROR(CheckModelsOfRun(store_, run, ids));
  return store_.LogRunOutputs(run_id, outputs);
}

Status TrackingService::LogRunModelInputs(std::string_view run_id,
                                          const std::vector<std::string>& model_ids) {
  RETURN_IF_ERROR(ValidateRunId(run_id));
  for (const std::string& model_id : model_ids) RETURN_IF_ERROR(ValidateModelId(model_id));
  return store_.LogRunModelInputs(run_id, model_ids);
}

Status TrackingService::LogBatchWithModelMetrics(std::string_view run_id, store::RunBatch batch,
                                                 std::vector<store::ModelMetric> model_metrics) {
  if (model_metrics.empty()) return LogBatch(run_id, batch);
  RETURN_IF_ERROR(ValidateRunId(run_id));
  RETURN_IF_ERROR(ValidateBatch(batch));
  ASSIGN_OR_RETURN(store::Run run, store_.GetRun(run_id));
  std::vector<std::string> ids;
  for (store::ModelMetric& m : model_metrics) {
    m.run_id = std::string(run_id);
    if (std::find(ids.begin(), ids.end(), m.model_id) == ids.end()) ids.push_back(m.model_id);
  }
  RETURN_IF_ERROR(CheckModelsOfRun(store_, run, ids));

  // MLflow 3's log_model sends points of the run again, with the new model's id: those the
  // history holds are not appended twice. A point past the key's latest one (by step, then
  // timestamp, then value: the order the latest value is kept by) cannot be in the history, so
  // only older ones (re-sent, or logged out of order) cost a read of it.
  std::map<std::string, const store::Metric*> latest;
  for (const store::Metric& metric : run.metrics) latest[metric.key] = &metric;
  std::set<std::string> model_keys;
  for (const store::ModelMetric& m : model_metrics) model_keys.insert(m.metric.key);
  auto after_latest = [&](const store::Metric& metric) {
    auto it = latest.find(metric.key);
    if (it == latest.end()) return true;
    const store::Metric& last = *it->second;
    if (std::isnan(metric.value) || std::isnan(last.value)) return false;
    return std::tie(metric.step, metric.timestamp, metric.value) >
           std::tie(last.step, last.timestamp, last.value);
  };
  using Point = std::tuple<int64_t, int64_t, double, bool>;  // step, timestamp, value, is NaN
  auto point_of = [](const store::Metric& m) {
    const bool nan = std::isnan(m.value);
    return Point{m.step, m.timestamp, nan ? 0.0 : m.value, nan};
  };
  std::map<std::string, std::set<Point>> history;  // read once per key, when needed
  std::vector<store::Metric> kept;
  for (store::Metric& metric : batch.metrics) {
    if (!model_keys.contains(metric.key) || after_latest(metric)) {
      kept.push_back(std::move(metric));
      continue;
    }
    auto [points, unread] = history.try_emplace(metric.key);
    for (int64_t cursor = 0; unread;) {
      ASSIGN_OR_RETURN(store::MetricHistoryPage page,
                       store_.ReadMetricHistory(run_id, metric.key, cursor, 10000));
      for (const store::Metric& point : page.points) points->second.insert(point_of(point));
      if (page.done) break;
      cursor = page.next_cursor;
    }
    if (points->second.insert(point_of(metric)).second) kept.push_back(std::move(metric));
  }
  batch.metrics = std::move(kept);
  // The run first: what it refuses (a deleted run, a changed param) leaves the models as they
  // were too.
  RETURN_IF_ERROR(store_.LogBatch(run_id, batch));
  return store_.LogLoggedModelMetrics(model_metrics);
}

StatusOr<store::LoggedModel> TrackingService::CreateLoggedModel(CreateLoggedModelRequest request) {
  RETURN_IF_ERROR(ValidateExperimentId(request.experiment_id));
  if (request.name.size() > kMaxModelNameLength) {
    return InvalidArgumentError(
        fmt::format("A logged model's name is at most {} characters.", kMaxModelNameLength));
  }
  for (const store::Param& param : request.params) RETURN_IF_ERROR(ValidateParam(param));
  for (const store::Tag& tag : request.tags) RETURN_IF_ERROR(ValidateRunTag(tag));
  if (!request.source_run_id.empty()) {
    ASSIGN_OR_RETURN(store::Run run, store_.GetRun(request.source_run_id));
    if (run.info.experiment_id != request.experiment_id) {
      return InvalidArgumentError(
          fmt::format("The run '{}' belongs to experiment {}, not to the model's experiment {}.",
                      request.source_run_id, run.info.experiment_id, request.experiment_id));
    }
  }
  ASSIGN_OR_RETURN(store::Experiment experiment, store_.GetExperiment(request.experiment_id));
  store::LoggedModel model;
  model.model_id = "m-" + NewUuidHex();
  model.experiment_id = std::move(request.experiment_id);
  model.name = request.name.empty() ? GenerateRunName() : std::move(request.name);
  std::string location = experiment.artifact_location;
  while (!location.empty() && location.back() == '/') location.pop_back();
  model.artifact_location = location + "/models/" + model.model_id + "/artifacts";
  model.creation_timestamp_ms = model.last_updated_timestamp_ms = clock_.NowMillis();
  model.status = store::LoggedModelStatus::kPending;
  model.model_type = std::move(request.model_type);
  model.source_run_id = std::move(request.source_run_id);
  model.params = std::move(request.params);
  model.tags = std::move(request.tags);
  RETURN_IF_ERROR(store_.CreateLoggedModel(model));
  return model;
}

StatusOr<store::LoggedModel> TrackingService::GetLoggedModel(std::string_view model_id) {
  RETURN_IF_ERROR(ValidateModelId(model_id));
  return store_.GetLoggedModel(model_id);
}

StatusOr<std::string> TrackingService::GetLoggedModelExperiment(std::string_view model_id) {
  RETURN_IF_ERROR(ValidateModelId(model_id));
  return store_.GetLoggedModelExperiment(model_id);
}

StatusOr<store::LoggedModel> TrackingService::FinalizeLoggedModel(std::string_view model_id,
                                                                  store::LoggedModelStatus status) {
  RETURN_IF_ERROR(ValidateModelId(model_id));
  if (status != store::LoggedModelStatus::kReady &&
      status != store::LoggedModelStatus::kUploadFailed) {
    return InvalidArgumentError(
        "A logged model is finalized as LOGGED_MODEL_READY or LOGGED_MODEL_UPLOAD_FAILED.");
  }
  return store_.SetLoggedModelStatus(model_id, status, clock_.NowMillis());
}

Status TrackingService::DeleteLoggedModel(std::string_view model_id) {
  RETURN_IF_ERROR(ValidateModelId(model_id));
  return store_.DeleteLoggedModel(model_id);
}

Status TrackingService::SetLoggedModelTags(std::string_view model_id,
                                           const std::vector<store::Tag>& tags) {
  RETURN_IF_ERROR(ValidateModelId(model_id));
  for (const store::Tag& tag : tags) RETURN_IF_ERROR(ValidateRunTag(tag));
  return store_.SetLoggedModelTags(model_id, tags, clock_.NowMillis());
}

Status TrackingService::DeleteLoggedModelTag(std::string_view model_id, std::string_view key) {
  RETURN_IF_ERROR(ValidateModelId(model_id));
  RETURN_IF_ERROR(ValidateKey("tag", key));
  return store_.DeleteLoggedModelTag(model_id, key, clock_.NowMillis());
}

Status TrackingService::LogLoggedModelParams(std::string_view model_id,
                                             const std::vector<store::Param>& params) {
  RETURN_IF_ERROR(ValidateModelId(model_id));
  for (const store::Param& param : params) RETURN_IF_ERROR(ValidateParam(param));
  return store_.LogLoggedModelParams(model_id, params, clock_.NowMillis());
}

StatusOr<store::LoggedModelPage> TrackingService::SearchLoggedModels(
    const LoggedModelSearchRequest& request) {
  RETURN_IF_ERROR(ValidateMaxResults(request.max_results, kMaxLoggedModelResults));
  if (request.experiment_ids.empty()) {
    return InvalidArgumentError("experiment_ids must contain at least one experiment ID.");
  }
  store::LoggedModelQuery query;
  query.experiment_ids = request.experiment_ids;
  ASSIGN_OR_RETURN(query.filter, ParseFilter(SearchEntity::kLoggedModels, request.filter));
  if (query.filter.has_value() && HasDatasetComparison(*query.filter)) {
    return InvalidArgumentError(
        "Logged models are not filtered on datasets in the filter string; give them as "
        "`datasets`.");
  }
  if (request.datasets.size() > kMaxSearchDatasets) {
    return InvalidArgumentError(
        fmt::format("A search names at most {} datasets.", kMaxSearchDatasets));
  }
  for (const store::DatasetMatch& dataset : request.datasets) {
    if (dataset.name.empty()) {
      return InvalidArgumentError("`dataset_name` in the `datasets` clause must be specified.");
    }
    RETURN_IF_ERROR(ValidateDatasetMatch(dataset));
  }
  query.datasets = request.datasets;
  std::vector<store::OrderBy> keys;  // for the size check
  for (const LoggedModelSearchRequest::Order& order : request.order_by) {
    RETURN_IF_ERROR(ValidateDatasetMatch(order.dataset));
    ASSIGN_OR_RETURN(store::OrderBy by, ParseModelOrderKey(order.field_name));
    by.ascending = order.ascending;
    keys.push_back(by);
    query.order_by.push_back({std::move(by), order.dataset});
  }
  RETURN_IF_ERROR(CheckSearchSize(query.filter, keys));
  query.max_results = request.max_results;
  query.offset = request.offset;
  return store_.SearchLoggedModels(query);
}

}  // namespace mlhub::tracking
