// SPDX-License-Identifier: Apache-2.0
#include "common/model_uris.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <optional>

#include "common/uri.h"
#include "common/utf8.h"

namespace mlhub {
namespace {

bool IsBlank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

bool IsLatest(std::string_view s) {
  constexpr std::string_view kLatest = "latest";
  if (s.size() != kLatest.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != kLatest[i]) return false;
  }
  return true;
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

Status ImproperModels(std::string_view uri) {
  return InvalidArgumentError(fmt::format(
      "Not a proper models:/ URI: {}. Models URIs must be of the form 'models:/model_name/suffix' "
      "or 'models:/model_name@alias' where suffix is a model version, stage, or the string "
      "'latest' and where alias is a registered model alias. Only one of suffix or alias can be "
      "defined at a time.",
      Utf8Prefix(uri, 500)));
}

Status ImproperRuns(std::string_view uri) {
  return InvalidArgumentError(
      fmt::format("Not a proper runs:/ URI: {}. Runs URIs must be of the form "
                  "'runs:/<run_id>/run-relative/path/to/artifact'",
                  Utf8Prefix(uri, 500)));
}

// What follows "<scheme>:/" when `uri` has `scheme`, exactly one slash (a second one would start
// an authority: a Databricks profile) and no query or fragment; nullopt otherwise.
std::optional<std::string_view> SchemePath(std::string_view uri, std::string_view scheme) {
  if (UriScheme(uri) != scheme) return std::nullopt;
  std::string_view path = uri.substr(scheme.size() + 1);
  if (path.size() < 2 || path[0] != '/' || path[1] == '/') return std::nullopt;
  if (path.find_first_of("?#") != std::string_view::npos) return std::nullopt;
  return path.substr(1);
}

}  // namespace

// The ids MLflow 3 gives logged models: "m-" and a uuid4's 32 hex digits.
bool IsLoggedModelId(std::string_view s) {
  if (s.size() != 34 || !s.starts_with("m-")) return false;
  return s.substr(2).find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

StatusOr<ModelsUri> ParseModelsUri(std::string_view uri) {
  const std::optional<std::string_view> path = SchemePath(uri, "models");
  if (!path) return ImproperModels(uri);
  ModelsUri out;
  const size_t slash = path->find('/');
  if (slash != std::string_view::npos) {
    const std::string_view name = path->substr(0, slash);
    const std::string_view suffix = path->substr(slash + 1);
    if (IsBlank(name) || IsBlank(suffix) || suffix.find('/') != std::string_view::npos) {
      return ImproperModels(uri);
    }
    out.name = std::string(name);
    if (suffix.find_first_not_of("0123456789") == std::string_view::npos) {
      auto [end, ec] = std::from_chars(suffix.data(), suffix.data() + suffix.size(), out.version);
      if (ec != std::errc() || end != suffix.data() + suffix.size()) return ImproperModels(uri);
      out.kind = ModelsUri::Kind::kVersion;
    } else if (IsLatest(suffix)) {
      out.kind = ModelsUri::Kind::kLatest;
    } else {
      out.kind = ModelsUri::Kind::kStage;
      out.stage = std::string(suffix);
    }
    return out;
  }
  if (IsLoggedModelId(*path)) {
    out.kind = ModelsUri::Kind::kLoggedModel;
    out.model_id = std::string(*path);
    return out;
  }
  const size_t at = path->rfind('@');
  if (at == std::string_view::npos || IsBlank(path->substr(0, at)) ||
      IsBlank(path->substr(at + 1))) {
    return ImproperModels(uri);
  }
  out.kind = ModelsUri::Kind::kAlias;
  out.name = std::string(path->substr(0, at));
  out.alias = std::string(path->substr(at + 1));
  return out;
}

StatusOr<RunsUri> ParseRunsUri(std::string_view uri) {
  const std::optional<std::string_view> rest = SchemePath(uri, "runs");
  if (!rest) return ImproperRuns(uri);
  const size_t slash = rest->find('/');
  RunsUri out;
  out.run_id = std::string(rest->substr(0, slash));
  if (!IsValidRunId(out.run_id)) return ImproperRuns(uri);
  if (slash != std::string_view::npos) {
    std::string_view path = rest->substr(slash + 1);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    out.path = std::string(path);
  }
  return out;
}

}  // namespace mlhub
