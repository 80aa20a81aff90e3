// SPDX-License-Identifier: Apache-2.0
// Tracking entities to MLflow's JSON (proto field names, int64 as numbers, enums as names, lists of
// {key, value} for tags and params), and MLflow's enum names back to values.
#pragma once

#include <string_view>

#include "common/json_reader.h"
#include "common/json_writer.h"
#include "common/status.h"
#include "rest/key_values.h"
#include "rest/request_fields.h"
#include "store/tracking_types.h"
#include "tracking/tracking_service.h"

namespace mlhub::tracking::api {

using rest::ReadKeyValues;
using rest::RequestFields;
using rest::WriteKeyValues;

void WriteExperiment(JsonWriter& w, const store::Experiment& experiment);
void WriteRunInfo(JsonWriter& w, const store::RunInfo& info);
void WriteRun(JsonWriter& w, const store::Run& run);
void WriteMetric(JsonWriter& w, std::string_view key, const store::Metric& metric);

std::string_view LifecycleName(store::LifecycleStage stage);
std::string_view RunStatusName(store::RunStatus status);
// Accepts the enum name or its integer value (as a number or as text).
StatusOr<store::RunStatus> ParseRunStatus(std::string_view text);
StatusOr<store::ViewType> ParseViewType(std::string_view text);

// The fields every search endpoint shares: filter, max_results (default 1000), order_by,
// page_token and the view type, read from the field named `view_field`.
StatusOr<SearchRequest> ReadSearchRequest(const RequestFields& fields, std::string_view view_field);

}  // namespace mlhub::tracking::api
