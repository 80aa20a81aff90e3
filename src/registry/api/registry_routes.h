// SPDX-License-Identifier: Apache-2.0
// The MLflow model registry REST API (registered-models/*, model-versions/*) registered on a
// Router under both `/api/2.0/mlflow/` and `/ajax-api/2.0/mlflow/`, plus mlhub's
// `model-versions/resolve?uri=models:/...` for the serving side. The service must outlive the
// router.
#pragma once

#include "http/router.h"
#include "registry/registry_service.h"

namespace mlhub::registry::api {

void AddRegistryRoutes(http::Router& router, RegistryService& service);

}  // namespace mlhub::registry::api
