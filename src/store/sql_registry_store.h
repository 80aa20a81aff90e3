// SPDX-License-Identifier: Apache-2.0
// SqlRegistryStore: the RegistryStore over SqlDatabase / SqlConnection only, so one
// implementation serves SQLite and PostgreSQL. Thread-safe: each method is one transaction on a
// pooled connection. Write methods lock the model's row first (a no-op where the database
// serialises writers), so writers of one model take turns.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/registry_store.h"
#include "store/sql_database.h"

namespace mlhub::store {

class SqlRegistryStore final : public RegistryStore {
 public:
  // `db` must hold the current schema (see MigrateSchema); kFailedPrecondition otherwise.
  static StatusOr<std::unique_ptr<SqlRegistryStore>> Create(std::shared_ptr<SqlDatabase> db);

  StatusOr<RegisteredModel> CreateRegisteredModel(const NewRegisteredModel& model) override;
  StatusOr<RegisteredModel> GetRegisteredModel(std::string_view name) override;
  StatusOr<RegisteredModel> RenameRegisteredModel(std::string_view name, std::string_view new_name,
                                                  int64_t now) override;
  StatusOr<RegisteredModel> UpdateRegisteredModel(std::string_view name,
                                                  std::string_view description,
                                                  int64_t now) override;
  Status DeleteRegisteredModel(std::string_view name) override;
  StatusOr<RegisteredModelPage> SearchRegisteredModels(const RegistryQuery& query) override;
  StatusOr<std::vector<ModelVersion>> GetLatestVersions(
      std::string_view name, const std::vector<std::string>& stages) override;
  Status SetRegisteredModelTag(std::string_view name, const Tag& tag) override;
  Status DeleteRegisteredModelTag(std::string_view name, std::string_view key) override;

  Status SetAlias(std::string_view name, std::string_view alias, int64_t version) override;
  Status DeleteAlias(std::string_view name, std::string_view alias) override;
  StatusOr<ModelVersion> GetVersionByAlias(std::string_view name, std::string_view alias) override;

  StatusOr<ModelVersion> CreateModelVersion(const NewModelVersion& version) override;
  StatusOr<ModelVersion> GetModelVersion(std::string_view name, int64_t version) override;
  StatusOr<ModelVersion> UpdateModelVersion(std::string_view name, int64_t version,
                                            std::string_view description, int64_t now) override;
  StatusOr<ModelVersion> TransitionStage(std::string_view name, int64_t version,
                                         std::string_view stage, bool archive_existing,
                                         int64_t now) override;
  Status DeleteModelVersion(std::string_view name, int64_t version, int64_t now) override;
  StatusOr<ModelVersionPage> SearchModelVersions(const RegistryQuery& query) override;
  Status SetModelVersionTag(std::string_view name, int64_t version, const Tag& tag) override;
  Status DeleteModelVersionTag(std::string_view name, int64_t version,
                               std::string_view key) override;

 private:
  explicit SqlRegistryStore(std::shared_ptr<SqlDatabase> db) : db_(std::move(db)) {}

  const std::shared_ptr<SqlDatabase> db_;
};

}  // namespace mlhub::store
