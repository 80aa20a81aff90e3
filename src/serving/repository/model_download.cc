// SPDX-License-Identifier: Apache-2.0
#include "serving/repository/model_download.h"

#include <fmt/format.h>
#include <stdlib.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "artifacts/artifact_path.h"

namespace mlhub::serving {
namespace {

constexpr std::string_view kStagingPrefix = ".download-";

// What a listing may name as one child: a plain file or folder name, nothing that could leave
// the download folder or mean something else on disk.
bool IsSafeName(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '/' || c == '\\' || u < 0x20 || u == 0x7f) return false;
  }
  return true;
}

// Counts files against the limits as a tree is walked.
struct Walk {
  const DownloadLimits& limits;
  int64_t files = 0;

  Status CountFile(std::string_view where) {
    if (++files > limits.max_files) {
      return ResourceExhaustedError(fmt::format(
          "{} holds more than {} files: not a model directory", where, limits.max_files));
    }
    return OkStatus();
  }
};

Status CopyReader(artifacts::ArtifactReader& reader, const std::filesystem::path& dest) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(dest.c_str(), "wb"),
                                                       &std::fclose);
  if (file == nullptr) return InternalError(fmt::format("cannot create {}", dest.string()));
  std::vector<char> buffer(size_t{1} << 20);
  uint64_t copied = 0;
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, reader.Read(buffer.data(), buffer.size()));
    if (n == 0) break;
    if (std::fwrite(buffer.data(), 1, n, file.get()) != n) {
      return InternalError(fmt::format("cannot write {}", dest.string()));
    }
    copied += n;
  }
  if (std::fclose(file.release()) != 0) {
    return InternalError(fmt::format("cannot write {}", dest.string()));
  }
  if (copied != reader.size()) {
    return Status(StatusCode::kDataLoss,
                  fmt::format("{}: read {} bytes of {}", dest.string(), copied, reader.size()));
  }
  return OkStatus();
}

Status CopyStoreDir(artifacts::ArtifactStore& store, std::string_view dir,
                    const std::filesystem::path& dest, int depth, Walk& walk) {
  if (depth > walk.limits.max_depth) {
    return ResourceExhaustedError(fmt::format("'{}' is nested too deeply", dir));
  }
  ASSIGN_OR_RETURN(std::vector<artifacts::FileInfo> children, store.List(dir));
  for (const artifacts::FileInfo& child : children) {
    // List names children by their full relative path; only the last segment is new here.
    auto normalized = artifacts::NormalizeDecodedArtifactPath(child.path);
    const std::string_view name = std::string_view(child.path).substr(child.path.rfind('/') + 1);
    if (!normalized.ok() || *normalized != child.path || !IsSafeName(name)) {
      return Status(StatusCode::kDataLoss,
                    fmt::format("refusing to download '{}': not a safe relative path", child.path));
    }
    const std::filesystem::path target = dest / std::string(name);
    if (child.is_dir) {
      std::error_code ec;
      std::filesystem::create_directory(target, ec);
      if (ec)
        return InternalError(fmt::format("cannot create {}: {}", target.string(), ec.message()));
      RETURN_IF_ERROR(CopyStoreDir(store, child.path, target, depth + 1, walk));
      continue;
    }
    RETURN_IF_ERROR(walk.CountFile(child.path));
    ASSIGN_OR_RETURN(std::unique_ptr<artifacts::ArtifactReader> reader,
                     store.OpenForRead(child.path));
    RETURN_IF_ERROR(CopyReader(*reader, target));
  }
  return OkStatus();
}

Status CopyProxyDir(TrackingClient& client, const std::string& dir,
                    const std::filesystem::path& dest, int depth, Walk& walk) {
  if (depth > walk.limits.max_depth) {
    return ResourceExhaustedError(fmt::format("'{}' is nested too deeply", dir));
  }
  ASSIGN_OR_RETURN(std::vector<ProxyEntry> children, client.ListArtifacts(dir));
  for (const ProxyEntry& child : children) {
    if (!IsSafeName(child.name)) {
      return Status(StatusCode::kDataLoss,
                    fmt::format("refusing to download '{}' listed in '{}': not a plain name",
                                child.name, dir));
    }
    const std::string path = dir.empty() ? child.name : dir + "/" + child.name;
    const std::filesystem::path target = dest / child.name;
    if (child.is_dir) {
      std::error_code ec;
      std::filesystem::create_directory(target, ec);
      if (ec)
        return InternalError(fmt::format("cannot create {}: {}", target.string(), ec.message()));
      RETURN_IF_ERROR(CopyProxyDir(client, path, target, depth + 1, walk));
      continue;
    }
    RETURN_IF_ERROR(walk.CountFile(path));
    RETURN_IF_ERROR(client.DownloadArtifact(path, target, child.file_size));
  }
  return OkStatus();
}

std::string Slug(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (out.size() >= 80) break;
    const auto u = static_cast<unsigned char>(c);
    const bool keep = std::isalnum(u) || c == '.' || c == '-' || c == '_';
    if (keep) {
      out += c;
    } else if (out.empty() || out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && (out.front() == '.' || out.front() == '_')) out.erase(0, 1);
  return out.empty() ? "model" : out;
}

}  // namespace

StatusOr<StagingDir> StagingDir::Create(const std::filesystem::path& cache_dir) {
  std::error_code ec;
  std::filesystem::create_directories(cache_dir, ec);
  if (ec) {
    return InternalError(fmt::format("cannot create the model cache folder {}: {}",
                                     cache_dir.string(), ec.message()));
  }
  std::string pattern = (cache_dir / (std::string(kStagingPrefix) + "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return InternalError(fmt::format("cannot create a download folder in {}: {}",
                                     cache_dir.string(), std::strerror(errno)));
  }
  return StagingDir(std::filesystem::path(pattern));
}

StagingDir::StagingDir(StagingDir&& other) noexcept
    : path_(std::move(other.path_)), committed_(other.committed_) {
  other.path_.clear();
}

StagingDir::~StagingDir() {
  if (path_.empty() || committed_) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);  // best effort: the download failed anyway
}

StatusOr<std::filesystem::path> StagingDir::Commit(std::string_view slug) {
  const std::string suffix = path_.filename().string().substr(kStagingPrefix.size());
  const std::filesystem::path final_path =
      path_.parent_path() / fmt::format("{}-{}", Slug(slug), suffix);
  std::error_code ec;
  std::filesystem::rename(path_, final_path, ec);
  if (ec) {
    return InternalError(fmt::format("cannot rename {} to {}: {}", path_.string(),
                                     final_path.string(), ec.message()));
  }
  committed_ = true;
  path_ = final_path;
  return final_path;
}

Status DownloadStoreTree(artifacts::ArtifactStore& store, std::string_view where,
                         const std::filesystem::path& dest, const DownloadLimits& limits) {
  Walk walk{limits};
  RETURN_IF_ERROR(CopyStoreDir(store, "", dest, 0, walk));
  if (walk.files == 0) return NotFoundError(fmt::format("no model files under {}", where));
  return OkStatus();
}

Status DownloadProxyTree(TrackingClient& client, std::string_view root,
                         const std::filesystem::path& dest, const DownloadLimits& limits) {
  Walk walk{limits};
  RETURN_IF_ERROR(CopyProxyDir(client, std::string(root), dest, 0, walk));
  if (walk.files == 0) {
    return NotFoundError(fmt::format("no model files under mlflow-artifacts:/{} at {}", root,
                                     client.options().base_url));
  }
  return OkStatus();
}

}  // namespace mlhub::serving
