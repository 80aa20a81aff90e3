// SPDX-License-Identifier: Apache-2.0
// Authorizer: trace routes take their experiment's permissions. Creating a trace (or linking it
// to a run) needs EDIT, reading one or searching READ on every experiment searched, tag changes
// EDIT, deleting traces DELETE.
#include "auth/authorizer.h"
#include "rest/mlflow_error.h"
#include "rest/request_fields.h"

namespace mlhub::auth {
namespace {

// The experiment ids a trace search names: experiment_ids (v2) and v3's locations.
std::vector<std::string> SearchedExperiments(const rest::RequestFields& fields) {
  auto listed = fields.StringList("experiment_ids");
  std::vector<std::string> ids = listed.ok() ? *std::move(listed) : std::vector<std::string>();
  if (!fields.json()) return ids;
  auto locations = json::Find(*fields.json(), "locations");
  json::Array items;
  if (!locations || locations->get(items) != simdjson::SUCCESS) return ids;
  for (json::Element item : items) {
    std::string_view id;
    if (item.at_pointer("/mlflow_experiment/experiment_id").get(id) == simdjson::SUCCESS) {
      ids.emplace_back(id);
    }
  }
  return ids;
}

// The experiment a new trace goes to: v3's trace location (its id a string or a number), or
// v2's experiment_id; each read as its own handler reads it.
std::string NewTraceExperiment(const http::Request& request, const rest::RequestFields& fields) {
  const bool v3 = request.path.find("/3.0/mlflow/") != std::string_view::npos;
  if (!v3) {
    auto id = fields.String("experiment_id");
    return id.ok() && id->has_value() ? std::string(**id) : "";
  }
  json::Element id;
  if (!fields.json() ||
      fields.json()
              ->at_pointer("/trace/trace_info/trace_location/mlflow_experiment/experiment_id")
              .get(id) != simdjson::SUCCESS) {
    return "";
  }
  if (int64_t number = 0; id.get(number) == simdjson::SUCCESS) return std::to_string(number);
  std::string_view text;
  return id.get(text) == simdjson::SUCCESS ? std::string(text) : "";
}

}  // namespace

std::optional<http::Response> Authorizer::AuthorizeTrace(const http::Request& request,
                                                         http::Method method, const User& user,
                                                         std::string_view op) {
  using http::Method;
  // An unknown resource is the handler's to answer (404 / 400).
  auto check = [&](const StatusOr<std::string>& experiment,
                   Need need) -> std::optional<http::Response> {
    if (experiment.status().code() == StatusCode::kNotFound) return std::nullopt;
    if (!experiment.ok()) return rest::ErrorResponse(experiment.status());
    if (experiment->empty()) return std::nullopt;
    auto permission = PermissionOf(user, ResourceKind::kExperiment, *experiment);
    if (!permission.ok()) return rest::ErrorResponse(permission.status());
    if (!Allows(*permission, need)) return http::Response::Text(403, "Permission denied");
    return std::nullopt;
  };
  auto fields = rest::RequestFields::FromRequest(request);
  if (!fields.ok()) return std::nullopt;  // the handler answers the malformed request

  const bool post = method == Method::kPost;
  if (op == "traces") {  // POST: a new trace; GET (or HEAD): the v2 search
    if (post) return check(NewTraceExperiment(request, *fields), Need::kUpdate);
    for (const std::string& id : SearchedExperiments(*fields)) {
      if (auto refused = check(id, Need::kRead)) return refused;
    }
    return std::nullopt;
  }
  if (post && op == "traces/search") {
    for (const std::string& id : SearchedExperiments(*fields)) {
      if (auto refused = check(id, Need::kRead)) return refused;
    }
    return std::nullopt;
  }
  if (post && op == "traces/delete-traces") {
    auto id = fields->String("experiment_id");
    if (!id.ok() || !id->has_value()) return std::nullopt;
    return check(std::string(**id), Need::kDelete);
  }
  if (post && op == "traces/link-to-run") {
    // EDIT on the run's experiment, and on each trace's.
    auto run = fields->String("run_id");
    if (!run.ok() || !run->has_value()) return std::nullopt;
    if (auto refused = check(lookups_.experiment_of_run(**run), Need::kUpdate)) return refused;
    auto traces = fields->StringList("trace_ids");
    if (!traces.ok()) return std::nullopt;
    for (const std::string& trace_id : *traces) {
      if (auto refused = check(lookups_.experiment_of_trace(trace_id), Need::kUpdate)) {
        return refused;
      }
    }
    return std::nullopt;
  }
  // traces/<id>[/info|/tags], whatever the method
  std::string_view rest = op.substr(std::string_view("traces/").size());
  const std::string_view trace_id = rest.substr(0, rest.find('/'));
  if (trace_id.empty()) return std::nullopt;
  const bool reads = method == Method::kGet;
  return check(lookups_.experiment_of_trace(trace_id), reads ? Need::kRead : Need::kUpdate);
}

}  // namespace mlhub::auth
