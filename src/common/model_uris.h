// SPDX-License-Identifier: Apache-2.0
// `models:/` and `runs:/` URIs, as MLflow spells them: models:/<name>/<version>,
// models:/<name>/<stage>, models:/<name>/latest, models:/<name>@<alias>, MLflow 3's
// models:/<logged model id> (m-<32 hex digits>) and runs:/<run_id>/<path>. One grammar (and
// MLflow's error messages) for the registry, which resolves models:/ URIs and runs:/ sources, and
// for `mlhub serve`, which fetches models by them and may not depend on the registry. Schemes are
// case-insensitive, as urllib.parse reads them in MLflow. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace mlhub {

struct ModelsUri {
  enum class Kind { kVersion, kStage, kLatest, kAlias, kLoggedModel };
  Kind kind = Kind::kLatest;
  std::string name;
  int64_t version = 0;   // kVersion ("007" is 7, as int() reads it in MLflow)
  std::string stage;     // kStage: as written (the registry canonicalises it)
  std::string alias;     // kAlias: as written (the registry validates it)
  std::string model_id;  // kLoggedModel
};

// InvalidArgument ("Not a proper models:/ URI: ...") for anything that is not a well-formed
// models:/ URI. models://<profile>/... (a remote registry) is not one.
StatusOr<ModelsUri> ParseModelsUri(std::string_view uri);
bool IsLoggedModelId(std::string_view s);

struct RunsUri {
  std::string run_id;  // MLflow's run-id characters: [A-Za-z0-9][A-Za-z0-9_-]{0,255}
  std::string path;    // without trailing slashes; "" for the run's artifact root
};

// InvalidArgument ("Not a proper runs:/ URI: ...") for anything that is not a well-formed runs:/
// URI: runs://<profile>/... (a Databricks workspace), a query or fragment, a bad run id. The path
// is as written: whoever appends it to a location checks it stays inside
// (artifacts::NormalizeDecodedArtifactPath).
StatusOr<RunsUri> ParseRunsUri(std::string_view uri);

}  // namespace mlhub
