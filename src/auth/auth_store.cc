// SPDX-License-Identifier: Apache-2.0
#include "auth/auth_store.h"

#include <fmt/format.h>

#include "auth/password.h"

namespace mlhub::auth {
namespace {

using store::SqlConnection;
using store::SqlRow;
using store::TxnMode;

struct Table {
  const char* name;
  const char* key;   // the resource column
  const char* noun;  // for messages
};

Table TableOf(ResourceKind kind) {
  if (kind == ResourceKind::kExperiment) {
    return {"experiment_permissions", "experiment_id", "experiment"};
  }
  return {"registered_model_permissions", "name", "registered model"};
}

Status UserNotFound(std::string_view username) {
  return NotFoundError(fmt::format("User with username={} not found", username));
}

StatusOr<User> ReadUser(SqlConnection& c, std::string_view username) {
  std::optional<User> user;
  RETURN_IF_ERROR(
      c.Query("SELECT user_id, username, password_hash, is_admin FROM users WHERE username = ?",
              {std::string(username)}, [&](const SqlRow& row) {
                user = User{row.GetInt(0), std::string(row.GetText(1)), std::string(row.GetText(2)),
                            row.GetInt(3) != 0};
                return false;
              }));
  if (!user) return UserNotFound(username);
  return *user;
}

StatusOr<std::optional<Permission>> ReadPermission(SqlConnection& c, const Table& table,
                                                   std::string_view resource, int64_t user_id) {
  std::optional<std::string> text;
  RETURN_IF_ERROR(c.Query(
      fmt::format("SELECT permission FROM {} WHERE {} = ? AND user_id = ?", table.name, table.key),
      {std::string(resource), user_id}, [&](const SqlRow& row) {
        text = std::string(row.GetText(0));
        return false;
      }));
  if (!text) return std::optional<Permission>();
  return std::optional<Permission>(ParsePermission(*text).value_or(Permission::kNoPermissions));
}

Status PermissionNotFound(const Table& table, std::string_view resource,
                          std::string_view username) {
  return NotFoundError(fmt::format("{} permission with {}={} and username={} not found", table.noun,
                                   table.key, resource, username));
}

}  // namespace

StatusOr<User> AuthStore::CreateUser(std::string_view username, std::string_view password,
                                     bool is_admin) {
  if (username.empty()) return InvalidArgumentError("Username cannot be empty.");
  if (password.empty()) return InvalidArgumentError("Password cannot be empty.");
  const std::string hash = HashPassword(password);  // slow on purpose: outside the transaction
  User user;
  Status done = db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    Status inserted =
        c.Execute("INSERT INTO users (username, password_hash, is_admin) VALUES (?, ?, ?)",
                  {std::string(username), hash, int64_t{is_admin}});
    if (inserted.code() == StatusCode::kAlreadyExists) {
      return AlreadyExistsError(fmt::format("User (username={}) already exists.", username));
    }
    RETURN_IF_ERROR(inserted);
    ASSIGN_OR_RETURN(user, ReadUser(c, username));
    return OkStatus();
  });
  RETURN_IF_ERROR(done);
  return user;
}

StatusOr<User> AuthStore::GetUser(std::string_view username) {
  User user;
  RETURN_IF_ERROR(db_->Transact(TxnMode::kRead, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(user, ReadUser(c, username));
    return OkStatus();
  }));
  return user;
}

Status AuthStore::UpdatePassword(std::string_view username, std::string_view password) {
  if (password.empty()) return InvalidArgumentError("Password cannot be empty.");
  const std::string hash = HashPassword(password);
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    int64_t changed = 0;
    RETURN_IF_ERROR(c.Execute("UPDATE users SET password_hash = ? WHERE username = ?",
                              {hash, std::string(username)}, &changed));
    return changed == 0 ? UserNotFound(username) : OkStatus();
  });
}

Status AuthStore::UpdateAdmin(std::string_view username, bool is_admin) {
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    int64_t changed = 0;
    RETURN_IF_ERROR(c.Execute("UPDATE users SET is_admin = ? WHERE username = ?",
                              {int64_t{is_admin}, std::string(username)}, &changed));
    return changed == 0 ? UserNotFound(username) : OkStatus();
  });
}

Status AuthStore::DeleteUser(std::string_view username) {
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(User user, ReadUser(c, username));
    for (ResourceKind kind : {ResourceKind::kExperiment, ResourceKind::kRegisteredModel}) {
      RETURN_IF_ERROR(c.Execute(fmt::format("DELETE FROM {} WHERE user_id = ?", TableOf(kind).name),
                                {user.id}));
    }
    return c.Execute("DELETE FROM users WHERE user_id = ?", {user.id});
  });
}

