// SPDX-License-Identifier: Apache-2.0
#include "serving/repository/model_uri.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cstdint>

#include "artifacts/artifact_path.h"
#include "common/percent_encoding.h"

namespace mlhub::serving {
namespace {

std::string Lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsBlank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// The scheme of "<scheme>:/...", "" for a plain path. Two characters at least, so that a Windows
// drive letter is never a scheme; the same rule as artifacts::CreateArtifactStore.
std::string SchemeOf(std::string_view uri) {
  const size_t colon = uri.find(':');
  if (colon == std::string_view::npos || colon < 2 || colon + 1 >= uri.size() ||
      uri[colon + 1] != '/' || !std::isalpha(static_cast<unsigned char>(uri[0]))) {
    return {};
  }
  for (size_t i = 1; i < colon; ++i) {
    const auto c = static_cast<unsigned char>(uri[i]);
    if (!std::isalnum(c) && c != '+' && c != '-' && c != '.') return {};
  }
  return Lowercase(uri.substr(0, colon));
}

Status ImproperModels(std::string_view uri) {
  return InvalidArgumentError(fmt::format(
      "Not a proper models:/ URI: {}. Models URIs must be of the form 'models:/model_name/suffix' "
      "or 'models:/model_name@alias' where suffix is a model version, stage, or the string "
      "'latest' and where alias is a registered model alias. Only one of suffix or alias can be "
      "defined at a time.",
      uri.substr(0, 500)));
}

Status ImproperRuns(std::string_view uri) {
  return InvalidArgumentError(
      fmt::format("Not a proper runs:/ URI: {}. Runs URIs must be of the form "
                  "'runs:/<run_id>/run-relative/path/to/artifact'",
                  uri.substr(0, 500)));
}

// MLflow's run ids are 32 hex characters; its validator accepts [A-Za-z0-9][\w-]{0,255}.
bool IsValidRunId(std::string_view id) {
  if (id.empty() || id.size() > 256 || !std::isalnum(static_cast<unsigned char>(id[0]))) {
    return false;
  }
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

StatusOr<ModelUri> ParseRuns(std::string_view uri) {
  std::string_view rest = uri.substr(uri.find(':') + 1);
  // runs://<profile>/... names a Databricks workspace; there is no such thing here.
  if (rest.size() < 2 || rest[0] != '/' || rest[1] == '/') return ImproperRuns(uri);
  if (rest.find_first_of("?#") != std::string_view::npos) return ImproperRuns(uri);
  rest.remove_prefix(1);
  const size_t slash = rest.find('/');
  ModelUri out;
  out.kind = ModelUri::Kind::kRuns;
  out.run_id = std::string(rest.substr(0, slash));
  if (!IsValidRunId(out.run_id)) return ImproperRuns(uri);
  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash + 1);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    // The path is appended to the run's artifact URI: it must stay inside it.
    auto normalized = artifacts::NormalizeDecodedArtifactPath(path);
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

// "file:///x", "file://localhost/x" and "file:/x" → "/x", with %XX escapes decoded once.
StatusOr<std::string> LocalPathFromFileUri(std::string_view uri) {
  const Status invalid = InvalidArgumentError(
      fmt::format("invalid file URI '{}' (expected file:///absolute/path)", uri));
  std::string_view rest = uri.substr(uri.find(':') + 1);
  if (rest.substr(0, 2) == "//") {
    rest.remove_prefix(2);
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return invalid;
    const std::string host = Lowercase(rest.substr(0, slash));
    if (!host.empty() && host != "localhost") return invalid;
    rest.remove_prefix(slash);
  }
  if (rest.empty() || rest.front() != '/' || rest.find_first_of("?#") != std::string_view::npos) {
    return invalid;
  }
  StatusOr<std::string> path = PercentDecode(rest, /*plus_is_space=*/false);
  if (!path.ok() || path->find('\0') != std::string::npos) return invalid;
  return path;
}

}  // namespace

StatusOr<ModelsRef> ParseModelsRef(std::string_view uri) {
  if (SchemeOf(uri) != "models") return ImproperModels(uri);
  std::string_view path = uri.substr(uri.find(':') + 1);
  // models://<profile>/... names a remote registry (Databricks); not served here.
  if (path.size() < 2 || path[0] != '/' || path[1] == '/') return ImproperModels(uri);
  if (path.find_first_of("?#") != std::string_view::npos) return ImproperModels(uri);
  path.remove_prefix(1);
  ModelsRef out;
  const size_t slash = path.find('/');
  if (slash != std::string_view::npos) {
    const std::string_view name = path.substr(0, slash);
    const std::string_view suffix = path.substr(slash + 1);
    if (IsBlank(name) || IsBlank(suffix) || suffix.find('/') != std::string_view::npos) {
      return ImproperModels(uri);
    }
    out.name = std::string(name);
    if (suffix.find_first_not_of("0123456789") == std::string_view::npos) {
      int64_t version = 0;
      auto [end, ec] = std::from_chars(suffix.data(), suffix.data() + suffix.size(), version);
      if (ec != std::errc() || end != suffix.data() + suffix.size()) return ImproperModels(uri);
      out.kind = ModelsRef::Kind::kVersion;
      out.version = std::to_string(version);  // "007" is version 7, as int() reads it in MLflow
    } else if (Lowercase(suffix) == "latest") {
      out.kind = ModelsRef::Kind::kLatest;
    } else {
      out.kind = ModelsRef::Kind::kStage;
      out.stage = std::string(suffix);
    }
    return out;
  }
  const size_t at = path.rfind('@');
  if (at == std::string_view::npos || IsBlank(path.substr(0, at)) || IsBlank(path.substr(at + 1))) {
    return ImproperModels(uri);
  }
  out.kind = ModelsRef::Kind::kAlias;
  out.name = std::string(path.substr(0, at));
  out.alias = std::string(path.substr(at + 1));
  return out;
}

StatusOr<ModelUri> ParseModelUri(std::string_view uri) {
  if (IsBlank(uri)) return InvalidArgumentError("model URI must not be empty");
  if (uri.find('\0') != std::string_view::npos) {
    return InvalidArgumentError("model URI contains a NUL character");
  }
  const std::string scheme = SchemeOf(uri);
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
    ASSIGN_OR_RETURN(out.models, ParseModelsRef(uri));
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
