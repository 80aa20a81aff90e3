// SPDX-License-Identifier: Apache-2.0
// Downloading a model's files into the serving cache without ever exposing a partial copy:
// files go into a hidden staging folder under the cache dir, which is renamed to its final name
// only when every file is complete (and removed when anything fails). Sources: an ArtifactStore
// tree (S3 through the artifacts module; any store works) or a tracking server's artifact proxy.
// Functions are thread-safe; a StagingDir is used by one thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "artifacts/artifact_store.h"
#include "common/status.h"
#include "serving/repository/tracking_client.h"

namespace mlhub::serving {

// A fresh folder `<cache_dir>/.download-XXXXXX` (mkdtemp). Removed with everything in it on
// destruction unless Commit succeeded.
class StagingDir {
 public:
  // Creates `cache_dir` if missing.
  static StatusOr<StagingDir> Create(const std::filesystem::path& cache_dir);
  StagingDir(StagingDir&& other) noexcept;
  StagingDir& operator=(StagingDir&&) = delete;
  ~StagingDir();

  const std::filesystem::path& path() const { return path_; }

  // Renames the folder to `<cache_dir>/<slug>-XXXXXX` (the same random suffix, so the name is
  // unique too) and returns that path. `slug` is reduced to [A-Za-z0-9._-] and at most 80
  // characters.
  StatusOr<std::filesystem::path> Commit(std::string_view slug);

 private:
  explicit StagingDir(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
  bool committed_ = false;
};

// Limits that keep a misconfigured URI (the root of a whole bucket) from filling the disk.
struct DownloadLimits {
  int64_t max_files = 100'000;
  int max_depth = 64;
};

// Copies every file under `store`'s root into `dest` (an existing folder), keeping the relative
// paths. NotFound when there is no file at all (S3 lists a missing prefix as empty); `where`
// names the tree in that message.
Status DownloadStoreTree(artifacts::ArtifactStore& store, std::string_view where,
                         const std::filesystem::path& dest, const DownloadLimits& limits = {});

// The same for directory `root` of a tracking server's artifact proxy (listing recursively, one
// GET per file, as MLflow's client downloads artifacts).
Status DownloadProxyTree(TrackingClient& client, std::string_view root,
                         const std::filesystem::path& dest, const DownloadLimits& limits = {});

}  // namespace mlhub::serving
