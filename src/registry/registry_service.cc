// SPDX-License-Identifier: Apache-2.0
#include "registry/registry_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <system_error>

#include "common/ascii.h"
#include "common/model_uris.h"
#include "common/percent_encoding.h"
#include "common/utf8.h"
#include "tracking/search_filter.h"
#include "tracking/validation.h"

namespace mlhub::registry {
namespace {

constexpr size_t kMaxAliasLength = 255;

Status ValidateModelName(std::string_view name) {
  if (name.empty()) {
    return InvalidArgumentError("Missing value for required parameter 'name'.");
  }
  return OkStatus();
}

Status ValidateTag(const store::Tag& tag) { return tracking::ValidateRunTag(tag); }

bool IsAliasChar(unsigned char c) {
  // Python's \w (Unicode word characters) or '-': ASCII letters, digits and '_', and any
  // non-ASCII byte of a UTF-8 letter.
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c >= 0x80;
}

Status ValidateAlias(std::string_view alias) {
  if (alias.empty()) return InvalidArgumentError("Registered model alias name cannot be empty.");
  if (!std::all_of(alias.begin(), alias.end(), [](char c) { return IsAliasChar(c); })) {
    return InvalidArgumentError(
        fmt::format("Invalid alias name: '{}'. Names may only contain alphanumerics, underscores "
                    "(_), and dashes (-).",
                    Utf8Prefix(alias, 300)));
  }
  if (alias.size() > kMaxAliasLength) {
    return InvalidArgumentError(fmt::format(
        "Registered model alias name '{}' had length {}, which exceeded length limit of {}",
        Utf8Prefix(alias, 300), alias.size(), kMaxAliasLength));
  }
  if (EqualsIgnoreCase(alias, "latest")) {
    return InvalidArgumentError("'latest' alias name (case insensitive) is reserved.");
  }
  if (alias.size() > 1 && (alias[0] == 'v' || alias[0] == 'V') &&
      std::all_of(alias.begin() + 1, alias.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return InvalidArgumentError(fmt::format("Version alias name '{}' is reserved.", alias));
  }
  return OkStatus();
}

StatusOr<int64_t> ParseVersion(std::string_view text) {
  int64_t version = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), version);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || version < 0) {
    return InvalidArgumentError(
        fmt::format("Model version must be an integer, got '{}'", Utf8Prefix(text, 100)));
  }
  return version;
}

// "scheme:" of a URI, lower-cased; "" for a plain path.
std::string SchemeOf(std::string_view uri) {
  size_t i = 0;
  while (i < uri.size() && (std::isalnum(static_cast<unsigned char>(uri[i])) || uri[i] == '+' ||
                            uri[i] == '-' || uri[i] == '.')) {
    ++i;
  }
  if (i == 0 || i >= uri.size() || uri[i] != ':' ||
      !std::isalpha(static_cast<unsigned char>(uri[0]))) {
    return "";
  }
  return AsciiLower(uri.substr(0, i));
}

bool IsLocal(std::string_view uri) {
  const std::string scheme = SchemeOf(uri);
  return scheme.empty() || scheme == "file";
}

