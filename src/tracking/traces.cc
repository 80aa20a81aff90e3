// SPDX-License-Identifier: Apache-2.0
// TrackingService: MLflow's traces.
#include <fmt/format.h>

#include <algorithm>

#include "common/ids.h"
#include "tracking/search_filter.h"
#include "tracking/tracking_service.h"
#include "tracking/validation.h"

namespace mlhub::tracking {
namespace {

// MLflow's limits: 500 traces per search page (100 by default), 100 traces per run link, 8000
// characters per tag or metadata value.
constexpr int64_t kMaxTraceResults = 500;
constexpr size_t kMaxLinkedTraces = 100;
constexpr size_t kMaxTraceValueLength = 8000;
constexpr size_t kMaxTraceIdLength = 128;
// A search names at most this many experiments, a delete this many traces (each is a bound
// parameter; databases cap those).
constexpr size_t kMaxListed = 1000;
// What proto JSON can carry: timestamps up to the end of year 9999, durations up to 10,000 years.
constexpr int64_t kMaxTimestampMs = 253402300799999;
constexpr int64_t kMaxDurationMs = int64_t{315576000000} * 1000;

constexpr std::string_view kArtifactLocationTag = "mlflow.artifactLocation";
constexpr std::string_view kTraceNameTag = "mlflow.traceName";

// Ids travel in URL paths: letters, digits and - _ . : only ("tr-<hex>" from MLflow 3), and
// never the name of an endpoint under traces/.
bool IsTraceId(std::string_view id) {
  if (id.empty() || id.size() > kMaxTraceIdLength) return false;
  for (std::string_view endpoint :
       {"search", "delete-traces", "link-to-run", "get", "batchGet", "batchGetInfos"}) {
    if (id == endpoint) return false;
  }
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == ':';
  });
}

Status NotFound(std::string_view trace_id) {
  return NotFoundError(fmt::format("Trace with ID '{}' not found.", trace_id));
}

Status ValidatePairs(std::string_view kind, const std::vector<store::Tag>& pairs) {
  for (const store::Tag& pair : pairs) {
    RETURN_IF_ERROR(ValidateKey(kind, pair.key));
    if (pair.value.size() > kMaxTraceValueLength) {
      return InvalidArgumentError(
          fmt::format("The value of trace {} '{}' is longer than {} "
                      "characters.",
                      kind, pair.key, kMaxTraceValueLength));
    }
  }
  return OkStatus();
}

Status ValidateState(std::string_view state) {
  for (std::string_view known : {"STATE_UNSPECIFIED", "OK", "ERROR", "IN_PROGRESS"}) {
    if (state == known) return OkStatus();
  }
  return InvalidArgumentError(fmt::format("Invalid trace state '{}'.", state));
}

// Sets (or replaces) `key` among `pairs`.
void Put(std::vector<store::Tag>* pairs, std::string_view key, std::string value) {
  for (store::Tag& pair : *pairs) {
    if (pair.key == key) {
      pair.value = std::move(value);
      return;
    }
  }
  pairs->push_back({std::string(key), std::move(value)});
}

// `name` in a trace filter is the trace's mlflow.traceName tag.
void RewriteNameComparisons(store::FilterExpr* expr) {
  for (store::FilterExpr& child : expr->children) RewriteNameComparisons(&child);
  store::Comparison& c = expr->comparison;
  if (expr->kind == store::FilterExpr::Kind::kComparison &&
      c.type == store::EntityType::kAttribute && c.key == "name") {
    c.type = store::EntityType::kTag;
    c.key = std::string(kTraceNameTag);
  }
}

}  // namespace

StatusOr<store::TraceInfo> TrackingService::StartTrace(store::TraceInfo trace) {
  if (!IsTraceId(trace.trace_id)) {
    return InvalidArgumentError(
        fmt::format("Invalid trace ID '{}': 1 to {} letters, digits, '-', '_', '.' or ':'.",
                    trace.trace_id, kMaxTraceIdLength));
  }
  RETURN_IF_ERROR(ValidateExperimentId(trace.experiment_id));
  RETURN_IF_ERROR(ValidateState(trace.state));
  if (trace.request_time_ms < 0 || trace.request_time_ms > kMaxTimestampMs ||
      trace.execution_duration_ms.value_or(0) < 0 ||
      trace.execution_duration_ms.value_or(0) > kMaxDurationMs) {
    return InvalidArgumentError(
        "A trace's request time must be between 1970 and 9999, its duration between 0 and "
        "10,000 years.");
  }
  RETURN_IF_ERROR(ValidatePairs("tag", trace.tags));
  RETURN_IF_ERROR(ValidatePairs("metadata", trace.metadata));
  ASSIGN_OR_RETURN(store::Experiment experiment, store_.GetExperiment(trace.experiment_id));
  Put(&trace.tags, kArtifactLocationTag,
      fmt::format("{}/traces/{}/artifacts", experiment.artifact_location, trace.trace_id));
  RETURN_IF_ERROR(store_.UpsertTrace(trace));
  return store_.GetTraceInfo(trace.trace_id);
}

