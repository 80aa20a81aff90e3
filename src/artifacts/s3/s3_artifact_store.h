// SPDX-License-Identifier: Apache-2.0
// S3ArtifactStore: artifacts as objects under `s3://bucket/prefix` (`--artifacts-destination`).
// Memory per transfer is bounded whatever the file size:
//  - a write is one PUT when it fits one part; a larger one is a multipart upload whose parts
//    go out while the next fills (at most `parts_in_flight` at once), and which is aborted, not
//    left behind, when the writer is aborted or fails;
//  - a read fetches `read_window` bytes at a time with ranged GETs, up to three windows ahead
//    of the one being read (lent to the HTTP layer without a copy), never past the selected
//    range;
//  - at most `transfers_in_flight` part uploads and window fetches run at once, store-wide.
// Objects become visible only when complete (S3 semantics), as ArtifactWriter requires.
// Directories are key prefixes: listing uses the '/' delimiter, deleting a directory deletes
// every key under it in batches. Thread-safe; the client is shared.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "artifacts/artifact_store.h"
#include "artifacts/s3/s3_client.h"
#include "common/status.h"

namespace mlhub::artifacts::s3 {

struct S3ArtifactStoreOptions {
  size_t part_size = size_t{8} << 20;  // S3 wants >= 5 MiB for all parts but the last
  int parts_in_flight = 3;             // per upload
  size_t read_window = size_t{8} << 20;
  // Part uploads and window fetches in flight across the store, each holding a part or window
  // in memory: a bound on the threads and memory that transfers take, whatever their number.
  int transfers_in_flight = 32;
};

class TransferSlots;

class S3ArtifactStore final : public ArtifactStore {
 public:
  S3ArtifactStore(std::shared_ptr<S3Client> client, S3Location root,
                  S3ArtifactStoreOptions options = {});

  StatusOr<std::unique_ptr<ArtifactReader>> OpenForRead(std::string_view path) override;
  StatusOr<std::unique_ptr<ArtifactWriter>> OpenForWrite(std::string_view path) override;
  StatusOr<std::vector<FileInfo>> List(std::string_view path) override;
  Status Delete(std::string_view path) override;

 private:
  std::string Key(std::string_view path) const;

  const std::shared_ptr<S3Client> client_;
  const S3Location root_;
  const S3ArtifactStoreOptions options_;
  const std::shared_ptr<TransferSlots> slots_;
};

}  // namespace mlhub::artifacts::s3
