// SPDX-License-Identifier: Apache-2.0
#include "serving/backends/module_backend.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <vector>

namespace mlhub::serving {
namespace {

std::vector<std::filesystem::path> ModuleDirs() {
  std::vector<std::filesystem::path> dirs;
  if (const char* dir = std::getenv("MLHUB_MODULE_DIR"); dir != nullptr && *dir != '\0') {
    dirs.emplace_back(dir);
  }
  std::error_code ec;
  std::filesystem::path binary = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    dirs.push_back(binary.parent_path());
    dirs.push_back(binary.parent_path().parent_path() / "lib" / "mlhub");
  }
  return dirs;
}

class ModuleBackend final : public ModelBackend {
 public:
  explicit ModuleBackend(BackendModule module) : module_(std::move(module)) {}

  std::string flavor() const override { return module_.flavor; }

  StatusOr<std::unique_ptr<LoadedModel>> Load(const MlModel& model) override {
    ModelBackend* backend = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!backend_ && opened_.ok()) opened_ = Open();
      if (!opened_.ok()) return opened_;
      backend = backend_.get();
    }
    return backend->Load(model);
  }

 private:
  Status Open() {
    std::string tried;
    for (const std::filesystem::path& dir : ModuleDirs()) {
      std::filesystem::path path = dir / module_.file;
      std::error_code ec;
      if (!std::filesystem::exists(path, ec)) {
        tried += (tried.empty() ? "" : ", ") + path.string();
        continue;
      }
      // Never closed: runtimes such as LibTorch keep process-wide state.
      void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (handle == nullptr) {
        return FailedPreconditionError(fmt::format("the {} backend {} cannot be loaded: {}",
                                                   module_.flavor, path.string(), dlerror()));
      }
      void* entry = dlsym(handle, module_.entry.c_str());
      if (entry == nullptr) {
        return FailedPreconditionError(fmt::format("the {} backend {} has no {}", module_.flavor,
                                                   path.string(), module_.entry));
      }
      backend_.reset(module_.create(entry));
      if (!backend_) {
        return FailedPreconditionError(
            fmt::format("the {} backend {} failed to start", module_.flavor, path.string()));
      }
      spdlog::info("loaded the {} backend from {}", module_.flavor, path.string());
      return OkStatus();
    }
    return FailedPreconditionError(fmt::format("the {} backend is not installed (looked for {}){}",
                                               module_.flavor, tried, module_.missing_hint));
  }

  const BackendModule module_;
  std::mutex mutex_;
  Status opened_;  // the first failure, kept: a module that cannot load is not retried
  std::unique_ptr<ModelBackend> backend_;
};

}  // namespace

std::unique_ptr<ModelBackend> NewModuleBackend(BackendModule module) {
  return std::make_unique<ModuleBackend>(std::move(module));
}

}  // namespace mlhub::serving
