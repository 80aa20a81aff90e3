// SPDX-License-Identifier: Apache-2.0
#include "serving/repository/model_repository.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

#include "common/cpu_count.h"

namespace mlhub::serving {

ServedModel::ServedModel(std::string name, std::string version, std::string uri,
                         std::vector<std::unique_ptr<LoadedModel>> instances,
                         SchedulerConfig config)
    : name_(std::move(name)),
      version_(std::move(version)),
      uri_(std::move(uri)),
      scheduler_(std::move(instances), config, &stats_) {}

std::string_view ModelStateName(ModelState state) {
  switch (state) {
    case ModelState::kUnavailable:
      return "UNAVAILABLE";
    case ModelState::kLoading:
      return "LOADING";
    case ModelState::kReady:
      return "READY";
    case ModelState::kUnloading:
      return "UNLOADING";
  }
  return "UNAVAILABLE";
}

ModelRepository::ModelRepository(RepositoryConfig config,
                                 std::vector<std::unique_ptr<ModelBackend>> backends,
                                 std::unique_ptr<ModelSource> source)
    : config_(config), source_(std::move(source)) {
  for (auto& backend : backends) {
    std::string flavor = backend->flavor();
    backends_[flavor] = std::move(backend);
  }
}

ModelRepository::~ModelRepository() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  follow_wake_.notify_all();
  if (follower_.joinable()) follower_.join();
  std::map<std::string, Entry, std::less<>> entries;
  {
    std::lock_guard<std::mutex> lock(mu_);
    entries.swap(entries_);
  }
  for (auto& [name, entry] : entries) {
    if (entry.model) Retire(std::move(entry.model));
  }
}

Status ModelRepository::Add(const std::string& name, const std::string& uri) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = entries_.try_emplace(name);
  if (!inserted) return AlreadyExistsError(fmt::format("model '{}' is given twice", name));
  it->second.uri = uri;
  it->second.reason = "not loaded yet";
  return OkStatus();
}

StatusOr<std::shared_ptr<ServedModel>> ModelRepository::LoadModel(const std::string& name,
                                                                  const std::string& uri) {
  ASSIGN_OR_RETURN(FetchedModel fetched, source_->Fetch(uri));
  // The files are needed only while the instances load.
  struct ReleaseFiles {
    ModelSource* source;
    const FetchedModel& fetched;
    ~ReleaseFiles() { source->Release(fetched); }
  } release{source_.get(), fetched};
  ASSIGN_OR_RETURN(MlModel mlmodel, ReadMlModel(FindModelDir(fetched.dir)));
  ModelBackend* backend = nullptr;
  for (const auto& [flavor, candidate] : backends_) {
    if (mlmodel.flavors.count(flavor)) {
      backend = candidate.get();
      break;
    }
  }
  if (backend == nullptr) {
    std::string flavors;
    for (const auto& [flavor, settings] : mlmodel.flavors) {
      flavors += flavors.empty() ? flavor : ", " + flavor;
    }
    return InvalidArgumentError(
        fmt::format("no backend serves this model's flavors ({})", flavors));
  }
  std::vector<std::unique_ptr<LoadedModel>> instances;
  ASSIGN_OR_RETURN(std::unique_ptr<LoadedModel> first, backend->Load(mlmodel));
  // Auto (0): a model that runs inline gets one instance per core, so every I/O thread can run
  // one at the same time; others get one (a runtime such as LibTorch parallelises inside).
  const int count = config_.instances > 0 ? config_.instances
                    : first->RunsInline() ? AvailableCores()
                                          : 1;
  instances.push_back(std::move(first));
  while (static_cast<int>(instances.size()) < count) {
    ASSIGN_OR_RETURN(std::unique_ptr<LoadedModel> instance, backend->Load(mlmodel));
    instances.push_back(std::move(instance));
  }
  return std::make_shared<ServedModel>(name, fetched.version, uri, std::move(instances),
                                       config_.scheduler);
}