StatusOr<store::TraceInfo> TrackingService::StartTraceV2(std::string_view experiment_id,
                                                         int64_t timestamp_ms,
                                                         std::vector<store::Tag> metadata,
                                                         std::vector<store::Tag> tags) {
  store::TraceInfo trace;
  trace.trace_id = NewUuidHex();
  trace.experiment_id = std::string(experiment_id);
  trace.request_time_ms = timestamp_ms;
  trace.state = "IN_PROGRESS";
  trace.metadata = std::move(metadata);
  trace.tags = std::move(tags);
  return StartTrace(std::move(trace));
}

StatusOr<store::TraceInfo> TrackingService::EndTraceV2(std::string_view trace_id,
                                                       int64_t timestamp_ms, std::string state,
                                                       std::vector<store::Tag> metadata,
                                                       std::vector<store::Tag> tags) {
  ASSIGN_OR_RETURN(store::TraceInfo trace, GetTraceInfo(trace_id));
  if (timestamp_ms < trace.request_time_ms || timestamp_ms > kMaxTimestampMs) {
    return InvalidArgumentError("A trace cannot end before it starts, nor after 9999.");
  }
  RETURN_IF_ERROR(ValidateState(state));
  RETURN_IF_ERROR(ValidatePairs("tag", tags));
  RETURN_IF_ERROR(ValidatePairs("metadata", metadata));
  trace.execution_duration_ms = timestamp_ms - trace.request_time_ms;
  trace.state = std::move(state);
  trace.metadata = std::move(metadata);  // added to what the trace has
  trace.tags = std::move(tags);
  RETURN_IF_ERROR(store_.UpsertTrace(trace));
  return store_.GetTraceInfo(trace_id);
}

StatusOr<store::TraceInfo> TrackingService::GetTraceInfo(std::string_view trace_id) {
  if (!IsTraceId(trace_id)) return NotFound(trace_id);
  return store_.GetTraceInfo(trace_id);
}

StatusOr<store::TracePage> TrackingService::SearchTraces(const TraceSearchRequest& request) {
  RETURN_IF_ERROR(ValidateMaxResults(request.max_results, kMaxTraceResults));
  if (request.experiment_ids.empty() || request.experiment_ids.size() > kMaxListed) {
    return InvalidArgumentError(
        fmt::format("Traces are searched in 1 to {} experiments.", kMaxListed));
  }
  store::TraceQuery query;
  query.experiment_ids = request.experiment_ids;
  ASSIGN_OR_RETURN(query.filter, ParseFilter(SearchEntity::kTraces, request.filter));
  if (query.filter.has_value()) RewriteNameComparisons(&*query.filter);
  ASSIGN_OR_RETURN(query.order_by, ParseOrderBy(SearchEntity::kTraces, request.order_by));
  RETURN_IF_ERROR(CheckSearchSize(query.filter, query.order_by));
  query.max_results = request.max_results;
  query.offset = request.offset;
  return store_.SearchTraces(query);
}

// Where clients read and write a trace's spans: the server's to set, at creation.
Status RefuseArtifactLocation(std::string_view key) {
  if (key != kArtifactLocationTag) return OkStatus();
  return InvalidArgumentError(fmt::format("The tag {} is set by the server.", key));
}

Status TrackingService::SetTraceTag(std::string_view trace_id, const store::Tag& tag) {
  if (!IsTraceId(trace_id)) return NotFound(trace_id);
  RETURN_IF_ERROR(ValidatePairs("tag", {tag}));
  RETURN_IF_ERROR(RefuseArtifactLocation(tag.key));
  return store_.SetTraceTag(trace_id, tag);
}

Status TrackingService::DeleteTraceTag(std::string_view trace_id, std::string_view key) {
  if (!IsTraceId(trace_id)) return NotFound(trace_id);
  RETURN_IF_ERROR(ValidateKey("tag", key));
  RETURN_IF_ERROR(RefuseArtifactLocation(key));
  return store_.DeleteTraceTag(trace_id, key);
}

StatusOr<int64_t> TrackingService::DeleteTraces(const store::TraceDeletion& deletion) {
  RETURN_IF_ERROR(ValidateExperimentId(deletion.experiment_id));
  if (deletion.max_timestamp_ms.has_value() == !deletion.trace_ids.empty()) {
    return InvalidArgumentError(
        "Exactly one of max_timestamp_millis and request_ids must be specified.");
  }
  if (deletion.trace_ids.size() > kMaxListed) {
    return InvalidArgumentError(
        fmt::format("At most {} traces are deleted by id at once.", kMaxListed));
  }
  if (deletion.max_traces.has_value() &&
      (*deletion.max_traces <= 0 || !deletion.max_timestamp_ms.has_value())) {
    return InvalidArgumentError("max_traces must be positive, and goes with max_timestamp_millis.");
  }
  return store_.DeleteTraces(deletion);
}

