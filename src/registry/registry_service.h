// SPDX-License-Identifier: Apache-2.0
// RegistryService: the model registry domain (registered models, versions, stages, aliases, tags)
// over a RegistryStore. It validates requests as MLflow does (names, aliases, stages, tags,
// version numbers, sources, search limits), canonicalises stages, stamps times from the injected
// Clock and resolves `models:/` URIs to a version and the location of its files. Every failure is
// a Status in MLflow's words (kInvalidArgument, kNotFound, kAlreadyExists, ...). Thread-safe when
// the stores are. The stores and clock must outlive the service.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "store/registry_store.h"
#include "store/tracking_store.h"

namespace mlhub::registry {

inline constexpr int64_t kMaxModelSearchResults = 1000;
inline constexpr int64_t kDefaultModelSearchResults = 100;
inline constexpr int64_t kMaxVersionSearchResults = 200000;
inline constexpr int64_t kDefaultVersionSearchResults = 10000;

struct RegistrySearchRequest {
  std::string filter;
  std::optional<int64_t> max_results;  // default per entity
  std::vector<std::string> order_by;
  int64_t offset = 0;
};

struct CreateVersionRequest {
  std::string name;
  std::string source;
  std::string run_id;
  std::string run_link;
  std::string description;
  std::string
      model_id;  // the logged model (MLflow 3) it comes from; also from a models:/m-... source
  std::vector<store::Tag> tags;
};

// What a models:/ URI names: the version, and where its files are (a logged model's location, a
// runs:/ source resolved through its run to the run's artifact location, any other source as it
// is).
struct ResolvedModel {
  store::ModelVersion version;
  std::string artifact_uri;
};

class RegistryService {
 public:
  RegistryService(store::RegistryStore& store, store::TrackingStore& tracking, const Clock& clock)
      : store_(store), tracking_(tracking), clock_(clock) {}

  StatusOr<store::RegisteredModel> CreateRegisteredModel(std::string_view name,
                                                         std::string_view description,
                                                         std::vector<store::Tag> tags);
  StatusOr<store::RegisteredModel> GetRegisteredModel(std::string_view name);
  StatusOr<store::RegisteredModel> RenameRegisteredModel(std::string_view name,
                                                         std::string_view new_name);
  StatusOr<store::RegisteredModel> UpdateRegisteredModel(std::string_view name,
                                                         std::string_view description);
  Status DeleteRegisteredModel(std::string_view name);
  StatusOr<store::RegisteredModelPage> SearchRegisteredModels(const RegistrySearchRequest& request);
  // `stages` as clients send them (any case); empty: every stage.
  StatusOr<std::vector<store::ModelVersion>> GetLatestVersions(
      std::string_view name, const std::vector<std::string>& stages);
  Status SetRegisteredModelTag(std::string_view name, const store::Tag& tag);
  Status DeleteRegisteredModelTag(std::string_view name, std::string_view key);

  // Versions arrive as text ("3"), as MLflow's protocol carries them.
  Status SetAlias(std::string_view name, std::string_view alias, std::string_view version);
  Status DeleteAlias(std::string_view name, std::string_view alias);
  // An alias not set (or a model not there) is kInvalidArgument, as MLflow answers it.
  StatusOr<store::ModelVersion> GetVersionByAlias(std::string_view name, std::string_view alias);

  StatusOr<store::ModelVersion> CreateModelVersion(CreateVersionRequest request);
  StatusOr<store::ModelVersion> GetModelVersion(std::string_view name, std::string_view version);
  StatusOr<store::ModelVersion> UpdateModelVersion(std::string_view name, std::string_view version,
                                                   std::string_view description);
  StatusOr<store::ModelVersion> TransitionStage(std::string_view name, std::string_view version,
                                                std::string_view stage, bool archive_existing);
  Status DeleteModelVersion(std::string_view name, std::string_view version);
  StatusOr<store::ModelVersionPage> SearchModelVersions(const RegistrySearchRequest& request);
  Status SetModelVersionTag(std::string_view name, std::string_view version, const store::Tag& tag);
  Status DeleteModelVersionTag(std::string_view name, std::string_view version,
                               std::string_view key);
  // Where the version's files are, as MLflow's get-download-uri answers it: a logged model's
  // location, else the source.
  StatusOr<std::string> GetDownloadUri(std::string_view name, std::string_view version);

  // models:/name/3, models:/name/Production, models:/name/latest, models:/name@alias; kNotFound
  // when the URI names nothing.
  StatusOr<ResolvedModel> Resolve(std::string_view models_uri);

 private:
  store::RegistryStore& store_;
  store::TrackingStore& tracking_;
  const Clock& clock_;
};

// MLflow's canonical stage name for `stage` in any case ("staging" -> "Staging");
// kInvalidArgument for anything else.
StatusOr<std::string> CanonicalStage(std::string_view stage);

}  // namespace mlhub::registry
