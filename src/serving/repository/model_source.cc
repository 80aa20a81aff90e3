// SPDX-License-Identifier: Apache-2.0
#include "serving/repository/model_source.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <utility>

#include "artifacts/artifact_store_factory.h"
#include "common/ascii.h"
#include "serving/repository/model_download.h"
#include "serving/repository/model_uri.h"
#include "serving/repository/tracking_client.h"

namespace mlhub::serving {
namespace {

// How many times one artifact location may point at another: a model version's download URI
// may be runs:/..., which runs/get turns into the real location; nothing more is legitimate.
constexpr int kMaxHops = 2;

class DefaultModelSource final : public ModelSource {
 public:
  explicit DefaultModelSource(ModelSourceConfig config) : config_(std::move(config)) {}

  ~DefaultModelSource() override {
    // Only a folder this source made itself; a configured cache dir is the operator's.
    if (!temp_cache_dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(temp_cache_dir_, ec);
    }
  }

  StatusOr<FetchedModel> Fetch(const std::string& uri) override {
    StatusOr<FetchedModel> fetched = FetchUri(uri);
    if (!fetched.ok()) {
      return Status(fetched.status().code(),
                    fmt::format("model URI '{}': {}", uri, fetched.status().message()));
    }
    spdlog::info("model URI '{}': version {} in {}", uri, fetched->version, fetched->dir.string());
    return fetched;
  }

  void Release(const FetchedModel& fetched) override {
    std::filesystem::path root;
    if (!config_.cache_dir.empty()) {
      root = config_.cache_dir;
    } else {
      std::lock_guard<std::mutex> lock(mu_);
      root = temp_cache_dir_;
    }
    // Downloads are direct children of the cache folder; anything else is the operator's.
    if (root.empty() || fetched.dir.lexically_normal().parent_path() != root.lexically_normal()) {
      return;
    }
    std::error_code ec;
    std::filesystem::remove_all(fetched.dir, ec);
    if (ec) spdlog::warn("cannot remove {}: {}", fetched.dir.string(), ec.message());
  }

  StatusOr<std::optional<std::string>> CurrentVersion(const std::string& uri) override {
    ASSIGN_OR_RETURN(ModelUri parsed, ParseModelUri(uri));
    // A version number or a logged model never changes what it names.
    if (parsed.kind != ModelUri::Kind::kModels || parsed.models.kind == ModelsUri::Kind::kVersion ||
        parsed.models.kind == ModelsUri::Kind::kLoggedModel) {
      return std::optional<std::string>();
    }
    ASSIGN_OR_RETURN(TrackingClient client, Tracking("models:/ URIs"));
    ASSIGN_OR_RETURN(std::string version, client.ResolveVersion(parsed.models));
    return std::optional<std::string>(std::move(version));
  }

  StatusOr<std::vector<std::string>> ModelsWithAlias(const std::string& alias) override {
    ASSIGN_OR_RETURN(TrackingClient client, Tracking("serving models by alias"));
    return client.ModelsWithAlias(alias);
  }

 private:
  StatusOr<FetchedModel> FetchUri(const std::string& uri) {
    ASSIGN_OR_RETURN(ModelUri parsed, ParseModelUri(uri));
    if (parsed.kind == ModelUri::Kind::kModels &&
        parsed.models.kind == ModelsUri::Kind::kLoggedModel) {
      // MLflow 3's models:/<model id>, what its log_model returns: the logged model's files.
      const std::string& id = parsed.models.model_id;
      ASSIGN_OR_RETURN(TrackingClient client, Tracking("models:/ URIs"));
      ASSIGN_OR_RETURN(std::string location, client.GetLoggedModelArtifactUri(id));
      ASSIGN_OR_RETURN(std::filesystem::path dir, FetchLocation(location, id, 0));
      return FetchedModel{std::move(dir), "1"};
    }
    if (parsed.kind == ModelUri::Kind::kModels) {
      const ModelsUri& ref = parsed.models;
      ASSIGN_OR_RETURN(TrackingClient client, Tracking("models:/ URIs"));
      ASSIGN_OR_RETURN(std::string version, client.ResolveVersion(ref));
      ASSIGN_OR_RETURN(std::string location, client.GetDownloadUri(ref.name, version));
      ASSIGN_OR_RETURN(std::filesystem::path dir,
                       FetchLocation(location, fmt::format("{}-v{}", ref.name, version), 0));
      return FetchedModel{std::move(dir), std::move(version)};
    }
    ASSIGN_OR_RETURN(std::filesystem::path dir, FetchParsed(parsed, uri, SlugOf(uri), 0));
    return FetchedModel{std::move(dir), "1"};
  }

  // An artifact location a tracking server answered (a run's artifact_uri plus a path, or a
  // model version's download URI).
  StatusOr<std::filesystem::path> FetchLocation(const std::string& location, std::string slug,
                                                int hops) {
    StatusOr<ModelUri> parsed = ParseModelUri(location);
    if (!parsed.ok()) {
      return Status(parsed.status().code(),
                    fmt::format("artifact location '{}': {}", location, parsed.status().message()));
    }
    if (parsed->kind == ModelUri::Kind::kModels) {
      return InvalidArgumentError(
          fmt::format("artifact location '{}' is itself a models:/ URI", location));
    }
    return FetchParsed(*parsed, location, std::move(slug), hops);
  }

