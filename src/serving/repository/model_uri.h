// SPDX-License-Identifier: Apache-2.0
// The model URIs `mlhub serve --model NAME=URI` accepts, split into what ModelSource needs to
// fetch them. The forms and their errors follow MLflow's client (`runs:/<run_id>/<path>`,
// `models:/<name>/<version|stage|latest>`, `models:/<name>@<alias>`: common/model_uris.h, the
// grammar the registry reads them with too), plus artifact locations as a tracking server hands
// them out (`mlflow-artifacts:/...`, `s3://...`, file URIs, plain paths). Pure functions;
// thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/model_uris.h"
#include "common/status.h"

namespace mlhub::serving {

struct ModelUri {
  enum class Kind {
    kLocal,            // local_path: a plain path or a decoded file URI
    kS3,               // uri: s3://bucket/prefix, for artifacts::CreateArtifactStore
    kRuns,             // run_id, path ("" for the run's artifact root)
    kModels,           // models
    kMlflowArtifacts,  // authority ("" → the tracking server), path (under the proxy's root)
  };
  Kind kind = Kind::kLocal;
  std::string local_path;
  std::string uri;
  std::string run_id;
  std::string path;
  std::string authority;  // host[:port]
  ModelsUri models;
};

// InvalidArgument for a malformed URI of a known scheme (with MLflow's wording where it has
// one); Unimplemented for a scheme `mlhub serve` cannot fetch from (gs://, http://, ...).
StatusOr<ModelUri> ParseModelUri(std::string_view uri);

// `base` + "/" + `path` as MLflow's posixpath.join does for artifact URIs (no double slash; an
// empty `path` gives `base`).
std::string JoinUri(std::string_view base, std::string_view path);

}  // namespace mlhub::serving
