// SPDX-License-Identifier: Apache-2.0
// Proto JSON pieces of MLflow's tracing API, shared by its routes: Timestamps and Durations as
// MLflow 3 clients write them, string maps, and assessments (feedback and expectations).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/json_reader.h"
#include "common/json_writer.h"
#include "common/status.h"
#include "http/handler.h"
#include "rest/request_fields.h"
#include "store/tracking_types.h"
#include "tracking/tracking_service.h"

namespace mlhub::tracking::api {

// RFC 3339 in UTC, "2025-06-04T00:17:06.901Z", and back (any offset; digits past milliseconds
// dropped; kInvalidArgument for anything else).
std::string FormatTimestamp(int64_t ms);
StatusOr<int64_t> ParseTimestamp(std::string_view text);
// "1.840s", and back (not negative).
std::string FormatDuration(int64_t ms);
StatusOr<int64_t> ParseDuration(std::string_view text);

// A JSON object of strings (a proto map) at `field`, to pairs; absent or null: none.
StatusOr<std::vector<store::Tag>> ReadStringMap(json::Object object, std::string_view field);
void WriteStringMap(JsonWriter& w, std::string_view field, const std::vector<store::Tag>& pairs);

// MLflow's Assessment message.
void WriteAssessment(JsonWriter& w, const store::TraceAssessment& a);

// The assessment routes under a trace (v3): POST <trace>/assessments, and GET, PATCH, DELETE
// <trace>/assessments/<id>; `rest` is what follows "<trace>/". kNotFound for other paths.
StatusOr<std::string> HandleAssessmentRequest(TrackingService& service, http::Method method,
                                              const rest::RequestFields& fields,
                                              std::string_view trace_id, std::string_view rest);

}  // namespace mlhub::tracking::api
