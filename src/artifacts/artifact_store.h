// SPDX-License-Identifier: Apache-2.0
// ArtifactStore: the bytes of artifacts (files under a root: a local folder or an S3 prefix). Paths
// handed to it are already validated relative paths (see artifact_path.h) using '/' separators; ""
// is the root. Thread-safe; readers and writers are used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mlhub::artifacts {

struct FileInfo {
  std::string path;  // relative to the listed directory's parent root path, see List
  bool is_dir = false;
  int64_t file_size = 0;  // files only
};

class ArtifactReader {
 public:
  virtual ~ArtifactReader() = default;
  virtual uint64_t size() const = 0;
  // Reads the next bytes; 0 at the end.
  virtual StatusOr<size_t> Read(char* buffer, size_t capacity) = 0;
  // Readers that hold the bytes in buffers of their own (S3's windows) can lend them instead of
  // copying: Lend returns the next bytes (at most `max`), valid until the next Read or Lend call;
  // empty at the end. Only called when lends() is true.
  virtual bool lends() const { return false; }
  virtual StatusOr<std::string_view> Lend(size_t max) {
    (void)max;
    return UnimplementedError("this reader does not lend its buffers");
  }
  // Limits what the following Reads return to bytes [offset, offset + length) of the file
  // (HTTP Range requests); kOutOfRange past its end.
  virtual Status Select(uint64_t offset, uint64_t length) = 0;
};

// Bytes written become visible only on Commit, all at once; a writer destroyed or aborted before
// Commit leaves nothing behind (no partial file).
class ArtifactWriter {
 public:
  virtual ~ArtifactWriter() = default;
  virtual Status Write(std::string_view chunk) = 0;
  virtual Status Commit() = 0;
  virtual void Abort() = 0;
};

class ArtifactStore {
 public:
  virtual ~ArtifactStore() = default;
  // kNotFound when there is no such file (a directory is kNotFound too).
  virtual StatusOr<std::unique_ptr<ArtifactReader>> OpenForRead(std::string_view path) = 0;
  // Creates parent directories as needed; replaces an existing file on Commit.
  virtual StatusOr<std::unique_ptr<ArtifactWriter>> OpenForWrite(std::string_view path) = 0;
  // The direct children of directory `path`, sorted by name; each FileInfo::path is the child's
  // full relative path (e.g. List("a/b") → "a/b/c.txt"). A missing directory lists as empty.
  virtual StatusOr<std::vector<FileInfo>> List(std::string_view path) = 0;
  // Deletes a file or a whole directory tree. Missing is kNotFound.
  virtual Status Delete(std::string_view path) = 0;
};

}  // namespace mlhub::artifacts
