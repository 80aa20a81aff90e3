// SPDX-License-Identifier: Apache-2.0
#include "artifacts/local/local_artifact_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include "artifacts/artifact_path.h"
#include "common/ids.h"

namespace mlhub::artifacts {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kTempMarker = ".mlhub-tmp-";
constexpr size_t kTempHexDigits = 16;
// Keeps ".<name>.mlhub-tmp-<hex>" within NAME_MAX (255) for long names.
constexpr size_t kMaxTempNamePrefix = 200;
// Chunks smaller than this are gathered before a write(2); larger ones are written directly.
constexpr size_t kWriteBufferSize = size_t{256} * 1024;

std::string Quoted(std::string_view path) { return "'" + std::string(path) + "'"; }

// Maps an errno from an operation on artifact `path` (relative) to a Status.
Status ErrnoStatus(int err, std::string_view op, std::string_view path) {
  std::string message =
      std::string(op) + " " + Quoted(path) + ": " + std::generic_category().message(err);
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return NotFoundError(std::move(message));
    case EACCES:
    case EPERM:
    case EROFS:
      return Status(StatusCode::kPermissionDenied, std::move(message));
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
      return ResourceExhaustedError(std::move(message));
    case ENAMETOOLONG:
    case ELOOP:
      return InvalidArgumentError(std::move(message));
    case EISDIR:
    case EEXIST:
    case ENOTEMPTY:
      return FailedPreconditionError(std::move(message));
    default:
      return InternalError(std::move(message));
  }
}

Status ErrorCodeStatus(const std::error_code& ec, std::string_view op, std::string_view path) {
  if (ec.category() == std::generic_category() || ec.category() == std::system_category()) {
    return ErrnoStatus(ec.value(), op, path);
  }
  return InternalError(std::string(op) + " " + Quoted(path) + ": " + ec.message());
}

std::string TempFileName(std::string_view name) {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t random = RandomU64();
  std::string out = ".";
  out.append(name.substr(0, kMaxTempNamePrefix));
  out.append(kTempMarker);
  for (size_t i = 0; i < kTempHexDigits; ++i, random >>= 4) {
    out.push_back(kHex[random & 0xF]);
  }
  return out;
}

class LocalArtifactReader final : public ArtifactReader {
 public:
  LocalArtifactReader(int fd, uint64_t size, std::string path)
      : fd_(fd), size_(size), path_(std::move(path)) {}
  ~LocalArtifactReader() override { ::close(fd_); }
  LocalArtifactReader(const LocalArtifactReader&) = delete;
  LocalArtifactReader& operator=(const LocalArtifactReader&) = delete;

  uint64_t size() const override { return size_; }

  StatusOr<size_t> Read(char* buffer, size_t capacity) override {
    capacity = static_cast<size_t>(std::min<uint64_t>(capacity, remaining_));
    if (capacity == 0) return size_t{0};
    for (;;) {
      const ssize_t n = ::read(fd_, buffer, capacity);
      if (n >= 0) {
        remaining_ -= static_cast<uint64_t>(n);
        return static_cast<size_t>(n);
      }
      if (errno != EINTR) {
        return ErrnoStatus(errno, "read", path_);
      }
    }
  }

  Status Select(uint64_t offset, uint64_t length) override {
    if (offset > size_ || length > size_ - offset) {
      return OutOfRangeError("range past the end of " + path_);
    }
    if (::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) < 0) {
      return ErrnoStatus(errno, "lseek", path_);
    }
    remaining_ = length;
    return OkStatus();
  }

 private:
  const int fd_;
  const uint64_t size_;
  const std::string path_;
  uint64_t remaining_ = size_;  // of the selected bytes
};

class LocalArtifactWriter final : public ArtifactWriter {
 public:
  LocalArtifactWriter(int fd, fs::path temp, fs::path target, std::string path, bool fsync)
      : fd_(fd),
        temp_(std::move(temp)),
        target_(std::move(target)),
        path_(std::move(path)),
        fsync_(fsync) {}
  ~LocalArtifactWriter() override { Abort(); }
  LocalArtifactWriter(const LocalArtifactWriter&) = delete;
  LocalArtifactWriter& operator=(const LocalArtifactWriter&) = delete;

  Status Write(std::string_view chunk) override {
    RETURN_IF_ERROR(CheckOpen());
    if (buffered_ + chunk.size() > kWriteBufferSize) {
      RETURN_IF_ERROR(FailOnError(Flush()));
    }
    if (chunk.size() >= kWriteBufferSize) {
      return FailOnError(WriteAll(chunk.data(), chunk.size()));
    }
    if (buffer_ == nullptr) {
      buffer_ = std::make_unique_for_overwrite<char[]>(kWriteBufferSize);
    }
    std::memcpy(buffer_.get() + buffered_, chunk.data(), chunk.size());
    buffered_ += chunk.size();
    return OkStatus();
  }

