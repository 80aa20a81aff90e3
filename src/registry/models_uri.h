// SPDX-License-Identifier: Apache-2.0
// `models:/` URIs, as MLflow spells them: models:/<name>/<version>, models:/<name>/<stage>,
// models:/<name>/latest and models:/<name>@<alias>. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace mlhub::registry {

struct ModelsUri {
  enum class Kind { kVersion, kStage, kLatest, kAlias };
  Kind kind = Kind::kLatest;
  std::string name;
  int64_t version = 0;  // kVersion
  std::string stage;    // kStage: as written (the registry canonicalises it)
  std::string alias;    // kAlias
};

// kInvalidArgument for anything that is not a well-formed models:/ URI.
StatusOr<ModelsUri> ParseModelsUri(std::string_view uri);

// `runs:/<run_id>/<path>` split into its run id and path ("" for the run's root); nullopt when
// `uri` is not a runs:/ URI.
struct RunsUri {
  std::string run_id;
  std::string path;
};
std::optional<RunsUri> ParseRunsUri(std::string_view uri);

}  // namespace mlhub::registry
