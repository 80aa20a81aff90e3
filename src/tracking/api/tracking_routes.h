// SPDX-License-Identifier: Apache-2.0
// The MLflow tracking REST API (experiments, runs, metrics, artifacts/list) and the proxied
// artifact API (`/api/2.0/mlflow-artifacts/...`), registered on a Router. The service and store
// must outlive the router.
#pragma once

#include "artifacts/artifact_store.h"
#include "http/router.h"
#include "tracking/tracking_service.h"

namespace mlhub::tracking::api {

void AddExperimentRoutes(http::Router& router, TrackingService& service);
void AddRunRoutes(http::Router& router, TrackingService& service,
                  artifacts::ArtifactStore& artifacts);
// MLflow 3's logged models (logged-models/...) and runs/outputs.
void AddLoggedModelRoutes(http::Router& router, TrackingService& service,
                          artifacts::ArtifactStore& artifacts);
void AddArtifactProxyRoutes(http::Router& router, artifacts::ArtifactStore& artifacts);
// MLflow's tracing API: v3 (`/api/3.0/mlflow/traces...`) and v2 (`/api/2.0/mlflow/traces...`).
void AddTraceRoutes(http::Router& router, TrackingService& service);

// The files directly under `path` of the artifact root `root_uri` (a run's artifact_uri, a logged
// model's artifact_location), as artifacts/list answers them: {root_uri, files: [{path relative
// to the root, is_dir, file_size}]}; a root this server does not store lists nothing.
StatusOr<std::string> ArtifactListingJson(artifacts::ArtifactStore& store,
                                          std::string_view root_uri, std::string_view path);

}  // namespace mlhub::tracking::api
