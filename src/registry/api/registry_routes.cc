// SPDX-License-Identifier: Apache-2.0
// registered-models/* and model-versions/*.
#include "registry/api/registry_routes.h"

#include <string>
#include <vector>

#include "common/json_writer.h"
#include "registry/api/model_json.h"
#include "rest/json_route.h"
#include "rest/key_values.h"
#include "rest/page_token.h"
#include "rest/request_fields.h"

namespace mlhub::registry::api {
namespace {

using rest::Empty;

using http::Method;
using rest::AddJsonRoute;
using rest::RequestFields;

StatusOr<std::string> ModelResponse(const StatusOr<store::RegisteredModel>& model) {
  if (!model.ok()) return model.status();
  std::string body;
  JsonWriter w(&body);
  w.StartObject().Key("registered_model");
  WriteRegisteredModel(w, *model);
  w.EndObject();
  return body;
}

StatusOr<std::string> VersionResponse(const StatusOr<store::ModelVersion>& version) {
  if (!version.ok()) return version.status();
  std::string body;
  JsonWriter w(&body);
  w.StartObject().Key("model_version");
  WriteModelVersion(w, *version);
  w.EndObject();
  return body;
}

std::string VersionList(std::string_view field, const std::vector<store::ModelVersion>& versions,
                        const std::optional<int64_t>& next_offset) {
  std::string body;
  JsonWriter w(&body);
  w.StartObject();
  if (!versions.empty()) {
    w.Key(field).StartArray();
    for (const store::ModelVersion& v : versions) WriteModelVersion(w, v);
    w.EndArray();
  }
  if (next_offset) w.Field("next_page_token", rest::EncodePageToken(*next_offset));
  w.EndObject();
  return body;
}

// `version` travels as a string ("3"); a JSON number is accepted too.
StatusOr<std::string> RequiredVersion(const RequestFields& f) {
  auto text = f.String("version");
  if (text.ok()) {
    if (!text->has_value()) return rest::MissingField("version");
    return std::string(**text);
  }
  ASSIGN_OR_RETURN(auto number, f.Int64("version"));
  if (!number.has_value()) return rest::MissingField("version");
  return std::to_string(*number);
}

StatusOr<std::string> OptionalString(const RequestFields& f, std::string_view key) {
  ASSIGN_OR_RETURN(auto value, f.String(key));
  return std::string(value.value_or(""));
}

StatusOr<std::vector<store::Tag>> Tags(const RequestFields& f) {
  if (!f.json()) return std::vector<store::Tag>();
  return rest::ReadKeyValues(*f.json(), "tags");
}

StatusOr<RegistrySearchRequest> ReadSearch(const RequestFields& f) {
  RegistrySearchRequest request;
  ASSIGN_OR_RETURN(request.filter, OptionalString(f, "filter"));
  ASSIGN_OR_RETURN(request.max_results, f.Int64("max_results"));
  ASSIGN_OR_RETURN(request.order_by, f.StringList("order_by"));
  ASSIGN_OR_RETURN(std::string token, OptionalString(f, "page_token"));
  ASSIGN_OR_RETURN(request.offset, rest::DecodePageToken(token));
  return request;
}

void AddRegisteredModelRoutes(http::Router& router, RegistryService& service) {
  AddJsonRoute(
      router, Method::kPost, "registered-models/create",
      [&service](const RequestFields& f) -> StatusOr<std::string> {
        ASSIGN_OR_RETURN(std::string_view name, f.RequiredString("name"));
        ASSIGN_OR_RETURN(std::string description, OptionalString(f, "description"));
        ASSIGN_OR_RETURN(std::vector<store::Tag> tags, Tags(f));
        return ModelResponse(service.CreateRegisteredModel(name, description, std::move(tags)));
      });
  AddJsonRoute(router, Method::kGet, "registered-models/get",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view name, f.RequiredString("name"));
                 return ModelResponse(service.GetRegisteredModel(name));
               });
  AddJsonRoute(router, Method::kPost, "registered-models/rename",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view name, f.RequiredString("name"));
                 ASSIGN_OR_RETURN(std::string_view new_name, f.RequiredString("new_name"));
                 return ModelResponse(service.RenameRegisteredModel(name, new_name));
               });
  AddJsonRoute(router, Method::kPatch, "registered-models/update",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view name, f.RequiredString("name"));
                 ASSIGN_OR_RETURN(std::string description, OptionalString(f, "description"));
                 return ModelResponse(service.UpdateRegisteredModel(name, description));
               });
  AddJsonRoute(router, Method::kDelete, "registered-models/delete",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view name, f.RequiredString("name"));
                 return Empty(service.DeleteRegisteredModel(name));
               });
  for (Method method : {Method::kGet, Method::kPost}) {
    AddJsonRoute(router, method, "registered-models/search",
                 [&service](const RequestFields& f) -> StatusOr<std::string> {
                   ASSIGN_OR_RETURN(RegistrySearchRequest request, ReadSearch(f));
                   ASSIGN_OR_RETURN(store::RegisteredModelPage page,
                                    service.SearchRegisteredModels(request));
                   std::string body;
                   JsonWriter w(&body);
                   w.StartObject();
                   if (!page.models.empty()) {
                     w.Key("registered_models").StartArray();
                     for (const store::RegisteredModel& m : page.models) WriteRegisteredModel(w, m);
                     w.EndArray();
                   }
                   if (page.next_offset) {
                     w.Field("next_page_token", rest::EncodePageToken(*page.next_offset));
                   }
                   w.EndObject();
                   return body;
                 });
    AddJsonRoute(router, method, "registered-models/get-latest-versions",
                 [&service](const RequestFields& f) -> StatusOr<std::string> {
                   ASSIGN_OR_RETURN(std::string_view name, f.RequiredString("name"));
                   ASSIGN_OR_RETURN(std::vector<std::string> stages, f.StringList("stages"));
                   ASSIGN_OR_RETURN(std::vector<store::ModelVersion> versions,
                                    service.GetLatestVersions(name, stages));
                   return VersionList("model_versions", versions, std::nullopt);
                 });
  }
  AddJsonRoute(router, Method::kPost, "registered-models/set-tag",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view name, f.RequiredString("name"));
                 ASSIGN_OR_RETURN(std::string_view key, f.RequiredString("key"));
                 ASSIGN_OR_RETURN(std::string value, OptionalString(f, "value"));
                 return Empty(service.SetRegisteredModelTag(name, {std::string(key), value}));
               });
  AddJsonRoute(router, Method::kDelete, "registered-models/delete-tag",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view name, f.RequiredString("name"));
                 ASSIGN_OR_RETURN(std::string_view key, f.RequiredString("key"));
                 return Empty(service.DeleteRegisteredModelTag(name, key));
               });
  AddJsonRoute(router, Method::kPost, "registered-models/alias",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view name, f.RequiredString("name"));
                 ASSIGN_OR_RETURN(std::string_view alias, f.RequiredString("alias"));
                 ASSIGN_OR_RETURN(std::string version, RequiredVersion(f));
                 return Empty(service.SetAlias(name, alias, version));
               });
  AddJsonRoute(router, Method::kDelete, "registered-models/alias",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view name, f.RequiredString("name"));
                 ASSIGN_OR_RETURN(std::string_view alias, f.RequiredString("alias"));
                 return Empty(service.DeleteAlias(name, alias));
               });
  AddJsonRoute(router, Method::kGet, "registered-models/alias",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view name, f.RequiredString("name"));
                 ASSIGN_OR_RETURN(std::string_view alias, f.RequiredString("alias"));
                 return VersionResponse(service.GetVersionByAlias(name, alias));
               });
}

