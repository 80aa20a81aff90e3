// SPDX-License-Identifier: Apache-2.0
// Registering MLflow JSON endpoints: each is mounted under both `/api/2.0/mlflow/` (clients) and
// `/ajax-api/2.0/mlflow/` (the web UI), reads its fields through RequestFields, and answers either
// the JSON it returns or the MLflow error for the Status it fails with.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "http/router.h"
#include "rest/request_fields.h"

namespace mlhub::rest {

inline constexpr std::string_view kApiPrefix = "/api/2.0/mlflow/";
inline constexpr std::string_view kAjaxPrefix = "/ajax-api/2.0/mlflow/";
// Routes of our own, beyond MLflow's API (same error format), so they never collide with one
// MLflow adds later.
inline constexpr std::string_view kMlhubApiPrefix = "/api/2.0/mlhub/";
inline constexpr std::string_view kMlhubAjaxPrefix = "/ajax-api/2.0/mlhub/";

// MLflow 3's own generation of endpoints (traces), beside the 2.0 ones.
inline constexpr std::string_view kApiV3Prefix = "/api/3.0/mlflow/";
inline constexpr std::string_view kAjaxV3Prefix = "/ajax-api/3.0/mlflow/";
enum class ApiVersion { kV2, kV3 };

using JsonHandler = std::function<StatusOr<std::string>(const RequestFields& fields)>;

// The `{}` an endpoint with an empty response answers, or `status`'s error.
StatusOr<std::string> Empty(const Status& status);

// Registers `path` (e.g. "experiments/create") for `method` under both prefixes (the 3.0 ones
// for kV3).
void AddJsonRoute(http::Router& router, http::Method method, std::string_view path,
                  JsonHandler handler, ApiVersion version = ApiVersion::kV2);
// Registers every path under `prefix` (e.g. "logged-models/"): the handler gets the rest of the
// path (still percent-encoded), for resources named in the path itself.
using JsonPrefixHandler =
    std::function<StatusOr<std::string>(const RequestFields& fields, std::string_view suffix)>;
void AddJsonPrefixRoute(http::Router& router, http::Method method, std::string_view prefix,
                        JsonPrefixHandler handler, ApiVersion version = ApiVersion::kV2);

// The same under the mlhub prefixes.
void AddMlhubJsonRoute(http::Router& router, http::Method method, std::string_view path,
                       JsonHandler handler);

// Registers a handler that builds its own Response (e.g. a streamed one) under both prefixes;
// errors from field parsing are still answered as MLflow errors.
using ResponseHandler = std::function<StatusOr<http::Response>(const RequestFields& fields)>;
void AddResponseRoute(http::Router& router, http::Method method, std::string_view path,
                      ResponseHandler handler);

}  // namespace mlhub::rest