  StatusOr<std::filesystem::path> FetchParsed(const ModelUri& parsed, const std::string& uri,
                                              std::string slug, int hops) {
    switch (parsed.kind) {
      case ModelUri::Kind::kLocal:
        return FetchLocal(parsed.local_path);
      case ModelUri::Kind::kS3:
        return FetchS3(parsed.uri, slug);
      case ModelUri::Kind::kMlflowArtifacts:
        return FetchProxy(parsed.authority, parsed.path, slug);
      case ModelUri::Kind::kRuns: {
        if (hops >= kMaxHops) {
          return InvalidArgumentError(fmt::format("'{}': too many indirections", uri));
        }
        ASSIGN_OR_RETURN(TrackingClient client, Tracking("runs:/ URIs"));
        ASSIGN_OR_RETURN(std::string artifact_uri, client.GetRunArtifactUri(parsed.run_id));
        StatusOr<std::filesystem::path> dir =
            FetchLocation(JoinUri(artifact_uri, parsed.path), slug, hops + 1);
        if (dir.status().code() != StatusCode::kNotFound || parsed.path.empty()) return dir;
        // MLflow 3 keeps a model logged in a run apart from the run's artifacts, as a logged
        // model named by the path; MLflow's own runs:/ loader looks there next.
        StatusOr<std::string> logged = client.FindRunLoggedModel(parsed.run_id, parsed.path);
        if (!logged.ok()) return dir;  // the first answer says best what is missing
        return FetchLocation(*logged, std::move(slug), hops + 1);
      }
      case ModelUri::Kind::kModels:
        break;
    }
    return InternalError("unexpected models:/ URI");
  }

  static StatusOr<std::filesystem::path> FetchLocal(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::is_directory(path, ec)) {
      return NotFoundError(fmt::format("model directory {} does not exist", path));
    }
    return std::filesystem::path(path);
  }

  StatusOr<std::filesystem::path> FetchS3(const std::string& uri, const std::string& slug) {
    ASSIGN_OR_RETURN(std::unique_ptr<artifacts::ArtifactStore> store,
                     artifacts::CreateArtifactStore(uri));
    ASSIGN_OR_RETURN(StagingDir staging, NewStaging());
    RETURN_IF_ERROR(DownloadStoreTree(*store, uri, staging.path()));
    return staging.Commit(slug);
  }

  StatusOr<std::filesystem::path> FetchProxy(const std::string& authority, const std::string& path,
                                             const std::string& slug) {
    // mlflow-artifacts:/p is served by the tracking server; mlflow-artifacts://host:port/p by
    // that host, reached with the tracking URI's scheme (as MLflow's client resolves it).
    TrackingClientOptions options;
    if (authority.empty()) {
      ASSIGN_OR_RETURN(TrackingClient tracking, Tracking("mlflow-artifacts:/ locations"));
      options = tracking.options();
    } else {
      options = BaseOptions();
      const std::string scheme =
          EqualsIgnoreCase(std::string_view(config_.tracking_uri).substr(0, 6), "https:") ? "https"
                                                                                          : "http";
      ASSIGN_OR_RETURN(options.base_url, NormalizeTrackingUri(scheme + "://" + authority));
    }
    TrackingClient client(std::move(options));
    ASSIGN_OR_RETURN(StagingDir staging, NewStaging());
    RETURN_IF_ERROR(DownloadProxyTree(client, path, staging.path()));
    return staging.Commit(slug);
  }

  TrackingClientOptions BaseOptions() const {
    TrackingClientOptions options;
    ReadTrackingAuthFromEnvironment(&options);
    options.max_attempts = config_.http_attempts;
    options.first_backoff = config_.http_first_backoff;
    return options;
  }

  // A client for the configured tracking server; FailedPrecondition when there is none.
  StatusOr<TrackingClient> Tracking(std::string_view what) const {
    if (config_.tracking_uri.empty()) {
      return FailedPreconditionError(fmt::format(
          "{} need a tracking server: pass --tracking-uri or set MLFLOW_TRACKING_URI", what));
    }
    TrackingClientOptions options = BaseOptions();
    ASSIGN_OR_RETURN(options.base_url, NormalizeTrackingUri(config_.tracking_uri));
    return TrackingClient(std::move(options));
  }

  StatusOr<StagingDir> NewStaging() {
    ASSIGN_OR_RETURN(std::filesystem::path cache_dir, CacheDir());
    return StagingDir::Create(cache_dir);
  }

  StatusOr<std::filesystem::path> CacheDir() {
    if (!config_.cache_dir.empty()) return config_.cache_dir;
    std::lock_guard<std::mutex> lock(mu_);
    if (temp_cache_dir_.empty()) {
      std::error_code ec;
      const std::filesystem::path tmp = std::filesystem::temp_directory_path(ec);
      if (ec) return InternalError("no temporary folder: " + ec.message());
      std::string pattern = (tmp / "mlhub-models-XXXXXX").string();
      if (::mkdtemp(pattern.data()) == nullptr) {
        return InternalError(fmt::format("cannot create a model cache folder in {}: {}",
                                         tmp.string(), std::strerror(errno)));
      }
      temp_cache_dir_ = pattern;
    }
    return temp_cache_dir_;
  }

  // A readable folder name for a download: the URI without its scheme.
  static std::string SlugOf(std::string_view uri) {
    const size_t colon = uri.find(":/");
    return std::string(colon == std::string_view::npos ? uri : uri.substr(colon + 2));
  }

  const ModelSourceConfig config_;
  std::mutex mu_;
  std::filesystem::path temp_cache_dir_;  // GUARDED_BY(mu_); made on the first download
};

}  // namespace

std::filesystem::path FindModelDir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::exists(dir / "MLmodel", ec)) return dir;
  std::filesystem::path found;
  int candidates = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_directory(ec) && std::filesystem::exists(entry.path() / "MLmodel", ec)) {
      found = entry.path();
      ++candidates;
    }
  }
  return candidates == 1 ? found : dir;
}

std::unique_ptr<ModelSource> NewModelSource(const ModelSourceConfig& config) {
  return std::make_unique<DefaultModelSource>(config);
}

}  // namespace mlhub::serving