StatusOr<ResourcePermission> AuthStore::CreatePermission(ResourceKind kind,
                                                         std::string_view resource,
                                                         std::string_view username,
                                                         Permission permission) {
  const Table table = TableOf(kind);
  ResourcePermission created;
  RETURN_IF_ERROR(db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(User user, ReadUser(c, username));
    Status inserted =
        c.Execute(fmt::format("INSERT INTO {} ({}, user_id, permission) VALUES (?, ?, ?)",
                              table.name, table.key),
                  {std::string(resource), user.id, std::string(PermissionName(permission))});
    if (inserted.code() == StatusCode::kAlreadyExists) {
      return AlreadyExistsError(fmt::format("{} permission ({}={}, username={}) already exists.",
                                            table.noun, table.key, resource, username));
    }
    RETURN_IF_ERROR(inserted);
    created = {std::string(resource), user.id, permission};
    return OkStatus();
  }));
  return created;
}

StatusOr<ResourcePermission> AuthStore::GetPermission(ResourceKind kind, std::string_view resource,
                                                      std::string_view username) {
  const Table table = TableOf(kind);
  ResourcePermission found;
  RETURN_IF_ERROR(db_->Transact(TxnMode::kRead, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(User user, ReadUser(c, username));
    ASSIGN_OR_RETURN(std::optional<Permission> permission,
                     ReadPermission(c, table, resource, user.id));
    if (!permission) return PermissionNotFound(table, resource, username);
    found = {std::string(resource), user.id, *permission};
    return OkStatus();
  }));
  return found;
}

Status AuthStore::UpdatePermission(ResourceKind kind, std::string_view resource,
                                   std::string_view username, Permission permission) {
  const Table table = TableOf(kind);
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(User user, ReadUser(c, username));
    int64_t changed = 0;
    RETURN_IF_ERROR(c.Execute(
        fmt::format("UPDATE {} SET permission = ? WHERE {} = ? AND user_id = ?", table.name,
                    table.key),
        {std::string(PermissionName(permission)), std::string(resource), user.id}, &changed));
    return changed == 0 ? PermissionNotFound(table, resource, username) : OkStatus();
  });
}

Status AuthStore::DeletePermission(ResourceKind kind, std::string_view resource,
                                   std::string_view username) {
  const Table table = TableOf(kind);
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(User user, ReadUser(c, username));
    int64_t changed = 0;
    RETURN_IF_ERROR(
        c.Execute(fmt::format("DELETE FROM {} WHERE {} = ? AND user_id = ?", table.name, table.key),
                  {std::string(resource), user.id}, &changed));
    return changed == 0 ? PermissionNotFound(table, resource, username) : OkStatus();
  });
}

StatusOr<std::map<std::string, Permission>> AuthStore::ListPermissions(ResourceKind kind,
                                                                       int64_t user_id) {
  const Table table = TableOf(kind);
  std::map<std::string, Permission> out;
  RETURN_IF_ERROR(db_->Transact(TxnMode::kRead, [&](SqlConnection& c) -> Status {
    return c.Query(
        fmt::format("SELECT {}, permission FROM {} WHERE user_id = ?", table.key, table.name),
        {user_id}, [&](const SqlRow& row) {
          out[std::string(row.GetText(0))] =
              ParsePermission(row.GetText(1)).value_or(Permission::kNoPermissions);
          return true;
        });
  }));
  return out;
}

StatusOr<std::optional<Permission>> AuthStore::FindPermission(ResourceKind kind,
                                                              std::string_view resource,
                                                              int64_t user_id) {
  std::optional<Permission> found;
  RETURN_IF_ERROR(db_->Transact(TxnMode::kRead, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(found, ReadPermission(c, TableOf(kind), resource, user_id));
    return OkStatus();
  }));
  return found;
}

Status AuthStore::RenameModelPermissions(std::string_view name, std::string_view new_name) {
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    return c.Execute("UPDATE registered_model_permissions SET name = ? WHERE name = ?",
                     {std::string(new_name), std::string(name)});
  });
}

Status AuthStore::DeleteModelPermissions(std::string_view name) {
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    return c.Execute("DELETE FROM registered_model_permissions WHERE name = ?",
                     {std::string(name)});
  });
}

}  // namespace mlhub::auth
