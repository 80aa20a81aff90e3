// SPDX-License-Identifier: Apache-2.0
#include "registry/models_uri.h"

#include <charconv>

namespace mlhub::registry {
namespace {

bool IsBlank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

Status Improper(std::string_view uri) {
  return InvalidArgumentError(
      "Not a proper models:/ URI: " + std::string(uri.substr(0, 500)) +
      ". Models URIs must be of the form 'models:/model_name/suffix' or "
      "'models:/model_name@alias' where suffix is a model version, stage, or the string "
      "'latest' and where alias is a registered model alias. Only one of suffix or alias can "
      "be defined at a time.");
}

}  // namespace

StatusOr<ModelsUri> ParseModelsUri(std::string_view uri) {
  constexpr std::string_view kScheme = "models:";
  if (uri.substr(0, kScheme.size()) != kScheme) return Improper(uri);
  std::string_view path = uri.substr(kScheme.size());
  // models://<profile>/... names a remote registry (Databricks); not served here.
  if (path.size() < 2 || path[0] != '/' || path[1] == '/') return Improper(uri);
  if (path.find_first_of("?#") != std::string_view::npos) return Improper(uri);
  path.remove_prefix(1);
  ModelsUri out;
  const size_t slash = path.find('/');
  if (slash != std::string_view::npos) {
    std::string_view name = path.substr(0, slash);
    std::string_view suffix = path.substr(slash + 1);
    if (IsBlank(name) || IsBlank(suffix) || suffix.find('/') != std::string_view::npos) {
      return Improper(uri);
    }
    out.name = std::string(name);
    if (AllDigits(suffix)) {
      int64_t version = 0;
      auto [end, ec] = std::from_chars(suffix.data(), suffix.data() + suffix.size(), version);
      if (ec != std::errc() || end != suffix.data() + suffix.size()) return Improper(uri);
      out.kind = ModelsUri::Kind::kVersion;
      out.version = version;
    } else if (suffix.size() == 6 && (suffix[0] | 0x20) == 'l' && (suffix[1] | 0x20) == 'a' &&
               (suffix[2] | 0x20) == 't' && (suffix[3] | 0x20) == 'e' &&
               (suffix[4] | 0x20) == 's' && (suffix[5] | 0x20) == 't') {
      out.kind = ModelsUri::Kind::kLatest;
    } else {
      out.kind = ModelsUri::Kind::kStage;
      out.stage = std::string(suffix);
    }
    return out;
  }
  const size_t at = path.rfind('@');
  if (at == std::string_view::npos || IsBlank(path.substr(0, at)) || IsBlank(path.substr(at + 1))) {
    return Improper(uri);
  }
  out.kind = ModelsUri::Kind::kAlias;
  out.name = std::string(path.substr(0, at));
  out.alias = std::string(path.substr(at + 1));
  return out;
}

std::optional<RunsUri> ParseRunsUri(std::string_view uri) {
  constexpr std::string_view kScheme = "runs:/";
  if (uri.substr(0, kScheme.size()) != kScheme) return std::nullopt;
  std::string_view rest = uri.substr(kScheme.size());
  while (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  const size_t slash = rest.find('/');
  RunsUri out;
  out.run_id = std::string(rest.substr(0, slash));
  if (out.run_id.empty()) return std::nullopt;
  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash + 1);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    out.path = std::string(path);
  }
  return out;
}

}  // namespace mlhub::registry
