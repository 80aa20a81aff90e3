// SPDX-License-Identifier: Apache-2.0
// AuthStore: users and their experiment / registered-model permissions, in the metadata database
// (schema migration 3), over SqlDatabase so SQLite and PostgreSQL both work and every replica
// sees the same users. Thread-safe. Errors: NotFound for an unknown user or permission,
// AlreadyExists for a taken username or a permission that exists, InvalidArgument for bad input.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/permission.h"
#include "common/status.h"
#include "store/sql_database.h"

namespace mlhub::auth {

struct User {
  int64_t id = 0;
  std::string username;
  std::string password_hash;
  bool is_admin = false;
};

struct ResourcePermission {
  std::string resource;  // experiment id, or registered model name
  int64_t user_id = 0;
  Permission permission = Permission::kRead;
};

enum class ResourceKind { kExperiment, kRegisteredModel };

class AuthStore {
 public:
  explicit AuthStore(std::shared_ptr<store::SqlDatabase> db) : db_(std::move(db)) {}

  StatusOr<User> CreateUser(std::string_view username, std::string_view password, bool is_admin);
  StatusOr<User> GetUser(std::string_view username);
  Status UpdatePassword(std::string_view username, std::string_view password);
  Status UpdateAdmin(std::string_view username, bool is_admin);
  Status DeleteUser(std::string_view username);  // and the user's permissions

  StatusOr<ResourcePermission> CreatePermission(ResourceKind kind, std::string_view resource,
                                                std::string_view username, Permission permission);
  StatusOr<ResourcePermission> GetPermission(ResourceKind kind, std::string_view resource,
                                             std::string_view username);
  Status UpdatePermission(ResourceKind kind, std::string_view resource, std::string_view username,
                          Permission permission);
  Status DeletePermission(ResourceKind kind, std::string_view resource, std::string_view username);
  // Every permission of one user on one kind of resource, by resource.
  StatusOr<std::map<std::string, Permission>> ListPermissions(ResourceKind kind, int64_t user_id);
  // The permission a user holds on one resource, if any (no error for none).
  StatusOr<std::optional<Permission>> FindPermission(ResourceKind kind, std::string_view resource,
                                                     int64_t user_id);
  // Registered model permissions follow a rename / go with a deleted model (MLflow keys them by
  // name).
  Status RenameModelPermissions(std::string_view name, std::string_view new_name);
  Status DeleteModelPermissions(std::string_view name);

 private:
  std::shared_ptr<store::SqlDatabase> db_;
};

}  // namespace mlhub::auth
