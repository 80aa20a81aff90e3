// SPDX-License-Identifier: Apache-2.0
// The REST routes of MLflow's basic-auth app (under /api/2.0/mlflow/ and /ajax-api/2.0/mlflow/):
// users/create|get|update-password|update-admin|delete and
// {experiments,registered-models}/permissions/create|get|update|delete, with MLflow's JSON
// shapes. Who may call them is the Authorizer's business (admins; a user for their own account;
// MANAGE on the resource for its permissions).
#pragma once

#include "auth/auth_store.h"
#include "http/router.h"

namespace mlhub::auth {

void AddAuthRoutes(http::Router& router, AuthStore& store);

}  // namespace mlhub::auth
