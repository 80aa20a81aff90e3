// SPDX-License-Identifier: Apache-2.0
// CreateArtifactStore: picks the ArtifactStore for an `--artifacts-destination` value by its URI
// scheme (a plain path or file:// → LocalArtifactStore; s3://bucket/prefix → S3ArtifactStore,
// configured from MLflow's S3 environment variables). The caller owns the result.
// Thread-safe.
#pragma once

#include <memory>
#include <string_view>

#include "artifacts/artifact_store.h"
#include "artifacts/local/local_artifact_store.h"
#include "artifacts/s3/s3_artifact_store.h"
#include "common/status.h"

namespace mlhub::artifacts {

struct ArtifactStoreFactoryOptions {
  LocalArtifactStoreOptions local;  // used when the destination is a local folder
  s3::S3ArtifactStoreOptions s3;    // used for s3://bucket/prefix
};

// `destination` is a plain path ("./mlartifacts", "/data/artifacts"), or a file URI
// ("file:///data/artifacts", "file:/data/artifacts", "file://localhost/data/artifacts"; its path is
// percent-decoded once), or s3://bucket/prefix. A local folder is created if missing; a bucket is
// not (`mlhub storage init`). Any other scheme is Unimplemented; a malformed URI is
// InvalidArgument.
StatusOr<std::unique_ptr<ArtifactStore>> CreateArtifactStore(
    std::string_view destination, const ArtifactStoreFactoryOptions& options = {});

}  // namespace mlhub::artifacts
