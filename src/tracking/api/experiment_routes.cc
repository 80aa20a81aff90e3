// SPDX-License-Identifier: Apache-2.0
// experiments/*: create, get, get-by-name, search, update, delete, restore, tags.
#include "common/json_writer.h"
#include "rest/json_route.h"
#include "rest/page_token.h"
#include "tracking/api/entity_json.h"
#include "tracking/api/tracking_routes.h"

namespace mlhub::tracking::api {

using rest::AddJsonRoute;
using rest::EncodePageToken;
namespace {

using rest::Empty;

using http::Method;

StatusOr<std::string> ExperimentResponse(const StatusOr<store::Experiment>& experiment) {
  if (!experiment.ok()) return experiment.status();
  std::string body;
  JsonWriter w(&body);
  w.StartObject().Key("experiment");
  WriteExperiment(w, *experiment);
  w.EndObject();
  return body;
}

StatusOr<std::string> Search(TrackingService& service, const RequestFields& fields) {
  ASSIGN_OR_RETURN(SearchRequest request, ReadSearchRequest(fields, "view_type"));
  ASSIGN_OR_RETURN(store::ExperimentPage page, service.SearchExperiments(request));
  std::string body;
  JsonWriter w(&body);
  w.StartObject();
  if (!page.experiments.empty()) {
    w.Key("experiments").StartArray();
    for (const auto& experiment : page.experiments) WriteExperiment(w, experiment);
    w.EndArray();
  }
  if (page.next_offset) w.Field("next_page_token", EncodePageToken(*page.next_offset));
  w.EndObject();
  return body;
}

}  // namespace

void AddExperimentRoutes(http::Router& router, TrackingService& service) {
  AddJsonRoute(router, Method::kPost, "experiments/create",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view name, f.RequiredString("name"));
                 ASSIGN_OR_RETURN(auto location, f.String("artifact_location"));
                 std::vector<store::Tag> tags;
                 if (f.json()) {
                   ASSIGN_OR_RETURN(tags, ReadKeyValues(*f.json(), "tags"));
                 }
                 ASSIGN_OR_RETURN(
                     std::string id,
                     service.CreateExperiment(std::string(name), std::string(location.value_or("")),
                                              std::move(tags)));
                 std::string body;
                 JsonWriter(&body).StartObject().Field("experiment_id", id).EndObject();
                 return body;
               });
  AddJsonRoute(router, Method::kGet, "experiments/get",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view id, f.RequiredString("experiment_id"));
                 return ExperimentResponse(service.GetExperiment(id));
               });
  AddJsonRoute(router, Method::kGet, "experiments/get-by-name",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view name, f.RequiredString("experiment_name"));
                 return ExperimentResponse(service.GetExperimentByName(name));
               });
  for (Method method : {Method::kPost, Method::kGet}) {
    AddJsonRoute(router, method, "experiments/search",
                 [&service](const RequestFields& f) { return Search(service, f); });
  }
  AddJsonRoute(router, Method::kPost, "experiments/update",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view id, f.RequiredString("experiment_id"));
                 ASSIGN_OR_RETURN(std::string_view name, f.RequiredString("new_name"));
                 return Empty(service.RenameExperiment(id, name));
               });
  AddJsonRoute(router, Method::kPost, "experiments/delete",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view id, f.RequiredString("experiment_id"));
                 return Empty(service.DeleteExperiment(id));
               });
  AddJsonRoute(router, Method::kPost, "experiments/restore",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view id, f.RequiredString("experiment_id"));
                 return Empty(service.RestoreExperiment(id));
               });
  AddJsonRoute(router, Method::kPost, "experiments/set-experiment-tag",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view id, f.RequiredString("experiment_id"));
                 ASSIGN_OR_RETURN(std::string_view key, f.RequiredString("key"));
                 ASSIGN_OR_RETURN(std::string_view value, f.RequiredString("value"));
                 return Empty(service.SetExperimentTag(id, {std::string(key), std::string(value)}));
               });
  for (std::string_view path : {"experiments/delete-tag", "experiments/delete-experiment-tag"}) {
    AddJsonRoute(router, Method::kPost, path,
                 [&service](const RequestFields& f) -> StatusOr<std::string> {
                   ASSIGN_OR_RETURN(std::string_view id, f.RequiredString("experiment_id"));
                   ASSIGN_OR_RETURN(std::string_view key, f.RequiredString("key"));
                   return Empty(service.DeleteExperimentTag(id, key));
                 });
  }
}

}  // namespace mlhub::tracking::api
