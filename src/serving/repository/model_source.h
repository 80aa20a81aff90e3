// SPDX-License-Identifier: Apache-2.0
// ModelSource: turns a model URI into a local MLflow model directory.
//  - a local path or file:// URI is used in place;
//  - s3://bucket/prefix is downloaded (the whole prefix) through the artifacts module, which
//    reads MLflow's S3 environment (MLFLOW_S3_ENDPOINT_URL, AWS_*);
//  - runs:/<run_id>/<path> is resolved as MLflow's client does (runs/get → artifact_uri, plus
//    <path>), models:/<name>/<version|stage|latest> and models:/<name>@<alias> through the
//    registry's REST API (the version, then get-download-uri); the artifact location found is
//    then fetched: mlflow-artifacts:/ through the tracking server's proxy, s3:// as above, a
//    local path in place. The tracking server is ModelSourceConfig::tracking_uri, with MLflow's
//    credentials from the environment (MLFLOW_TRACKING_TOKEN, MLFLOW_TRACKING_USERNAME/PASSWORD).
// Downloads land in a fresh folder under the cache dir, renamed into place only when complete.
// Thread-safe: Fetch may run for several models at once.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace mlhub::serving {

struct FetchedModel {
  std::filesystem::path dir;  // holds the `MLmodel` file
  std::string version;        // registry version for models:/ URIs, else "1"
};

class ModelSource {
 public:
  virtual ~ModelSource() = default;
  // Blocking (downloads). NotFound for a URI that names nothing (run, model, version, alias,
  // folder or S3 prefix), InvalidArgument for a malformed one, Unimplemented for a scheme that
  // cannot be fetched, FailedPrecondition for runs:/ or models:/ without a tracking URI,
  // Unavailable when the tracking server or S3 cannot be reached (after retries).
  virtual StatusOr<FetchedModel> Fetch(const std::string& uri) = 0;

  // For URIs whose version can move (models:/name@alias, /Stage, /latest): the version they
  // name now (one registry lookup, no download). nullopt for every other URI. Errors as Fetch.
  virtual StatusOr<std::optional<std::string>> CurrentVersion(const std::string& uri) = 0;

  // The registered models that have `alias` (one registry search), for serving every model with
  // it. FailedPrecondition without a tracking URI; errors as Fetch otherwise.
  virtual StatusOr<std::vector<std::string>> ModelsWithAlias(const std::string& alias) = 0;

  // Called once the model's files are loaded (backends read them into memory): removes the
  // folder when Fetch downloaded it, so reloads and registry swaps do not pile up copies. Local
  // directories are left alone.
  virtual void Release(const FetchedModel& fetched) = 0;
};

struct ModelSourceConfig {
  std::string tracking_uri;         // for runs:/ and models:/ (empty: those URIs fail)
  std::filesystem::path cache_dir;  // where downloads go (empty: a temp folder, removed with the
                                    // source; a given folder is created if missing and kept)
  // Tracking server requests: attempts for connection errors and 408/429/5xx, and the first wait
  // between them (doubling).
  int http_attempts = 4;
  std::chrono::milliseconds http_first_backoff{500};
};

std::unique_ptr<ModelSource> NewModelSource(const ModelSourceConfig& config);

// For a directory without an `MLmodel` file that holds exactly one subdirectory with one (KServe's
// storage initializer may unpack a model one level down): that subdirectory; else `dir`.
std::filesystem::path FindModelDir(const std::filesystem::path& dir);

}  // namespace mlhub::serving