void AddModelVersionRoutes(http::Router& router, RegistryService& service) {
  AddJsonRoute(router, Method::kPost, "model-versions/create",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 CreateVersionRequest request;
                 ASSIGN_OR_RETURN(std::string_view name, f.RequiredString("name"));
                 ASSIGN_OR_RETURN(std::string_view source, f.RequiredString("source"));
                 request.name = std::string(name);
                 request.source = std::string(source);
                 ASSIGN_OR_RETURN(request.run_id, OptionalString(f, "run_id"));
                 ASSIGN_OR_RETURN(request.run_link, OptionalString(f, "run_link"));
                 ASSIGN_OR_RETURN(request.description, OptionalString(f, "description"));
                 ASSIGN_OR_RETURN(request.model_id, OptionalString(f, "model_id"));
                 ASSIGN_OR_RETURN(request.tags, Tags(f));
                 return VersionResponse(service.CreateModelVersion(std::move(request)));
               });
  AddJsonRoute(router, Method::kGet, "model-versions/get",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view name, f.RequiredString("name"));
                 ASSIGN_OR_RETURN(std::string version, RequiredVersion(f));
                 return VersionResponse(service.GetModelVersion(name, version));
               });
  AddJsonRoute(router, Method::kPatch, "model-versions/update",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view name, f.RequiredString("name"));
                 ASSIGN_OR_RETURN(std::string version, RequiredVersion(f));
                 ASSIGN_OR_RETURN(std::string description, OptionalString(f, "description"));
                 return VersionResponse(service.UpdateModelVersion(name, version, description));
               });
  AddJsonRoute(router, Method::kPost, "model-versions/transition-stage",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view name, f.RequiredString("name"));
                 ASSIGN_OR_RETURN(std::string version, RequiredVersion(f));
                 ASSIGN_OR_RETURN(std::string_view stage, f.RequiredString("stage"));
                 ASSIGN_OR_RETURN(auto archive, f.Bool("archive_existing_versions"));
                 return VersionResponse(
                     service.TransitionStage(name, version, stage, archive.value_or(false)));
               });
  AddJsonRoute(router, Method::kDelete, "model-versions/delete",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view name, f.RequiredString("name"));
                 ASSIGN_OR_RETURN(std::string version, RequiredVersion(f));
                 return Empty(service.DeleteModelVersion(name, version));
               });
  for (Method method : {Method::kGet, Method::kPost}) {
    AddJsonRoute(router, method, "model-versions/search",
                 [&service](const RequestFields& f) -> StatusOr<std::string> {
                   ASSIGN_OR_RETURN(RegistrySearchRequest request, ReadSearch(f));
                   ASSIGN_OR_RETURN(store::ModelVersionPage page,
                                    service.SearchModelVersions(request));
                   return VersionList("model_versions", page.versions, page.next_offset);
                 });
  }
  AddJsonRoute(router, Method::kPost, "model-versions/set-tag",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view name, f.RequiredString("name"));
                 ASSIGN_OR_RETURN(std::string version, RequiredVersion(f));
                 ASSIGN_OR_RETURN(std::string_view key, f.RequiredString("key"));
                 ASSIGN_OR_RETURN(std::string value, OptionalString(f, "value"));
                 return Empty(service.SetModelVersionTag(name, version, {std::string(key), value}));
               });
  AddJsonRoute(router, Method::kDelete, "model-versions/delete-tag",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view name, f.RequiredString("name"));
                 ASSIGN_OR_RETURN(std::string version, RequiredVersion(f));
                 ASSIGN_OR_RETURN(std::string_view key, f.RequiredString("key"));
                 return Empty(service.DeleteModelVersionTag(name, version, key));
               });
  AddJsonRoute(router, Method::kGet, "model-versions/get-download-uri",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view name, f.RequiredString("name"));
                 ASSIGN_OR_RETURN(std::string version, RequiredVersion(f));
                 ASSIGN_OR_RETURN(std::string uri, service.GetDownloadUri(name, version));
                 std::string body;
                 JsonWriter(&body).StartObject().Field("artifact_uri", uri).EndObject();
                 return body;
               });
  // mlhub's own: one call from a models:/ URI to the version and the location of its files.
  AddJsonRoute(router, Method::kGet, "model-versions/resolve",
               [&service](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view uri, f.RequiredString("uri"));
                 ASSIGN_OR_RETURN(ResolvedModel resolved, service.Resolve(uri));
                 std::string body;
                 JsonWriter w(&body);
                 w.StartObject().Key("model_version");
                 WriteModelVersion(w, resolved.version);
                 w.Field("artifact_uri", resolved.artifact_uri);
                 w.EndObject();
                 return body;
               });
}

}  // namespace

void AddRegistryRoutes(http::Router& router, RegistryService& service) {
  AddRegisteredModelRoutes(router, service);
  AddModelVersionRoutes(router, service);
}

}  // namespace mlhub::registry::api