Status ModelRepository::Load(const std::string& name) {
  std::shared_ptr<std::mutex> operation;
  std::string uri;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(name);
    if (it == entries_.end()) return NotFoundError(fmt::format("unknown model '{}'", name));
    operation = it->second.operation;
  }
  std::lock_guard<std::mutex> one_at_a_time(*operation);
  {
    std::lock_guard<std::mutex> lock(mu_);
    Entry& entry = entries_.at(name);
    uri = entry.uri;
    if (!entry.model) entry.state = ModelState::kLoading;  // a reload keeps serving (READY)
  }
  spdlog::info("model {}: loading {}", name, uri);
  StatusOr<std::shared_ptr<ServedModel>> loaded = LoadModel(name, uri);
  std::shared_ptr<ServedModel> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Entry& entry = entries_.at(name);
    entry.unloaded = false;
    if (!loaded.ok()) {
      entry.reason = loaded.status().message();
      ++entry.load_failures;
      if (!entry.model) entry.state = ModelState::kUnavailable;
    } else {
      old = std::exchange(entry.model, *std::move(loaded));
      ++entry.loads;
      entry.followed_version = entry.model->version();
      entry.state = ModelState::kReady;
      entry.reason.clear();
    }
  }
  if (!loaded.ok()) {
    spdlog::error("model {}: load failed: {}", name, loaded.status().message());
    // NotFound is kept for unknown model names: a known model that cannot load (its files are
    // missing or broken) is a failed precondition, unless the cause is transient.
    if (loaded.status().code() == StatusCode::kUnavailable) return loaded.status();
    return FailedPreconditionError(
        fmt::format("model '{}' failed to load: {}", name, loaded.status().message()));
  }
  spdlog::info("model {}: ready", name);
  if (old) Retire(std::move(old));
  return OkStatus();
}

Status ModelRepository::Unload(const std::string& name) {
  std::shared_ptr<std::mutex> operation;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(name);
    if (it == entries_.end()) return NotFoundError(fmt::format("unknown model '{}'", name));
    operation = it->second.operation;
  }
  std::lock_guard<std::mutex> one_at_a_time(*operation);
  std::shared_ptr<ServedModel> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Entry& entry = entries_.at(name);
    old = std::move(entry.model);
    entry.state = ModelState::kUnloading;
  }
  if (old) Retire(std::move(old));
  {
    std::lock_guard<std::mutex> lock(mu_);
    Entry& entry = entries_.at(name);
    entry.state = ModelState::kUnavailable;
    entry.reason = "unloaded";
    entry.unloaded = true;
  }
  spdlog::info("model {}: unloaded", name);
  return OkStatus();
}

void ModelRepository::Retire(std::shared_ptr<ServedModel> model) {
  // Requests hold the pointer only between Get and Enqueue (microseconds); once it is ours alone,
  // destruction stops the scheduler, which answers whatever is still queued.
  while (model.use_count() > 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  model.reset();
}

StatusOr<std::shared_ptr<ServedModel>> ModelRepository::Get(std::string_view name,
                                                            std::string_view version) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(name);
  if (it == entries_.end()) return NotFoundError(fmt::format("unknown model '{}'", name));
  const Entry& entry = it->second;
  if (!entry.model) {
    return UnavailableError(fmt::format("model '{}' is not ready: {}", name,
                                        entry.reason.empty() ? "loading" : entry.reason));
  }
  if (!version.empty() && version != entry.model->version()) {
    return NotFoundError(fmt::format("model '{}' has no version '{}' loaded (serving version {})",
                                     name, version, entry.model->version()));
  }
  return entry.model;
}

std::vector<ModelStatus> ModelRepository::Index() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ModelStatus> index;
  for (const auto& [name, entry] : entries_) {
    index.push_back({name, entry.model ? entry.model->version() : std::string(), entry.state,
                     entry.reason, entry.loads, entry.load_failures});
  }
  return index;
}