  Status Commit() override {
    RETURN_IF_ERROR(CheckOpen());
    RETURN_IF_ERROR(FailOnError(Flush()));
    if (fsync_ && ::fsync(fd_) != 0) {
      return FailOnError(ErrnoStatus(errno, "fsync", path_));
    }
    const int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0) {
      return FailOnError(ErrnoStatus(errno, "close", path_));
    }
    if (::rename(temp_.c_str(), target_.c_str()) != 0) {
      return FailOnError(ErrnoStatus(errno, "write", path_));
    }
    committed_ = true;
    buffer_.reset();
    if (fsync_) {
      SyncParentDirectory();
    }
    return OkStatus();
  }

  void Abort() override {
    if (committed_ || aborted_) {
      return;
    }
    aborted_ = true;
    buffer_.reset();
    if (fd_ >= 0) {
      ::close(std::exchange(fd_, -1));
    }
    ::unlink(temp_.c_str());
  }

 private:
  Status CheckOpen() const {
    if (committed_) {
      return FailedPreconditionError("artifact writer already committed");
    }
    if (aborted_) {
      return FailedPreconditionError("artifact writer was aborted");
    }
    return OkStatus();
  }

  // Any failure leaves the writer aborted: the temp file is removed at once.
  Status FailOnError(Status status) {
    if (!status.ok()) {
      Abort();
    }
    return status;
  }

  Status Flush() {
    if (buffered_ == 0) {
      return OkStatus();
    }
    const size_t size = std::exchange(buffered_, 0);
    return WriteAll(buffer_.get(), size);
  }

  Status WriteAll(const char* data, size_t size) {
    while (size > 0) {
      const ssize_t n = ::write(fd_, data, size);
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        return ErrnoStatus(errno, "write", path_);
      }
      data += n;
      size -= static_cast<size_t>(n);
    }
    return OkStatus();
  }

  // Best effort: the file is already in place; a failure here only weakens durability.
  void SyncParentDirectory() {
    const int dir = ::open(target_.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) {
      return;
    }
    (void)::fsync(dir);
    ::close(dir);
  }

  int fd_;
  const fs::path temp_;
  const fs::path target_;
  const std::string path_;
  const bool fsync_;
  std::unique_ptr<char[]> buffer_;  // kWriteBufferSize bytes once a small chunk arrives
  size_t buffered_ = 0;
  bool committed_ = false;
  bool aborted_ = false;
};

}  // namespace

StatusOr<std::unique_ptr<LocalArtifactStore>> LocalArtifactStore::Create(
    const std::string& root_dir, LocalArtifactStoreOptions options) {
  if (root_dir.empty()) {
    return InvalidArgumentError("artifact root folder must not be empty");
  }
  std::error_code ec;
  fs::create_directories(root_dir, ec);
  if (ec) {
    return ErrorCodeStatus(ec, "create artifact root", root_dir);
  }
  fs::path root = fs::canonical(root_dir, ec);
  if (ec) {
    return ErrorCodeStatus(ec, "resolve artifact root", root_dir);
  }
  if (!fs::is_directory(root, ec)) {
    return FailedPreconditionError("artifact root " + Quoted(root_dir) + " is not a directory");
  }
  if (::access(root.c_str(), R_OK | W_OK | X_OK) != 0) {
    return ErrnoStatus(errno, "access artifact root", root_dir);
  }
  return std::unique_ptr<LocalArtifactStore>(new LocalArtifactStore(std::move(root), options));
}

