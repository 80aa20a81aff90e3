// SPDX-License-Identifier: Apache-2.0
#include "tracking/tracking_service.h"

#include <fmt/format.h>

#include "common/ids.h"
#include "tracking/run_name.h"
#include "tracking/search_filter.h"
#include "tracking/validation.h"

namespace mlhub::tracking {

StatusOr<std::string> TrackingService::CreateExperiment(std::string name,
                                                        std::string artifact_location,
                                                        std::vector<store::Tag> tags) {
  RETURN_IF_ERROR(ValidateExperimentName(name));
  for (const auto& tag : tags) RETURN_IF_ERROR(ValidateExperimentTag(tag));
  store::NewExperiment experiment{std::move(name), std::move(artifact_location), std::move(tags),
                                  clock_.NowMillis()};
  return store_.CreateExperiment(experiment);
}

StatusOr<store::Experiment> TrackingService::GetExperiment(std::string_view experiment_id) {
  RETURN_IF_ERROR(ValidateExperimentId(experiment_id));
  return store_.GetExperiment(experiment_id);
}

StatusOr<store::Experiment> TrackingService::GetExperimentByName(std::string_view name) {
  return store_.GetExperimentByName(name);
}

StatusOr<store::ExperimentPage> TrackingService::SearchExperiments(const SearchRequest& request) {
  RETURN_IF_ERROR(ValidateMaxResults(request.max_results, kMaxSearchResults));
  store::ExperimentQuery query;
  ASSIGN_OR_RETURN(query.filter, ParseFilter(SearchEntity::kExperiments, request.filter));
  ASSIGN_OR_RETURN(query.order_by, ParseOrderBy(SearchEntity::kExperiments, request.order_by));
  RETURN_IF_ERROR(CheckSearchSize(query.filter, query.order_by));
  query.view_type = request.view_type;
  query.max_results = request.max_results;
  query.offset = request.offset;
  return store_.SearchExperiments(query);
}

Status TrackingService::RenameExperiment(std::string_view experiment_id,
                                         std::string_view new_name) {
  RETURN_IF_ERROR(ValidateExperimentId(experiment_id));
  RETURN_IF_ERROR(ValidateExperimentName(new_name));
  return store_.RenameExperiment(experiment_id, new_name, clock_.NowMillis());
}

Status TrackingService::DeleteExperiment(std::string_view experiment_id) {
  RETURN_IF_ERROR(ValidateExperimentId(experiment_id));
  if (experiment_id == "0") {
    return InvalidArgumentError(
        "Cannot delete the default experiment '0'. This is an internally "
        "reserved experiment.");
  }
  return store_.SetExperimentLifecycle(experiment_id, store::LifecycleStage::kDeleted,
                                       clock_.NowMillis());
}

Status TrackingService::RestoreExperiment(std::string_view experiment_id) {
  RETURN_IF_ERROR(ValidateExperimentId(experiment_id));
  return store_.SetExperimentLifecycle(experiment_id, store::LifecycleStage::kActive,
                                       clock_.NowMillis());
}

Status TrackingService::SetExperimentTag(std::string_view experiment_id, const store::Tag& tag) {
  RETURN_IF_ERROR(ValidateExperimentId(experiment_id));
  RETURN_IF_ERROR(ValidateExperimentTag(tag));
  return store_.SetExperimentTag(experiment_id, tag);
}

Status TrackingService::DeleteExperimentTag(std::string_view experiment_id, std::string_view key) {
  RETURN_IF_ERROR(ValidateExperimentId(experiment_id));
  return store_.DeleteExperimentTag(experiment_id, key);
}

StatusOr<store::Run> TrackingService::CreateRun(CreateRunRequest request) {
  RETURN_IF_ERROR(ValidateExperimentId(request.experiment_id));
  for (const auto& tag : request.tags) RETURN_IF_ERROR(ValidateRunTag(tag));
  // The run name comes from the field, else the mlflow.runName tag, else is generated; the tag is
  // always stored too, and the two must agree when both are given.
  std::optional<std::string> tag_name;
  for (const auto& tag : request.tags) {
    if (tag.key == store::kRunNameTag) tag_name = tag.value;
  }
  if (request.run_name && !request.run_name->empty() && tag_name &&
      *tag_name != *request.run_name) {
    return InvalidArgumentError(fmt::format(
        "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different "
        "values (run_name='{}', mlflow.runName='{}').",
        *request.run_name, *tag_name));
  }
  std::string run_name;
  if (request.run_name && !request.run_name->empty()) {
    run_name = *request.run_name;
  } else if (tag_name && !tag_name->empty()) {
    run_name = *tag_name;
  } else {
    run_name = GenerateRunName();
  }
  if (!tag_name) request.tags.push_back({store::kRunNameTag, run_name});
  for (auto& tag : request.tags) {
    if (tag.key == store::kRunNameTag) tag.value = run_name;
  }
  store::NewRun run;
  run.run_id = NewUuidHex();
  run.experiment_id = std::move(request.experiment_id);
  run.user_id = std::move(request.user_id);
  run.run_name = std::move(run_name);
  run.start_time = request.start_time.value_or(clock_.NowMillis());
  run.tags = std::move(request.tags);
  return store_.CreateRun(run);
}

StatusOr<store::Run> TrackingService::GetRun(std::string_view run_id) {
  RETURN_IF_ERROR(ValidateRunId(run_id));
  return store_.GetRun(run_id);
}

StatusOr<store::RunInfo> TrackingService::UpdateRun(const store::RunUpdate& update) {
  RETURN_IF_ERROR(ValidateRunId(update.run_id));
  if (update.run_name) {
    RETURN_IF_ERROR(ValidateRunTag({store::kRunNameTag, *update.run_name}));
  }
  return store_.UpdateRun(update);
}

Status TrackingService::DeleteRun(std::string_view run_id) {
  RETURN_IF_ERROR(ValidateRunId(run_id));
  return store_.SetRunLifecycle(run_id, store::LifecycleStage::kDeleted);
}

Status TrackingService::RestoreRun(std::string_view run_id) {
  RETURN_IF_ERROR(ValidateRunId(run_id));
  return store_.SetRunLifecycle(run_id, store::LifecycleStage::kActive);
}

Status TrackingService::LogBatch(std::string_view run_id, const store::RunBatch& batch) {
  RETURN_IF_ERROR(ValidateRunId(run_id));
  RETURN_IF_ERROR(ValidateBatch(batch));
  return store_.LogBatch(run_id, batch);
}

Status TrackingService::DeleteRunTag(std::string_view run_id, std::string_view key) {
  RETURN_IF_ERROR(ValidateRunId(run_id));
  return store_.DeleteRunTag(run_id, key);
}

Status TrackingService::LogInputs(std::string_view run_id,
                                  const std::vector<store::DatasetInput>& inputs) {
  RETURN_IF_ERROR(ValidateRunId(run_id));
  RETURN_IF_ERROR(ValidateDatasetInputs(inputs));
  return store_.LogInputs(run_id, inputs);
}

Status TrackingService::LogModel(std::string_view run_id, std::string_view model_json) {
  RETURN_IF_ERROR(ValidateRunId(run_id));
  return store_.AppendLoggedModel(run_id, model_json);
}

StatusOr<store::RunPage> TrackingService::SearchRuns(const SearchRequest& request) {
  RETURN_IF_ERROR(ValidateMaxResults(request.max_results, kMaxSearchResults));
  for (const auto& id : request.experiment_ids) RETURN_IF_ERROR(ValidateExperimentId(id));
  store::RunQuery query;
  ASSIGN_OR_RETURN(query.filter, ParseFilter(SearchEntity::kRuns, request.filter));
  ASSIGN_OR_RETURN(query.order_by, ParseOrderBy(SearchEntity::kRuns, request.order_by));
  RETURN_IF_ERROR(CheckSearchSize(query.filter, query.order_by));
  query.experiment_ids = request.experiment_ids;
  query.view_type = request.view_type;
  query.max_results = request.max_results;
  query.offset = request.offset;
  return store_.SearchRuns(query);
}

StatusOr<store::MetricHistoryPage> TrackingService::ReadMetricHistory(std::string_view run_id,
                                                                      std::string_view key,
                                                                      int64_t cursor,
                                                                      size_t max_points) {
  RETURN_IF_ERROR(ValidateRunId(run_id));
  return store_.ReadMetricHistory(run_id, key, cursor, max_points);
}

}  // namespace mlhub::tracking
