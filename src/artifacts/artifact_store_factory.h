// SPDX-License-Identifier: Apache-2.0
// CreateArtifactStore: picks the ArtifactStore for an `--artifacts-destination` value by its URI
// scheme (a plain path or file:// → LocalArtifactStore; s3:// later). The caller owns the result.
// Thread-safe.
#pragma once

#include <memory>
#include <string_view>

#include "artifacts/artifact_store.h"
#include "artifacts/local/local_artifact_store.h"
#include "common/status.h"

namespace mlhub::artifacts {

struct ArtifactStoreFactoryOptions {
  LocalArtifactStoreOptions local;  // used when the destination is a local folder
};

// `destination` is a plain path ("./mlartifacts", "/data/artifacts"), or a file URI
// ("file:///data/artifacts", "file:/data/artifacts", "file://localhost/data/artifacts"; its path is
// percent-decoded once). A local folder is created if missing. s3:// and any other scheme are
// Unimplemented in this build; a malformed file URI is InvalidArgument.
StatusOr<std::unique_ptr<ArtifactStore>> CreateArtifactStore(
    std::string_view destination, const ArtifactStoreFactoryOptions& options = {});

}  // namespace mlhub::artifacts
