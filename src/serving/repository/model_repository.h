// SPDX-License-Identifier: Apache-2.0
// ModelRepository: the models one `mlhub serve` process serves, by name. Loads (fetch, parse
// MLmodel, load instances, start the scheduler), reloads (the old version keeps serving until the
// new one is ready, and stays when the new one fails), unloads (after in-flight requests finish).
// A model that fails to load is recorded with its reason and affects no other model.
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "serving/backends/model_backend.h"
#include "serving/batcher/scheduler.h"
#include "serving/repository/model_source.h"

namespace mlhub::serving {

// One loaded model version. Requests take a shared_ptr, enqueue and let it go; destruction stops
// the scheduler, which first answers everything queued.
class ServedModel {
 public:
  ServedModel(std::string name, std::string version, std::string uri,
              std::vector<std::unique_ptr<LoadedModel>> instances, SchedulerConfig config);

  const std::string& name() const { return name_; }
  const std::string& version() const { return version_; }
  const std::string& uri() const { return uri_; }
  const ModelMetadata& metadata() const { return scheduler_.metadata(); }
  Scheduler& scheduler() { return scheduler_; }
  ModelStats& stats() { return stats_; }

 private:
  std::string name_;
  std::string version_;
  std::string uri_;
  ModelStats stats_;  // before scheduler_: it outlives the scheduler's threads
  Scheduler scheduler_;
};

enum class ModelState { kUnavailable, kLoading, kReady, kUnloading };
std::string_view ModelStateName(ModelState state);  // "READY", ...

struct ModelStatus {
  std::string name;
  std::string version;  // empty when nothing is loaded
  ModelState state = ModelState::kUnavailable;
  std::string reason;  // why it is not ready (load error, "unloaded"), or why the last load failed
  uint64_t loads = 0;  // loads of this model that succeeded, since the process started
  uint64_t load_failures = 0;  // loads of this model that failed
};

struct RepositoryConfig {
  SchedulerConfig scheduler;
  int instances = 0;  // LoadedModel instances (threads) per model; 0: auto (see LoadModel)
};

class ModelRepository {
 public:
  // `backends` by flavor; `source` fetches URIs. Both owned.
  ModelRepository(RepositoryConfig config, std::vector<std::unique_ptr<ModelBackend>> backends,
                  std::unique_ptr<ModelSource> source);
  ~ModelRepository();

  // Registers a model name and its URI (not loaded yet). AlreadyExists for a repeated name.
  Status Add(const std::string& name, const std::string& uri);

  // Loads (or reloads) a registered model; blocking. NotFound for an unknown name;
  // FailedPrecondition when the model cannot load (Unavailable when the cause is transient, e.g.
  // the tracking server is down). On failure the error is also recorded as the model's reason.
  Status Load(const std::string& name);
  // Stops serving a model; blocking until its in-flight requests are answered.
  Status Unload(const std::string& name);

  // The ready model for a request. `version` empty: the loaded one. NotFound for an unknown
  // model or version, Unavailable for a known model that is not ready.
  StatusOr<std::shared_ptr<ServedModel>> Get(std::string_view name,
                                             std::string_view version = {}) const;

  std::vector<ModelStatus> Index() const;
  // True when every registered model is ready (and there is at least one).
  bool AllReady() const;
  // Every loaded model, for /metrics.
  std::vector<std::shared_ptr<ServedModel>> Loaded() const;

  // Follows the registry (call once): every `interval`, models whose URI can move
  // (models:/name@alias, /Stage, /latest) are resolved again; when the URI names another version
  // it is loaded, and traffic moves to it once it is ready (Load's reload: the old version keeps
  // serving meanwhile, finishes its requests, then goes). A version that fails to load leaves the
  // old one serving and is not retried until the URI names yet another version. Models unloaded
  // through Unload are left alone until loaded again. Stops when the repository is destroyed.
  void FollowRegistry(std::chrono::milliseconds interval);
  // With FollowRegistry (call before it): also serve every registered model that has `alias`, as
  // models:/<name>@<alias>. Checked at once and then every interval: a model that gains the alias
  // is added and loaded, one that loses it is unloaded and removed.
  void ServeModelsWithAlias(std::string alias);
  // Rounds of registry checks FollowRegistry has completed (for /metrics).
  uint64_t registry_checks() const { return registry_checks_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    std::string uri;
    ModelState state = ModelState::kUnavailable;
    std::string reason;
    std::shared_ptr<ServedModel> model;
    std::string followed_version;  // FollowRegistry: the version last loaded or tried
    bool unloaded = false;         // by Unload: FollowRegistry leaves it alone
    uint64_t loads = 0;
    uint64_t load_failures = 0;
    // Held through a load or unload, so those run one at a time per model.
    std::shared_ptr<std::mutex> operation = std::make_shared<std::mutex>();
  };
  StatusOr<std::shared_ptr<ServedModel>> LoadModel(const std::string& name, const std::string& uri);
  // Waits for requests that still hold `model`, then destroys it (stopping its scheduler).
  static void Retire(std::shared_ptr<ServedModel> model);
  void FollowLoop(std::chrono::milliseconds interval);
  void DiscoverAliasModels();  // ServeModelsWithAlias's round; on the follower thread

  const RepositoryConfig config_;
  std::map<std::string, std::unique_ptr<ModelBackend>> backends_;  // by flavor
  std::unique_ptr<ModelSource> source_;

  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> entries_;  // GUARDED_BY(mu_)
  std::condition_variable follow_wake_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::thread follower_;
  std::string serve_alias_;           // set before follower_ starts
  std::set<std::string> discovered_;  // models added for serve_alias_; follower thread only
  std::atomic<uint64_t> registry_checks_{0};
};

}  // namespace mlhub::serving