Status TrackingService::LinkTracesToRun(const std::vector<std::string>& trace_ids,
                                        std::string_view run_id) {
  RETURN_IF_ERROR(ValidateRunId(run_id));
  if (trace_ids.size() > kMaxLinkedTraces) {
    return InvalidArgumentError(
        fmt::format("At most {} traces can be linked to a run at once.", kMaxLinkedTraces));
  }
  for (const std::string& id : trace_ids) {
    if (!IsTraceId(id)) return NotFound(id);
  }
  return store_.LinkTracesToRun(trace_ids, run_id);
}

namespace {

constexpr size_t kMaxAssessmentNameLength = 500;

Status ValidateAssessment(const store::TraceAssessment& a) {
  if (a.name.empty() || a.name.size() > kMaxAssessmentNameLength) {
    return InvalidArgumentError(
        fmt::format("An assessment needs a name of 1 to {} characters.", kMaxAssessmentNameLength));
  }
  if (a.kind.empty()) {
    return InvalidArgumentError("An assessment holds feedback or an expectation.");
  }
  return ValidatePairs("metadata", a.metadata);
}

// Assessment ids travel in URL paths too: "a-" and hex digits here, the same characters as a
// trace id from others.
Status CheckAssessmentPath(std::string_view trace_id, std::string_view assessment_id) {
  if (IsTraceId(trace_id) && IsTraceId(assessment_id)) return OkStatus();
  return NotFoundError(
      fmt::format("Assessment with ID '{}' not found for trace '{}'.", assessment_id, trace_id));
}

}  // namespace

StatusOr<store::TraceAssessment> TrackingService::CreateAssessment(
    store::TraceAssessment assessment) {
  if (!IsTraceId(assessment.trace_id)) return NotFound(assessment.trace_id);
  RETURN_IF_ERROR(ValidateAssessment(assessment));
  const int64_t now = clock_.NowMillis();
  assessment.assessment_id = "a-" + NewUuidHex();
  if (assessment.create_time_ms < 0 || assessment.create_time_ms > kMaxTimestampMs) {
    return InvalidArgumentError("An assessment's create time must be between 1970 and 9999.");
  }
  if (assessment.create_time_ms == 0) assessment.create_time_ms = now;
  assessment.last_update_time_ms = assessment.create_time_ms;
  assessment.valid = true;
  if (!assessment.overrides.empty() && !IsTraceId(assessment.overrides)) {
    return NotFoundError(fmt::format("Assessment with ID '{}' not found.", assessment.overrides));
  }
  RETURN_IF_ERROR(store_.CreateAssessment(assessment));
  return assessment;
}

StatusOr<store::TraceAssessment> TrackingService::GetAssessment(std::string_view trace_id,
                                                                std::string_view assessment_id) {
  RETURN_IF_ERROR(CheckAssessmentPath(trace_id, assessment_id));
  return store_.GetAssessment(trace_id, assessment_id);
}

StatusOr<store::TraceAssessment> TrackingService::UpdateAssessment(
    std::string_view trace_id, std::string_view assessment_id, const store::TraceAssessment& update,
    const std::vector<std::string>& fields) {
  RETURN_IF_ERROR(CheckAssessmentPath(trace_id, assessment_id));
  if (!update.trace_id.empty() && update.trace_id != trace_id) {
    return InvalidArgumentError("The assessment names another trace than its path.");
  }
  if (fields.empty()) return InvalidArgumentError("The update names no field to change.");
  const int64_t now = clock_.NowMillis();
  return store_.UpdateAssessment(trace_id, assessment_id, [&](store::TraceAssessment* a) -> Status {
    for (const std::string& field : fields) {
      if (field == "assessment_name") {
        a->name = update.name;
      } else if (field == "feedback" || field == "expectation") {
        if (update.kind != field) {
          return InvalidArgumentError(
              fmt::format("The update names {}, which the assessment sent lacks.", field));
        }
        if (a->kind != field) {
          return InvalidArgumentError(fmt::format("A {} cannot become a {}.", a->kind, field));
        }
        a->value = update.value;
      } else if (field == "rationale") {
        a->rationale = update.rationale;
      } else if (field == "metadata") {
        a->metadata = update.metadata;
      } else if (field != "assessment_id" && field != "trace_id") {
        return InvalidArgumentError(
            fmt::format("The field '{}' of an assessment cannot be updated.", field));
      }
    }
    RETURN_IF_ERROR(ValidateAssessment(*a));
    a->last_update_time_ms = std::max(now, a->create_time_ms);
    return OkStatus();
  });
}

Status TrackingService::DeleteAssessment(std::string_view trace_id,
                                         std::string_view assessment_id) {
  RETURN_IF_ERROR(CheckAssessmentPath(trace_id, assessment_id));
  return store_.DeleteAssessment(trace_id, assessment_id);
}

}  // namespace mlhub::tracking
