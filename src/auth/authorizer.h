// SPDX-License-Identifier: Apache-2.0
// Authorizer: `mlhub server --auth basic`, MLflow's basic-auth app as a RouteFilter around every
// route. Before a handler: HTTP Basic authentication (401 with `WWW-Authenticate: Basic
// realm="mlflow"`), then the route's permission check (403 "Permission denied"): reads need READ
// on the experiment or registered model, writes EDIT, deletes and permission changes MANAGE;
// runs, logged models, traces and artifacts follow their experiment; admins pass every check; a
// user without a permission row gets the default permission. After a handler: the creator of an
// experiment or registered model gets MANAGE on it, and searches (experiments, registered models,
// model versions, runs) return only what the caller may read; as in MLflow, a page that comes out
// short is filled from the pages after it.
//
// Unprotected: /health, /version and the web UI's files (its API calls are protected).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "auth/auth_store.h"
#include "auth/permission.h"
#include "common/status.h"
#include "http/router.h"

namespace mlhub::auth {

struct AuthConfig {
  Permission default_permission = Permission::kRead;
};

// What the policy needs to know of the tracking store (given, so auth depends on no service).
struct ResourceLookups {
  // The experiment of a run; NotFound for an unknown run.
  std::function<StatusOr<std::string>(std::string_view run_id)> experiment_of_run;
  // The id of the experiment with this name; NotFound for none.
  std::function<StatusOr<std::string>(std::string_view name)> experiment_by_name;
  // The experiment of a logged model (MLflow 3); NotFound for an unknown model.
  std::function<StatusOr<std::string>(std::string_view model_id)> experiment_of_logged_model;
  // The experiment of a trace; NotFound for an unknown trace.
  std::function<StatusOr<std::string>(std::string_view trace_id)> experiment_of_trace;
};

class Authorizer final : public http::RouteFilter {
 public:
  Authorizer(AuthStore* store, AuthConfig config, ResourceLookups lookups);

  std::optional<http::Response> Before(http::Request& request) override;
  void After(const http::Request& request, http::Response& response,
             const http::Handler& again) override;

  // The caller's effective permission on a resource (admins: MANAGE).
  StatusOr<Permission> PermissionOf(const User& user, ResourceKind kind, std::string_view resource);

 private:
  // The user the Basic credentials name, when the password is right.
  std::optional<User> Authenticate(const http::Request& request);
  std::optional<http::Response> Authorize(http::Request& request, const User& user);
  // `method` is the request's, HEAD read as GET (the GET route answers it).
  std::optional<http::Response> AuthorizeLoggedModel(http::Method method, const User& user,
                                                     std::string_view rest);
  // Trace routes ("traces", "traces/..."): their experiment's permission (authorizer_traces.cc).
  std::optional<http::Response> AuthorizeTrace(const http::Request& request, http::Method method,
                                               const User& user, std::string_view op);

  AuthStore* store_;
  const AuthConfig config_;
  const ResourceLookups lookups_;
  // Verified credentials: username -> (password hash then, HMAC of the password under a key of
  // this process). PBKDF2 takes ~0.3 s by design; the MLflow client sends the password with
  // every request.
  std::mutex cache_mu_;
  std::map<std::string, std::pair<std::string, std::string>, std::less<>> verified_;
  std::string cache_key_;
};

}  // namespace mlhub::auth
