// SPDX-License-Identifier: Apache-2.0
// The HTTP routes of `mlhub serve`: V2 REST (health, metadata, infer, model repository,
// statistics), MLflow scoring (/ping, /health, /version, /invocations), KServe V1 (/v1/models),
// the seed API (/ready, /predict) and /metrics.
// Inference routes are async: they decode on the I/O thread, run on the model's scheduler and
// answer from there; nothing waits on the blocking pool but load/unload.
#pragma once

#include <string>

#include "http/metrics.h"
#include "http/router.h"
#include "serving/repository/model_repository.h"

namespace mlhub::serving {

struct ServingInfo {
  std::string server_name = "mlhub";
  std::string server_version;
  std::string default_model;  // what /invocations and /predict serve without ?model=
};

// `repository` and `http_metrics` (may be null) must outlive the router.
void AddV2Routes(http::Router* router, ModelRepository* repository, const ServingInfo& info);
void AddScoringRoutes(http::Router* router, ModelRepository* repository, const ServingInfo& info);
void AddMetricsRoute(http::Router* router, ModelRepository* repository,
                     const http::HttpMetrics* http_metrics);

// {"error": message}: the V2 error body.
http::Response V2Error(int status, std::string_view message);

}  // namespace mlhub::serving