bool LocalArtifactStore::IsTempFileName(std::string_view name) {
  if (name.size() < 1 + kTempMarker.size() + kTempHexDigits || name.front() != '.') {
    return false;
  }
  const std::string_view hex = name.substr(name.size() - kTempHexDigits);
  const std::string_view marker =
      name.substr(name.size() - kTempHexDigits - kTempMarker.size(), kTempMarker.size());
  return marker == kTempMarker && std::all_of(hex.begin(), hex.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool LocalArtifactStore::IsInsideRoot(const fs::path& canonical) const {
  const std::string& root = root_.native();
  const std::string& path = canonical.native();
  if (path.compare(0, root.size(), root) != 0) {
    return false;
  }
  return path.size() == root.size() || root.back() == '/' || path[root.size()] == '/';
}

StatusOr<LocalArtifactStore::Resolved> LocalArtifactStore::Resolve(std::string_view path,
                                                                   LastSegment last) const {
  ASSIGN_OR_RETURN(std::string relative, NormalizeDecodedArtifactPath(path));
  const std::string_view name = std::string_view(relative).substr(relative.rfind('/') + 1);
  if (IsTempFileName(name)) {
    return InvalidArgumentError("Invalid path: " + Quoted(relative) + " uses a reserved name");
  }
  fs::path full = relative.empty() ? root_ : root_ / relative;
  // Defence in depth: no '..' can be left, but a symlink inside the root could still point out.
  const fs::path& checked =
      (last == LastSegment::kFollow || relative.empty()) ? full : full.parent_path();
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(checked, ec);
  if (ec) {
    return ErrorCodeStatus(ec, "resolve", relative);
  }
  if (!IsInsideRoot(canonical)) {
    return InvalidArgumentError("Invalid path: " + Quoted(relative) +
                                " resolves outside the artifact root");
  }
  return Resolved{std::move(relative), std::move(full)};
}

StatusOr<std::unique_ptr<ArtifactReader>> LocalArtifactStore::OpenForRead(std::string_view path) {
  ASSIGN_OR_RETURN(Resolved resolved, Resolve(path, LastSegment::kFollow));
  const Status not_found = NotFoundError("artifact " + Quoted(resolved.relative) + " not found");
  // O_NONBLOCK so that a FIFO planted in the root cannot block the open.
  const int fd = ::open(resolved.full.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return not_found;
    }
    return ErrnoStatus(errno, "open", resolved.relative);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return ErrnoStatus(err, "stat", resolved.relative);
  }
  if (!S_ISREG(st.st_mode)) {  // a directory (or anything else that is not a file)
    ::close(fd);
    return not_found;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::unique_ptr<ArtifactReader>(std::make_unique<LocalArtifactReader>(
      fd, static_cast<uint64_t>(st.st_size), std::move(resolved.relative)));
}

StatusOr<std::unique_ptr<ArtifactWriter>> LocalArtifactStore::OpenForWrite(std::string_view path) {
  ASSIGN_OR_RETURN(Resolved resolved, Resolve(path, LastSegment::kFollow));
  if (resolved.relative.empty()) {
    return InvalidArgumentError("Invalid path: cannot write to the artifact root itself");
  }
  const fs::path parent = resolved.full.parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) {
    if (ec == std::errc::not_a_directory || ec == std::errc::file_exists) {
      return FailedPreconditionError("cannot write " + Quoted(resolved.relative) +
                                     ": a file is in the way of its parent directory");
    }
    return ErrorCodeStatus(ec, "create parent directories of", resolved.relative);
  }
  if (fs::is_directory(resolved.full, ec)) {
    return FailedPreconditionError("cannot write " + Quoted(resolved.relative) +
                                   ": it is a directory");
  }
  const std::string name = resolved.full.filename().native();
  for (int attempt = 0;; ++attempt) {
    fs::path temp = parent / TempFileName(name);
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
      return std::unique_ptr<ArtifactWriter>(std::make_unique<LocalArtifactWriter>(
          fd, std::move(temp), std::move(resolved.full), std::move(resolved.relative),
          options_.fsync_on_commit));
    }
    if (errno != EEXIST || attempt >= 3) {
      return ErrnoStatus(errno, "create", resolved.relative);
    }
  }
}

StatusOr<std::vector<FileInfo>> LocalArtifactStore::List(std::string_view path) {
  ASSIGN_OR_RETURN(Resolved resolved, Resolve(path, LastSegment::kFollow));
  std::vector<FileInfo> files;
  std::error_code ec;
  fs::directory_iterator it(resolved.full, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory) {
      return files;  // a missing directory, or a file: empty, as MLflow answers
    }
    return ErrorCodeStatus(ec, "list", resolved.relative);
  }
  const std::string prefix = resolved.relative.empty() ? "" : resolved.relative + "/";
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) {
      return ErrorCodeStatus(ec, "list", resolved.relative);
    }
    std::string name = it->path().filename().native();
    // Only names a client could ask for again: no temp files, nothing that fails validation.
    if (IsTempFileName(name)) {
      continue;
    }
    StatusOr<std::string> valid = NormalizeDecodedArtifactPath(name);
    if (!valid.ok() || *valid != name) {
      continue;
    }
    std::error_code entry_ec;
    const fs::file_status status = it->status(entry_ec);  // follows symlinks
    if (entry_ec) {
      continue;  // e.g. a dangling symlink
    }
    FileInfo info;
    info.path = prefix + name;
    if (fs::is_directory(status)) {
      info.is_dir = true;
    } else if (fs::is_regular_file(status)) {
      const uintmax_t size = it->file_size(entry_ec);
      if (entry_ec) {
        continue;  // vanished meanwhile
      }
      info.file_size = static_cast<int64_t>(size);
    } else {
      continue;  // sockets, FIFOs, devices
    }
    files.push_back(std::move(info));
  }
  if (ec) {
    return ErrorCodeStatus(ec, "list", resolved.relative);
  }
  std::sort(files.begin(), files.end(),
            [](const FileInfo& a, const FileInfo& b) { return a.path < b.path; });
  return files;
}

Status LocalArtifactStore::Delete(std::string_view path) {
  ASSIGN_OR_RETURN(Resolved resolved, Resolve(path, LastSegment::kNoFollow));
  if (resolved.relative.empty()) {
    return InvalidArgumentError("Invalid path: cannot delete the artifact root itself");
  }
  std::error_code ec;
  const fs::file_status status = fs::symlink_status(resolved.full, ec);
  if (status.type() == fs::file_type::not_found) {
    return NotFoundError("artifact " + Quoted(resolved.relative) + " not found");
  }
  if (ec) {
    return ErrorCodeStatus(ec, "delete", resolved.relative);
  }
  fs::remove_all(resolved.full, ec);  // removes a symlink itself, never its target
  if (ec) {
    return ErrorCodeStatus(ec, "delete", resolved.relative);
  }
  return OkStatus();
}

}  // namespace mlhub::artifacts
