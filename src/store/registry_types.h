// SPDX-License-Identifier: Apache-2.0
// The model registry's entities as the store keeps them: registered models, their versions, tags
// and aliases. Plain values; the REST layer turns them into MLflow's JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/search_query.h"
#include "store/tracking_types.h"

namespace mlhub::store {

// MLflow's stage names, as stored (the registry canonicalises what clients send).
inline constexpr char kStageNone[] = "None";
inline constexpr char kStageStaging[] = "Staging";
inline constexpr char kStageProduction[] = "Production";
inline constexpr char kStageArchived[] = "Archived";

struct ModelVersion {
  std::string name;
  int64_t version = 0;
  int64_t creation_timestamp = 0;
  int64_t last_updated_timestamp = 0;
  std::string user_id;
  std::string current_stage = kStageNone;
  std::string description;
  std::string source;
  std::string run_id;
  std::string run_link;
  std::string status = "READY";
  std::string status_message;
  std::string model_id;          // the logged model (MLflow 3) it was registered from, if any
  std::string storage_location;  // where its files are, when not where `source` says
  std::vector<Tag> tags;
  std::vector<std::string> aliases;  // alias names pointing at this version
};

struct ModelAlias {
  std::string alias;
  int64_t version = 0;
};

struct RegisteredModel {
  std::string name;
  int64_t creation_timestamp = 0;
  int64_t last_updated_timestamp = 0;
  std::string user_id;
  std::string description;
  std::vector<ModelVersion> latest_versions;  // the newest version in each stage that has one
  std::vector<Tag> tags;
  std::vector<ModelAlias> aliases;
};

struct NewRegisteredModel {
  std::string name;
  std::string description;
  std::string user_id;
  std::vector<Tag> tags;
  int64_t now = 0;
};

struct NewModelVersion {
  std::string name;  // of an existing registered model
  std::string source;
  std::string run_id;
  std::string run_link;
  std::string description;
  std::string user_id;
  std::string model_id;          // see ModelVersion
  std::string storage_location;  // see ModelVersion
  std::vector<Tag> tags;
  int64_t now = 0;
};

// A search over registered models or model versions; the filter and order come from tracking's
// search-filter parser (SearchEntity::kRegisteredModels / kModelVersions).
struct RegistryQuery {
  std::optional<FilterExpr> filter;
  int64_t max_results = 100;
  std::vector<OrderBy> order_by;  // as given; the store appends MLflow's tie-breakers
  int64_t offset = 0;
};

struct RegisteredModelPage {
  std::vector<RegisteredModel> models;
  std::optional<int64_t> next_offset;
};

struct ModelVersionPage {
  std::vector<ModelVersion> versions;
  std::optional<int64_t> next_offset;
};

}  // namespace mlhub::store
