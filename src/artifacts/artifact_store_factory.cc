// SPDX-License-Identifier: Apache-2.0
#include "artifacts/artifact_store_factory.h"

#include <string>
#include <string_view>
#include <utility>

#include "artifacts/s3/s3_artifact_store.h"
#include "common/uri.h"

namespace mlhub::artifacts {

StatusOr<std::unique_ptr<ArtifactStore>> CreateArtifactStore(
    std::string_view destination, const ArtifactStoreFactoryOptions& options) {
  if (destination.empty()) {
    return InvalidArgumentError("artifact destination must not be empty");
  }
  const std::string scheme = UriScheme(destination);
  std::string local_path;
  if (scheme.empty()) {
    if (destination.find('\0') != std::string_view::npos) {
      return InvalidArgumentError("artifact destination contains a NUL character");
    }
    local_path = std::string(destination);
  } else if (scheme == "file") {
    ASSIGN_OR_RETURN(local_path, LocalPathFromFileUri(destination));
  } else if (scheme == "s3") {
    ASSIGN_OR_RETURN(s3::S3Location location, s3::ParseS3Uri(destination));
    ASSIGN_OR_RETURN(s3::S3Config config, s3::S3ConfigFromEnvironment());
    return std::unique_ptr<ArtifactStore>(std::make_unique<s3::S3ArtifactStore>(
        std::make_shared<s3::S3Client>(std::move(config)), std::move(location), options.s3));
  } else {
    return UnimplementedError(scheme + ": artifact destinations are not supported ('" +
                              std::string(destination) + "')");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<LocalArtifactStore> store,
                   LocalArtifactStore::Create(local_path, options.local));
  return std::unique_ptr<ArtifactStore>(std::move(store));
}

}  // namespace mlhub::artifacts