// Decodes the well-formed %XX escapes of `in` and keeps anything else as it is (as Python's
// urllib.parse.unquote, which MLflow checks sources with).
std::string LenientPercentDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (IsPercentEscapeAt(in, i)) {
      out.push_back(static_cast<char>(HexDigitValue(in[i + 1]) * 16 + HexDigitValue(in[i + 2])));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

// Whether `text`, percent-decoded any number of times, has a ".." path segment.
bool HasParentSegment(std::string_view text) {
  std::string current(text);
  for (int round = 0; round < 10; ++round) {
    size_t begin = 0;
    while (begin <= current.size()) {
      size_t end = current.find_first_of("/\\", begin);
      if (end == std::string::npos) end = current.size();
      if (std::string_view(current).substr(begin, end - begin) == "..") return true;
      begin = end + 1;
    }
    std::string decoded = LenientPercentDecode(current);
    if (decoded == current) return false;
    current = std::move(decoded);
  }
  return true;  // still decoding after 10 rounds: refuse rather than guess
}

// The path of a local URI (file:///x -> /x, x -> x).
std::string LocalPath(std::string_view uri) {
  if (SchemeOf(uri) == "file") {
    uri.remove_prefix(5);
    if (uri.substr(0, 2) == "//") {
      uri.remove_prefix(2);
      const size_t slash = uri.find('/');
      uri = slash == std::string_view::npos ? std::string_view() : uri.substr(slash);
    }
  }
  return std::string(uri);
}

// `path` made absolute against the working directory, lexically normalised ("" stays "").
std::string AbsolutePath(const std::string& path) {
  if (path.empty()) return path;
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  if (ec) return path;
  return absolute.lexically_normal().string();
}

// Whether `path` lies at or under `dir` (both absolute, without ".." segments).
bool IsWithin(std::string path, std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

// The store's query for a search request: MLflow's page limits, the parsed filter and order.
StatusOr<store::RegistryQuery> ParseQuery(tracking::SearchEntity entity,
                                          const RegistrySearchRequest& request,
                                          int64_t default_results, int64_t max_results) {
  store::RegistryQuery query;
  query.max_results = request.max_results.value_or(default_results);
  RETURN_IF_ERROR(tracking::ValidateMaxResults(query.max_results, max_results));
  ASSIGN_OR_RETURN(query.filter, tracking::ParseFilter(entity, request.filter));
  ASSIGN_OR_RETURN(query.order_by, tracking::ParseOrderBy(entity, request.order_by));
  RETURN_IF_ERROR(tracking::CheckSearchSize(query.filter, query.order_by));
  query.offset = request.offset;
  return query;
}

}  // namespace

StatusOr<std::string> CanonicalStage(std::string_view stage) {
  for (const char* canonical :
       {store::kStageNone, store::kStageStaging, store::kStageProduction, store::kStageArchived}) {
    std::string_view name = canonical;
    if (EqualsIgnoreCase(name, stage)) {
      return std::string(name);
    }
  }
  return InvalidArgumentError(
      fmt::format("Invalid Model Version stage: {}. Value must be one of None, Staging, "
                  "Production, Archived.",
                  Utf8Prefix(stage, 100)));
}

StatusOr<store::RegisteredModel> RegistryService::CreateRegisteredModel(
    std::string_view name, std::string_view description, std::vector<store::Tag> tags) {
  RETURN_IF_ERROR(ValidateModelName(name));
  for (const store::Tag& tag : tags) RETURN_IF_ERROR(ValidateTag(tag));
  store::NewRegisteredModel model;
  model.name = std::string(name);
  model.description = std::string(description);
  model.tags = std::move(tags);
  model.now = clock_.NowMillis();
  return store_.CreateRegisteredModel(model);
}

StatusOr<store::RegisteredModel> RegistryService::GetRegisteredModel(std::string_view name) {
  RETURN_IF_ERROR(ValidateModelName(name));
  return store_.GetRegisteredModel(name);
}

StatusOr<store::RegisteredModel> RegistryService::RenameRegisteredModel(std::string_view name,
                                                                        std::string_view new_name) {
  RETURN_IF_ERROR(ValidateModelName(name));
  if (new_name.empty()) {
    return InvalidArgumentError("Missing value for required parameter 'new_name'.");
  }
  return store_.RenameRegisteredModel(name, new_name, clock_.NowMillis());
}

StatusOr<store::RegisteredModel> RegistryService::UpdateRegisteredModel(
    std::string_view name, std::string_view description) {
  RETURN_IF_ERROR(ValidateModelName(name));
  return store_.UpdateRegisteredModel(name, description, clock_.NowMillis());
}

Status RegistryService::DeleteRegisteredModel(std::string_view name) {
  RETURN_IF_ERROR(ValidateModelName(name));
  return store_.DeleteRegisteredModel(name);
}

StatusOr<store::RegisteredModelPage> RegistryService::SearchRegisteredModels(
    const RegistrySearchRequest& request) {
  ASSIGN_OR_RETURN(store::RegistryQuery query,
                   ParseQuery(tracking::SearchEntity::kRegisteredModels, request,
                              kDefaultModelSearchResults, kMaxModelSearchResults));
  return store_.SearchRegisteredModels(query);
}

StatusOr<std::vector<store::ModelVersion>> RegistryService::GetLatestVersions(
    std::string_view name, const std::vector<std::string>& stages) {
  RETURN_IF_ERROR(ValidateModelName(name));
  std::vector<std::string> canonical;
  for (const std::string& stage : stages) {
    ASSIGN_OR_RETURN(std::string s, CanonicalStage(stage));
    if (std::find(canonical.begin(), canonical.end(), s) == canonical.end()) {
      canonical.push_back(std::move(s));
    }
  }
  return store_.GetLatestVersions(name, canonical);
}

Status RegistryService::SetRegisteredModelTag(std::string_view name, const store::Tag& tag) {
  RETURN_IF_ERROR(ValidateModelName(name));
  RETURN_IF_ERROR(ValidateTag(tag));
  return store_.SetRegisteredModelTag(name, tag);
}

Status RegistryService::DeleteRegisteredModelTag(std::string_view name, std::string_view key) {
  RETURN_IF_ERROR(ValidateModelName(name));
  RETURN_IF_ERROR(tracking::ValidateKey("tag", key));
  return store_.DeleteRegisteredModelTag(name, key);
}

Status RegistryService::SetAlias(std::string_view name, std::string_view alias,
                                 std::string_view version) {
  RETURN_IF_ERROR(ValidateModelName(name));
  RETURN_IF_ERROR(ValidateAlias(alias));
  ASSIGN_OR_RETURN(int64_t number, ParseVersion(version));
  return store_.SetAlias(name, alias, number);
}

Status RegistryService::DeleteAlias(std::string_view name, std::string_view alias) {
  RETURN_IF_ERROR(ValidateModelName(name));
  RETURN_IF_ERROR(ValidateAlias(alias));
  return store_.DeleteAlias(name, alias);
}

StatusOr<store::ModelVersion> RegistryService::GetVersionByAlias(std::string_view name,
                                                                 std::string_view alias) {
  RETURN_IF_ERROR(ValidateModelName(name));
  RETURN_IF_ERROR(ValidateAlias(alias));
  StatusOr<store::ModelVersion> found = store_.GetVersionByAlias(name, alias);
  if (found.status().code() == StatusCode::kNotFound) {
    // MLflow looks only the alias up, and calls a missing one (of any model) a bad parameter.
    return InvalidArgumentError(fmt::format("Registered model alias {} not found.", alias));
  }
  return found;
}

StatusOr<store::ModelVersion> RegistryService::CreateModelVersion(CreateVersionRequest request) {
  RETURN_IF_ERROR(ValidateModelName(request.name));
  if (request.source.empty()) {
    return InvalidArgumentError("Missing value for required parameter 'source'.");
  }
  for (const store::Tag& tag : request.tags) RETURN_IF_ERROR(ValidateTag(tag));
  // MLflow 3's prompt registry keeps prompts as versions with a placeholder source
  // ("dummy-source") and this tag; MLflow checks no source then.
  const bool is_prompt =
      std::any_of(request.tags.begin(), request.tags.end(),
                  [](const store::Tag& tag) { return tag.key == "mlflow.prompt.is_prompt"; });
  if (is_prompt) {
    // nothing to check: the source names no files
  } else if (IsLocal(request.source)) {
    // A local path is accepted only inside the artifact directory of the run it comes from.
    bool inside = false;
    if (!request.run_id.empty()) {
      ASSIGN_OR_RETURN(store::Run run, tracking_.GetRun(request.run_id));
      // Relative paths (a relative --default-artifact-root) are compared as absolute ones, as
      // MLflow resolves both.
      const std::string source = AbsolutePath(LocalPath(request.source));
      const std::string run_dir = AbsolutePath(LocalPath(run.info.artifact_uri));
      inside = IsLocal(run.info.artifact_uri) && !source.empty() &&
               !HasParentSegment(request.source) && IsWithin(source, run_dir);
    }
    if (!inside) {
      return InvalidArgumentError(fmt::format(
          "Invalid model version source: '{}'. To use a local path as a model version source, "
          "the run_id request parameter has to be specified and the local path has to be "
          "contained within the artifact directory of the run specified by the run_id.",
          request.source));
    }
  } else if (HasParentSegment(request.source) ||
             request.source.find_first_of("?#") != std::string::npos) {
    return InvalidArgumentError(fmt::format(
        "Invalid model version source: '{}'. If supplying a source as an http, https, local "
        "file path, ftp, objectstore, or mlflow-artifacts uri, an absolute path must be provided "
        "without relative path references present. Please provide an absolute path.",
        request.source));
  }
  // MLflow 3 registers a logged model: `models:/<model id>` as the source, and its id. The
  // version's files are then the model's.
  constexpr std::string_view kLoggedModelSource = "models:/m-";
  if (request.model_id.empty() && request.source.starts_with(kLoggedModelSource) &&
      request.source.find('/', kLoggedModelSource.size()) == std::string::npos) {
    request.model_id = request.source.substr(sizeof("models:/") - 1);
  }
  std::string storage_location;
  if (!request.model_id.empty()) {
    StatusOr<store::LoggedModel> model = tracking_.GetLoggedModel(request.model_id);
    if (model.status().code() == StatusCode::kNotFound) {
      return InvalidArgumentError(fmt::format(
          "Invalid model version source: the logged model '{}' does not exist.", request.model_id));
    }
    RETURN_IF_ERROR(model.status());
    storage_location = model->artifact_location;
  }
  store::NewModelVersion version;
  version.name = std::move(request.name);
  version.model_id = std::move(request.model_id);
  version.storage_location = std::move(storage_location);
  version.source = std::move(request.source);
  version.run_id = std::move(request.run_id);
  version.run_link = std::move(request.run_link);
  version.description = std::move(request.description);
  version.tags = std::move(request.tags);
  version.now = clock_.NowMillis();
  return store_.CreateModelVersion(version);
}

StatusOr<store::ModelVersion> RegistryService::GetModelVersion(std::string_view name,
                                                               std::string_view version) {
  RETURN_IF_ERROR(ValidateModelName(name));
  ASSIGN_OR_RETURN(int64_t number, ParseVersion(version));
  return store_.GetModelVersion(name, number);
}

StatusOr<store::ModelVersion> RegistryService::UpdateModelVersion(std::string_view name,
                                                                  std::string_view version,
                                                                  std::string_view description) {
  RETURN_IF_ERROR(ValidateModelName(name));
  ASSIGN_OR_RETURN(int64_t number, ParseVersion(version));
  return store_.UpdateModelVersion(name, number, description, clock_.NowMillis());
}

StatusOr<store::ModelVersion> RegistryService::TransitionStage(std::string_view name,
                                                               std::string_view version,
                                                               std::string_view stage,
                                                               bool archive_existing) {
  RETURN_IF_ERROR(ValidateModelName(name));
  ASSIGN_OR_RETURN(int64_t number, ParseVersion(version));
  ASSIGN_OR_RETURN(std::string canonical, CanonicalStage(stage));
  const bool active = canonical == store::kStageStaging || canonical == store::kStageProduction;
  if (archive_existing && !active) {
    return InvalidArgumentError(fmt::format(
        "Model version transition cannot archive existing model versions because '{}' is not "
        "an Active stage. Valid stages are Staging, Production",
        canonical));
  }
  return store_.TransitionStage(name, number, canonical, archive_existing, clock_.NowMillis());
}

Status RegistryService::DeleteModelVersion(std::string_view name, std::string_view version) {
  RETURN_IF_ERROR(ValidateModelName(name));
  ASSIGN_OR_RETURN(int64_t number, ParseVersion(version));
  return store_.DeleteModelVersion(name, number, clock_.NowMillis());
}

StatusOr<store::ModelVersionPage> RegistryService::SearchModelVersions(
    const RegistrySearchRequest& request) {
  ASSIGN_OR_RETURN(store::RegistryQuery query,
                   ParseQuery(tracking::SearchEntity::kModelVersions, request,
                              kDefaultVersionSearchResults, kMaxVersionSearchResults));
  return store_.SearchModelVersions(query);
}

Status RegistryService::SetModelVersionTag(std::string_view name, std::string_view version,
                                           const store::Tag& tag) {
  RETURN_IF_ERROR(ValidateModelName(name));
  ASSIGN_OR_RETURN(int64_t number, ParseVersion(version));
  RETURN_IF_ERROR(ValidateTag(tag));
  return store_.SetModelVersionTag(name, number, tag);
}

Status RegistryService::DeleteModelVersionTag(std::string_view name, std::string_view version,
                                              std::string_view key) {
  RETURN_IF_ERROR(ValidateModelName(name));
  ASSIGN_OR_RETURN(int64_t number, ParseVersion(version));
  RETURN_IF_ERROR(tracking::ValidateKey("tag", key));
  return store_.DeleteModelVersionTag(name, number, key);
}

StatusOr<std::string> RegistryService::GetDownloadUri(std::string_view name,
                                                      std::string_view version) {
  ASSIGN_OR_RETURN(store::ModelVersion found, GetModelVersion(name, version));
  return found.storage_location.empty() ? found.source : found.storage_location;
}

StatusOr<ResolvedModel> RegistryService::Resolve(std::string_view models_uri) {
  ASSIGN_OR_RETURN(ModelsUri uri, ParseModelsUri(models_uri));
  ResolvedModel out;
  switch (uri.kind) {
    case ModelsUri::Kind::kLoggedModel:
      return InvalidArgumentError(fmt::format(
          "'{}' names a logged model, not a model version (get it with logged-models/{})",
          models_uri, uri.model_id));
    case ModelsUri::Kind::kVersion: {
      ASSIGN_OR_RETURN(out.version, store_.GetModelVersion(uri.name, uri.version));
      break;
    }
    case ModelsUri::Kind::kAlias: {
      RETURN_IF_ERROR(ValidateAlias(uri.alias));
      ASSIGN_OR_RETURN(out.version, store_.GetVersionByAlias(uri.name, uri.alias));
      break;
    }
    case ModelsUri::Kind::kStage:
    case ModelsUri::Kind::kLatest: {
      std::vector<std::string> stages;
      if (uri.kind == ModelsUri::Kind::kStage) stages.push_back(uri.stage);
      ASSIGN_OR_RETURN(std::vector<store::ModelVersion> latest,
                       GetLatestVersions(uri.name, stages));
      if (latest.empty()) {
        return NotFoundError(
            uri.kind == ModelsUri::Kind::kStage
                ? fmt::format("No versions of model with name '{}' and stage '{}' found", uri.name,
                              uri.stage)
                : fmt::format("No versions of model with name '{}' found", uri.name));
      }
      out.version =
          *std::max_element(latest.begin(), latest.end(),
                            [](const auto& a, const auto& b) { return a.version < b.version; });
      break;
    }
  }
  out.artifact_uri = out.version.source;
  if (!out.version.storage_location.empty()) {
    out.artifact_uri = out.version.storage_location;
  } else if (SchemeOf(out.version.source) == "runs") {
    ASSIGN_OR_RETURN(RunsUri runs, ParseRunsUri(out.version.source));
    ASSIGN_OR_RETURN(store::Run run, tracking_.GetRun(runs.run_id));
    out.artifact_uri = run.info.artifact_uri;
    if (!runs.path.empty()) {
      while (!out.artifact_uri.empty() && out.artifact_uri.back() == '/')
        out.artifact_uri.pop_back();
      out.artifact_uri += "/" + runs.path;
    }
  }
  return out;
}

}  // namespace mlhub::registry
