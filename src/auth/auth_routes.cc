// SPDX-License-Identifier: Apache-2.0
#include "auth/auth_routes.h"

#include <fmt/format.h>

#include "common/json_writer.h"
#include "rest/json_route.h"
#include "rest/request_fields.h"

namespace mlhub::auth {
namespace {

using http::Method;
using rest::AddJsonRoute;
using rest::RequestFields;

StatusOr<Permission> PermissionField(const RequestFields& f) {
  ASSIGN_OR_RETURN(std::string_view name, f.RequiredString("permission"));
  std::optional<Permission> permission = ParsePermission(name);
  if (!permission) {
    return InvalidArgumentError(
        fmt::format("Invalid permission '{}'. Valid permissions are: ('READ', 'EDIT', 'MANAGE', "
                    "'NO_PERMISSIONS')",
                    name));
  }
  return *permission;
}

void WritePermissions(JsonWriter& w, std::string_view key, std::string_view resource_key,
                      const std::map<std::string, Permission>& permissions, int64_t user_id) {
  w.Key(key).StartArray();
  for (const auto& [resource, permission] : permissions) {
    w.StartObject().Field(resource_key, resource).Field("user_id", user_id);
    w.Field("permission", PermissionName(permission)).EndObject();
  }
  w.EndArray();
}

StatusOr<std::string> UserJson(AuthStore& store, const User& user) {
  ASSIGN_OR_RETURN(auto experiments, store.ListPermissions(ResourceKind::kExperiment, user.id));
  ASSIGN_OR_RETURN(auto models, store.ListPermissions(ResourceKind::kRegisteredModel, user.id));
  std::string body;
  JsonWriter w(&body);
  w.StartObject().Key("user").StartObject();
  w.Field("id", user.id).Field("username", user.username).Field("is_admin", user.is_admin);
  WritePermissions(w, "experiment_permissions", "experiment_id", experiments, user.id);
  WritePermissions(w, "registered_model_permissions", "name", models, user.id);
  w.EndObject().EndObject();
  return body;
}

// The routes of one kind of resource permission.
void AddPermissionRoutes(http::Router& router, AuthStore& store, ResourceKind kind,
                         std::string_view base, std::string_view resource_key,
                         std::string_view answer_key) {
  auto resource_of = [resource_key](const RequestFields& f) {
    return f.RequiredString(resource_key);
  };
  auto answer = [resource_key, answer_key](const ResourcePermission& p) {
    std::string body;
    JsonWriter w(&body);
    w.StartObject().Key(answer_key).StartObject().Field(resource_key, p.resource);
    w.Field("user_id", p.user_id).Field("permission", PermissionName(p.permission));
    w.EndObject().EndObject();
    return body;
  };
  std::string prefix(base);
  AddJsonRoute(
      router, Method::kPost, prefix + "/create",
      [&store, kind, resource_of, answer](const RequestFields& f) -> StatusOr<std::string> {
        ASSIGN_OR_RETURN(std::string_view resource, resource_of(f));
        ASSIGN_OR_RETURN(std::string_view username, f.RequiredString("username"));
        ASSIGN_OR_RETURN(Permission permission, PermissionField(f));
        ASSIGN_OR_RETURN(ResourcePermission created,
                         store.CreatePermission(kind, resource, username, permission));
        return answer(created);
      });
  AddJsonRoute(
      router, Method::kGet, prefix + "/get",
      [&store, kind, resource_of, answer](const RequestFields& f) -> StatusOr<std::string> {
        ASSIGN_OR_RETURN(std::string_view resource, resource_of(f));
        ASSIGN_OR_RETURN(std::string_view username, f.RequiredString("username"));
        ASSIGN_OR_RETURN(ResourcePermission found, store.GetPermission(kind, resource, username));
        return answer(found);
      });
  AddJsonRoute(router, Method::kPatch, prefix + "/update",
               [&store, kind, resource_of](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view resource, resource_of(f));
                 ASSIGN_OR_RETURN(std::string_view username, f.RequiredString("username"));
                 ASSIGN_OR_RETURN(Permission permission, PermissionField(f));
                 RETURN_IF_ERROR(store.UpdatePermission(kind, resource, username, permission));
                 return std::string("{}");
               });
  AddJsonRoute(router, Method::kDelete, prefix + "/delete",
               [&store, kind, resource_of](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view resource, resource_of(f));
                 ASSIGN_OR_RETURN(std::string_view username, f.RequiredString("username"));
                 RETURN_IF_ERROR(store.DeletePermission(kind, resource, username));
                 return std::string("{}");
               });
}

}  // namespace

void AddAuthRoutes(http::Router& router, AuthStore& store) {
  AddJsonRoute(router, Method::kPost, "users/create",
               [&store](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view username, f.RequiredString("username"));
                 ASSIGN_OR_RETURN(std::string_view password, f.RequiredString("password"));
                 ASSIGN_OR_RETURN(User user, store.CreateUser(username, password, false));
                 return UserJson(store, user);
               });
  AddJsonRoute(router, Method::kGet, "users/get",
               [&store](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view username, f.RequiredString("username"));
                 ASSIGN_OR_RETURN(User user, store.GetUser(username));
                 return UserJson(store, user);
               });
  AddJsonRoute(router, Method::kPatch, "users/update-password",
               [&store](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view username, f.RequiredString("username"));
                 ASSIGN_OR_RETURN(std::string_view password, f.RequiredString("password"));
                 RETURN_IF_ERROR(store.UpdatePassword(username, password));
                 return std::string("{}");
               });
  AddJsonRoute(router, Method::kPatch, "users/update-admin",
               [&store](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view username, f.RequiredString("username"));
                 ASSIGN_OR_RETURN(std::optional<bool> is_admin, f.Bool("is_admin"));
                 if (!is_admin)
                   return InvalidArgumentError("Missing value for required parameter 'is_admin'.");
                 RETURN_IF_ERROR(store.UpdateAdmin(username, *is_admin));
                 return std::string("{}");
               });
  AddJsonRoute(router, Method::kDelete, "users/delete",
               [&store](const RequestFields& f) -> StatusOr<std::string> {
                 ASSIGN_OR_RETURN(std::string_view username, f.RequiredString("username"));
                 RETURN_IF_ERROR(store.DeleteUser(username));
                 return std::string("{}");
               });
  AddPermissionRoutes(router, store, ResourceKind::kExperiment, "experiments/permissions",
                      "experiment_id", "experiment_permission");
  AddPermissionRoutes(router, store, ResourceKind::kRegisteredModel,
                      "registered-models/permissions", "name", "registered_model_permission");
}

}  // namespace mlhub::auth
