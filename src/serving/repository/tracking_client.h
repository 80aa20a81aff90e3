// SPDX-License-Identifier: Apache-2.0
// TrackingClient: the few MLflow REST calls `mlhub serve` makes to a tracking server (mlhub's or
// MLflow's) to find model files: runs/get for a run's artifact URI, the registry's version
// lookups for models:/ URIs, and the artifact proxy (/api/2.0/mlflow-artifacts) to list and
// download files. HTTP through libcurl; authentication as the MLflow client sends it
// (MLFLOW_TRACKING_TOKEN as a Bearer token, else MLFLOW_TRACKING_USERNAME/PASSWORD as Basic).
//
// Errors: 404 / RESOURCE_DOES_NOT_EXIST → NotFound; 400 → InvalidArgument; 401 →
// Unauthenticated; 403 → PermissionDenied; connection failures and 408/429/5xx are retried with
// exponential backoff (as the MLflow client does) and then → Unavailable. Messages carry the
// server's own message.
// Thread-safe: every call uses its own curl handle.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "serving/repository/model_uri.h"

namespace mlhub::serving {

struct TrackingClientOptions {
  std::string base_url;  // http(s)://host[:port][/prefix], see NormalizeTrackingUri
  std::string token;     // sent as "Authorization: Bearer <token>" when set
  std::string username;  // with password: Basic authentication (when no token is set)
  std::string password;
  bool insecure_tls = false;  // MLFLOW_TRACKING_INSECURE_TLS: do not verify certificates
  // Attempts per request for connection errors and 408/429/5xx; the wait doubles each time.
  int max_attempts = 4;
  std::chrono::milliseconds first_backoff{500};
  std::chrono::milliseconds connect_timeout{10'000};
  // A transfer that moves no byte for this long fails (and is retried); there is no overall
  // limit, so large model files are fine.
  std::chrono::seconds stall_timeout{60};
};

// Fills token / username / password / insecure_tls from MLflow's environment variables.
void ReadTrackingAuthFromEnvironment(TrackingClientOptions* options);

// `uri` without trailing slashes; InvalidArgument unless it is http(s)://host[...] without a
// query or fragment (file stores and databricks:// are not tracking servers this can talk to).
StatusOr<std::string> NormalizeTrackingUri(std::string_view uri);

// One entry of an artifact proxy listing.
struct ProxyEntry {
  std::string name;  // the basename, as the proxy lists it
  bool is_dir = false;
  int64_t file_size = -1;  // -1 when not given (directories)
};

class TrackingClient {
 public:
  explicit TrackingClient(TrackingClientOptions options);

  const TrackingClientOptions& options() const { return options_; }

  // runs/get → run.info.artifact_uri.
  StatusOr<std::string> GetRunArtifactUri(std::string_view run_id);
  // The artifact_uri of an MLflow 3 logged model (logged-models/<id>).
  StatusOr<std::string> GetLoggedModelArtifactUri(std::string_view model_id);
  // Where an MLflow 3 client put the model it logged as `name` in the run: the artifact_uri of
  // the newest logged model of that name and source run (logged-models/search, as MLflow 3
  // resolves runs:/<run>/<name>). kNotFound when there is none.
  StatusOr<std::string> FindRunLoggedModel(std::string_view run_id, std::string_view name);
  // The registry version number a models:/ URI names: the version itself (checked with
  // model-versions/get), the alias's version (registered-models/alias) or the highest version
  // in the stage, or of all, for stage / latest (registered-models/get-latest-versions).
  StatusOr<std::string> ResolveVersion(const ModelsUri& ref);
  // The names of the registered models that have `alias`, from registered-models/search (every
  // page), in the order the server lists them.
  StatusOr<std::vector<std::string>> ModelsWithAlias(std::string_view alias);
  // model-versions/get-download-uri → artifact_uri (may be a runs:/ URI: the version's source).
  StatusOr<std::string> GetDownloadUri(std::string_view name, std::string_view version);

  // Artifact proxy: the direct children of directory `path` (relative to the proxy's root; a
  // missing directory lists as empty), and one file's bytes into `dest` (created or replaced).
  // DataLoss when the bytes received are fewer or more than `expected_size` (>= 0).
  StatusOr<std::vector<ProxyEntry>> ListArtifacts(std::string_view path);
  Status DownloadArtifact(std::string_view path, const std::filesystem::path& dest,
                          int64_t expected_size = -1);

 private:
  // One string field of runs/get's run.info.
  StatusOr<std::string> RunInfoField(std::string_view run_id, std::string_view field);
  struct Call;
  struct Reply {
    long status = 0;
    std::string body;  // the error body for non-2xx; the JSON answer for JSON calls
  };
  // Sends `call` until it succeeds, fails for good or runs out of attempts.
  StatusOr<Reply> Send(Call& call);
  StatusOr<Reply> SendOnce(Call& call, bool* retryable);
  // A REST call under /api/2.0/mlflow/: the 200 body, else the mapped error.
  StatusOr<std::string> CallJson(std::string_view method, std::string_view route,
                                 std::string_view query, std::string_view json_body);

  const TrackingClientOptions options_;
};

}  // namespace mlhub::serving