bool ModelRepository::AllReady() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (entries_.empty()) return false;
  for (const auto& [name, entry] : entries_) {
    if (!entry.model) return false;
  }
  return true;
}

std::vector<std::shared_ptr<ServedModel>> ModelRepository::Loaded() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::shared_ptr<ServedModel>> models;
  for (const auto& [name, entry] : entries_) {
    if (entry.model) models.push_back(entry.model);
  }
  return models;
}

void ModelRepository::FollowRegistry(std::chrono::milliseconds interval) {
  std::lock_guard<std::mutex> lock(mu_);
  if (follower_.joinable() || interval.count() <= 0) return;
  follower_ = std::thread([this, interval] { FollowLoop(interval); });
}

void ModelRepository::ServeModelsWithAlias(std::string alias) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!follower_.joinable()) serve_alias_ = std::move(alias);
}

void ModelRepository::DiscoverAliasModels() {
  StatusOr<std::vector<std::string>> names = source_->ModelsWithAlias(serve_alias_);
  if (!names.ok()) {
    spdlog::warn("cannot list the models with alias '{}': {}", serve_alias_,
                 names.status().message());
    return;
  }
  const std::set<std::string> wanted(names->begin(), names->end());
  for (const std::string& name : wanted) {
    if (discovered_.count(name)) continue;
    std::string uri = fmt::format("models:/{}@{}", name, serve_alias_);
    if (!Add(name, uri).ok()) continue;  // served already under that name (a --model flag)
    discovered_.insert(name);
    spdlog::info("model {}: has alias '{}', serving {}", name, serve_alias_, uri);
    (void)Load(name);  // a failure is recorded; moves of the alias are followed from now on
  }
  for (auto it = discovered_.begin(); it != discovered_.end();) {
    if (wanted.count(*it)) {
      ++it;
      continue;
    }
    spdlog::info("model {}: no longer has alias '{}', unloading it", *it, serve_alias_);
    (void)Unload(*it);
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto entry = entries_.find(*it);
      // Unless someone loaded it again meanwhile (the repository API).
      if (entry != entries_.end() && !entry->second.model) entries_.erase(entry);
    }
    it = discovered_.erase(it);
  }
}

void ModelRepository::FollowLoop(std::chrono::milliseconds interval) {
  if (!serve_alias_.empty()) DiscoverAliasModels();
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    follow_wake_.wait_for(lock, interval, [this] { return stopping_; });
    if (stopping_) return;
    if (!serve_alias_.empty()) {
      lock.unlock();
      DiscoverAliasModels();
      lock.lock();
      if (stopping_) return;
    }
    std::vector<std::pair<std::string, std::string>> followed;  // name, uri
    for (const auto& [name, entry] : entries_) {
      if (!entry.unloaded) followed.emplace_back(name, entry.uri);
    }
    lock.unlock();
    for (const auto& [name, uri] : followed) {
      // One registry lookup per model; only URIs that can move answer a version.
      StatusOr<std::optional<std::string>> version = source_->CurrentVersion(uri);
      if (!version.ok()) {
        spdlog::warn("model {}: cannot check {}: {}", name, uri, version.status().message());
        continue;
      }
      if (!version->has_value()) continue;
      bool moved = false;
      {
        std::lock_guard<std::mutex> relock(mu_);
        auto it = entries_.find(name);
        if (stopping_) return;
        if (it != entries_.end() && !it->second.unloaded &&
            it->second.followed_version != **version) {
          it->second.followed_version = **version;
          // Back to the version being served (after a failed move): nothing to load.
          moved = !(it->second.model && it->second.model->version() == **version);
        }
      }
      if (moved) {
        spdlog::info("model {}: {} now names version {}; loading it", name, uri, **version);
        (void)Load(name);  // on failure the old version keeps serving; the reason is recorded
      }
    }
    registry_checks_.fetch_add(1, std::memory_order_relaxed);
    lock.lock();
  }
}

}  // namespace mlhub::serving
