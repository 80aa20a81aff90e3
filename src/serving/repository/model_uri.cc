// SPDX-License-Identifier: Apache-2.0
#include "serving/repository/model_uri.h"

#include <fmt/format.h>

#include <utility>

#include "artifacts/artifact_path.h"
#include "common/uri.h"

namespace mlhub::serving {
namespace {

bool IsBlank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

StatusOr<ModelUri> ParseRuns(std::string_view uri) {
  ASSIGN_OR_RETURN(RunsUri runs, ParseRunsUri(uri));
  ModelUri out;
  out.kind = ModelUri::Kind::kRuns;
  out.run_id = std::move(runs.run_id);
  if (!runs.path.empty()) {
    // The path is appended to the run's artifact URI: it must stay inside it.
    auto normalized = artifacts::NormalizeDecodedArtifactPath(runs.path);
    if (!normalized.ok()) {
      return InvalidArgumentError(
          fmt::format("invalid artifact path in '{}': {}", uri, normalized.status().message()));
    }
    out.path = *std::move(normalized);
  }
  return out;
}

StatusOr<ModelUri> ParseMlflowArtifacts(std::string_view uri) {
  ModelUri out;
  out.kind = ModelUri::Kind::kMlflowArtifacts;
  // The path: decoded and validated as the tracking server's proxy does.
  ASSIGN_OR_RETURN(out.path, artifacts::RunArtifactPathFromUri(uri));
  std::string_view rest = uri.substr(uri.find(':') + 1);
  if (rest.substr(0, 2) == "//") {
    rest.remove_prefix(2);
    out.authority = std::string(rest.substr(0, rest.find('/')));
    if (out.authority.find_first_of("@ \\") != std::string::npos) {
      return InvalidArgumentError(fmt::format("invalid host in '{}'", uri));
    }
  }
  return out;
}

}  // namespace

StatusOr<ModelUri> ParseModelUri(std::string_view uri) {
  if (IsBlank(uri)) return InvalidArgumentError("model URI must not be empty");
  if (uri.find('\0') != std::string_view::npos) {
    return InvalidArgumentError("model URI contains a NUL character");
  }
  const std::string scheme = UriScheme(uri);
  ModelUri out;
  if (scheme.empty()) {
    out.local_path = std::string(uri);
    return out;
  }
  if (scheme == "file") {
    ASSIGN_OR_RETURN(out.local_path, LocalPathFromFileUri(uri));
    return out;
  }
  if (scheme == "s3") {
    out.kind = ModelUri::Kind::kS3;
    out.uri = std::string(uri);
    return out;
  }
  if (scheme == "runs") return ParseRuns(uri);
  if (scheme == "models") {
    out.kind = ModelUri::Kind::kModels;
    ASSIGN_OR_RETURN(out.models, ParseModelsUri(uri));
    return out;
  }
  if (scheme == "mlflow-artifacts") return ParseMlflowArtifacts(uri);
  return UnimplementedError(fmt::format(
      "model URI '{}': scheme '{}' is not supported (use a local path, file://, s3://, runs:/, "
      "models:/ or mlflow-artifacts:/)",
      uri.substr(0, 500), scheme));
}

std::string JoinUri(std::string_view base, std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  std::string out(base);
  if (path.empty()) return out;
  if (out.empty() || out.back() != '/') out += '/';
  out += path;
  return out;
}

}  // namespace mlhub::serving
