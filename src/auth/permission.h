// SPDX-License-Identifier: Apache-2.0
// MLflow's permission levels for experiments and registered models: READ reads; EDIT also
// changes (log, update, tag, set aliases); MANAGE also deletes and grants permissions;
// NO_PERMISSIONS does nothing.
#pragma once

#include <optional>
#include <string_view>

namespace mlhub::auth {

enum class Permission { kRead, kEdit, kManage, kNoPermissions };

// What a route needs of the experiment or registered model it touches.
enum class Need { kRead, kUpdate, kDelete, kManage };

inline std::optional<Permission> ParsePermission(std::string_view name) {
  if (name == "READ") return Permission::kRead;
  if (name == "EDIT") return Permission::kEdit;
  if (name == "MANAGE") return Permission::kManage;
  if (name == "NO_PERMISSIONS") return Permission::kNoPermissions;
  return std::nullopt;
}

inline std::string_view PermissionName(Permission permission) {
  switch (permission) {
    case Permission::kRead:
      return "READ";
    case Permission::kEdit:
      return "EDIT";
    case Permission::kManage:
      return "MANAGE";
    case Permission::kNoPermissions:
      break;
  }
  return "NO_PERMISSIONS";
}

inline bool Allows(Permission permission, Need need) {
  switch (need) {
    case Need::kRead:
      return permission != Permission::kNoPermissions;
    case Need::kUpdate:
      return permission == Permission::kEdit || permission == Permission::kManage;
    case Need::kDelete:
    case Need::kManage:
      return permission == Permission::kManage;
  }
  return false;
}

}  // namespace mlhub::auth
