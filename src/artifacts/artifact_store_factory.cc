// SPDX-License-Identifier: Apache-2.0
#include "artifacts/artifact_store_factory.h"

#include <cctype>
#include <string>
#include <string_view>
#include <utility>

#include "artifacts/s3/s3_artifact_store.h"
#include "common/percent_encoding.h"

namespace mlhub::artifacts {
namespace {

std::string Lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// The scheme of `uri` when it looks like "<scheme>:/..." with a scheme of two or more characters
// (so that a drive letter is not a scheme), else "".
std::string_view SchemeOf(std::string_view uri) {
  const size_t colon = uri.find(':');
  if (colon == std::string_view::npos || colon < 2 || colon + 1 >= uri.size() ||
      uri[colon + 1] != '/' || !std::isalpha(static_cast<unsigned char>(uri[0]))) {
    return {};
  }
  for (size_t i = 1; i < colon; ++i) {
    const auto c = static_cast<unsigned char>(uri[i]);
    if (!std::isalnum(c) && c != '+' && c != '-' && c != '.') {
      return {};
    }
  }
  return uri.substr(0, colon);
}

// "file:///x", "file://localhost/x" and "file:/x" → "/x", with %XX escapes decoded once.
StatusOr<std::string> LocalPathFromFileUri(std::string_view uri) {
  const Status invalid = InvalidArgumentError("invalid file URI '" + std::string(uri) +
                                              "' (expected file:///absolute/path)");
  std::string_view rest = uri.substr(uri.find(':') + 1);
  if (rest.substr(0, 2) == "//") {
    rest.remove_prefix(2);
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos) {
      return invalid;
    }
    const std::string host = Lowercase(rest.substr(0, slash));
    if (!host.empty() && host != "localhost") {
      return invalid;
    }
    rest.remove_prefix(slash);
  }
  if (rest.empty() || rest.front() != '/' || rest.find_first_of("?#") != std::string_view::npos) {
    return invalid;
  }
  StatusOr<std::string> path = PercentDecode(rest, /*plus_is_space=*/false);
  if (!path.ok() || path->find('\0') != std::string::npos) {
    return invalid;
  }
  return path;
}

}  // namespace

StatusOr<std::unique_ptr<ArtifactStore>> CreateArtifactStore(
    std::string_view destination, const ArtifactStoreFactoryOptions& options) {
  if (destination.empty()) {
    return InvalidArgumentError("artifact destination must not be empty");
  }
  const std::string scheme = Lowercase(SchemeOf(destination));
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
