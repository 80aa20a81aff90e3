// SPDX-License-Identifier: Apache-2.0
// The one place where a Status becomes an MLflow error: `{"error_code": ..., "message": ...}` with
// MLflow's HTTP status for the code (RESOURCE_ALREADY_EXISTS and INVALID_PARAMETER_VALUE are 400,
// RESOURCE_DOES_NOT_EXIST 404, TEMPORARILY_UNAVAILABLE 503, ...).
#pragma once

#include <string_view>

#include "common/status.h"
#include "http/handler.h"

namespace mlhub::rest {

http::Response ErrorResponse(const Status& status);

// The MLflow error code name for a status code, e.g. "RESOURCE_DOES_NOT_EXIST".
std::string_view MlflowErrorCode(StatusCode code);

}  // namespace mlhub::rest
