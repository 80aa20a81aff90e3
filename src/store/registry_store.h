// SPDX-License-Identifier: Apache-2.0
// RegistryStore: persistence of registered models, model versions, their tags and aliases. One SQL
// implementation (SqlRegistryStore) serves every dialect. Every method is one transaction. Writes
// to one model take turns (its row is locked first where the database runs writers
// concurrently), so version numbers are unique and increasing across processes and never reused
// after a delete, and an alias always names exactly one existing version. Thread-safe.
//
// Errors: kNotFound for an unknown model, version or alias (MLflow's wording), kAlreadyExists for
// a taken model name, kInvalidArgument for a write the data forbids, kUnavailable when the
// database cannot be reached. Arguments are already validated (names, stages, aliases, tags).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/registry_types.h"

namespace mlhub::store {

class RegistryStore {
 public:
  virtual ~RegistryStore() = default;

  // --- Registered models.
  virtual StatusOr<RegisteredModel> CreateRegisteredModel(const NewRegisteredModel& model) = 0;
  virtual StatusOr<RegisteredModel> GetRegisteredModel(std::string_view name) = 0;
  // Versions, tags and aliases move with the model.
  virtual StatusOr<RegisteredModel> RenameRegisteredModel(std::string_view name,
                                                          std::string_view new_name,
                                                          int64_t now) = 0;
  virtual StatusOr<RegisteredModel> UpdateRegisteredModel(std::string_view name,
                                                          std::string_view description,
                                                          int64_t now) = 0;
  // Deletes the model with its versions, tags and aliases.
  virtual Status DeleteRegisteredModel(std::string_view name) = 0;
  virtual StatusOr<RegisteredModelPage> SearchRegisteredModels(const RegistryQuery& query) = 0;
  // The newest version in each of `stages` (canonical names, in that order; empty: every stage)
  // that has one.
  virtual StatusOr<std::vector<ModelVersion>> GetLatestVersions(
      std::string_view name, const std::vector<std::string>& stages) = 0;
  virtual Status SetRegisteredModelTag(std::string_view name, const Tag& tag) = 0;
  // A missing tag is not an error (MLflow's behaviour).
  virtual Status DeleteRegisteredModelTag(std::string_view name, std::string_view key) = 0;

  // --- Aliases. Setting an alias moves it to `version`; deleting a missing one is a no-op.
  virtual Status SetAlias(std::string_view name, std::string_view alias, int64_t version) = 0;
  virtual Status DeleteAlias(std::string_view name, std::string_view alias) = 0;
  virtual StatusOr<ModelVersion> GetVersionByAlias(std::string_view name,
                                                   std::string_view alias) = 0;

  // --- Model versions. A new version gets the model's next number, stage "None", status READY.
  virtual StatusOr<ModelVersion> CreateModelVersion(const NewModelVersion& version) = 0;
  virtual StatusOr<ModelVersion> GetModelVersion(std::string_view name, int64_t version) = 0;
  virtual StatusOr<ModelVersion> UpdateModelVersion(std::string_view name, int64_t version,
                                                    std::string_view description, int64_t now) = 0;
  // Moves the version to `stage` (canonical); with `archive_existing`, the model's other versions
  // in that stage move to Archived.
  virtual StatusOr<ModelVersion> TransitionStage(std::string_view name, int64_t version,
                                                 std::string_view stage, bool archive_existing,
                                                 int64_t now) = 0;
  // Deletes the version and the aliases that point at it; its number is not given out again.
  virtual Status DeleteModelVersion(std::string_view name, int64_t version, int64_t now) = 0;
  virtual StatusOr<ModelVersionPage> SearchModelVersions(const RegistryQuery& query) = 0;
  virtual Status SetModelVersionTag(std::string_view name, int64_t version, const Tag& tag) = 0;
  virtual Status DeleteModelVersionTag(std::string_view name, int64_t version,
                                       std::string_view key) = 0;
};

}  // namespace mlhub::store
