// SPDX-License-Identifier: Apache-2.0
#include "auth/authorizer.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <vector>

#include "auth/password.h"
#include "common/json_reader.h"
#include "common/json_writer.h"
#include "common/model_uris.h"
#include "common/percent_encoding.h"
#include "rest/mlflow_error.h"
#include "rest/page_token.h"
#include "rest/request_fields.h"

namespace mlhub::auth {
namespace {

using http::Method;

constexpr std::string_view kApiPrefixes[] = {"/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/",
                                             "/api/3.0/mlflow/", "/ajax-api/3.0/mlflow/",
                                             "/api/2.0/mlhub/",  "/ajax-api/2.0/mlhub/"};
constexpr std::string_view kArtifactPrefixes[] = {"/api/2.0/mlflow-artifacts/artifacts",
                                                  "/ajax-api/2.0/mlflow-artifacts/artifacts"};

// Where a route's resource comes from.
enum class Source { kExperimentId, kRunId, kExperimentName, kModelName };

struct Rule {
  Method method;
  std::string_view op;  // the path after the API prefix
  Source source;
  Need need;
};

// MLflow's basic-auth validators, route by route. Routes not listed need only a signed-in user:
// creating experiments and models (the creator then gets MANAGE), searches (filtered), users.
constexpr Rule kRules[] = {
    {Method::kGet, "experiments/get", Source::kExperimentId, Need::kRead},
    {Method::kGet, "experiments/get-by-name", Source::kExperimentName, Need::kRead},
    {Method::kPost, "experiments/update", Source::kExperimentId, Need::kUpdate},
    {Method::kPost, "experiments/set-experiment-tag", Source::kExperimentId, Need::kUpdate},
    {Method::kPost, "experiments/delete", Source::kExperimentId, Need::kDelete},
    {Method::kPost, "experiments/restore", Source::kExperimentId, Need::kDelete},
    {Method::kPost, "runs/create", Source::kExperimentId, Need::kUpdate},
    {Method::kGet, "runs/get", Source::kRunId, Need::kRead},
    {Method::kPost, "runs/update", Source::kRunId, Need::kUpdate},
    {Method::kPost, "runs/delete", Source::kRunId, Need::kDelete},
    {Method::kPost, "runs/restore", Source::kRunId, Need::kDelete},
    {Method::kPost, "runs/log-metric", Source::kRunId, Need::kUpdate},
    {Method::kPost, "runs/log-parameter", Source::kRunId, Need::kUpdate},
    {Method::kPost, "runs/set-tag", Source::kRunId, Need::kUpdate},
    {Method::kPost, "runs/delete-tag", Source::kRunId, Need::kUpdate},
    {Method::kPost, "runs/log-batch", Source::kRunId, Need::kUpdate},
    {Method::kPost, "runs/log-model", Source::kRunId, Need::kUpdate},
    {Method::kPost, "runs/log-inputs", Source::kRunId, Need::kUpdate},
    {Method::kPost, "runs/outputs", Source::kRunId, Need::kUpdate},
    {Method::kPost, "logged-models", Source::kExperimentId, Need::kUpdate},
    {Method::kGet, "metrics/get-history", Source::kRunId, Need::kRead},
    {Method::kGet, "metrics/get-history-downsampled", Source::kRunId, Need::kRead},
    {Method::kGet, "artifacts/list", Source::kRunId, Need::kRead},
    {Method::kGet, "registered-models/get", Source::kModelName, Need::kRead},
    {Method::kPost, "registered-models/rename", Source::kModelName, Need::kUpdate},
    {Method::kPatch, "registered-models/update", Source::kModelName, Need::kUpdate},
    {Method::kDelete, "registered-models/delete", Source::kModelName, Need::kDelete},
    {Method::kPost, "registered-models/set-tag", Source::kModelName, Need::kUpdate},
    {Method::kDelete, "registered-models/delete-tag", Source::kModelName, Need::kUpdate},
    {Method::kPost, "registered-models/alias", Source::kModelName, Need::kUpdate},
    {Method::kDelete, "registered-models/alias", Source::kModelName, Need::kDelete},
    {Method::kGet, "registered-models/alias", Source::kModelName, Need::kRead},
    {Method::kGet, "registered-models/get-latest-versions", Source::kModelName, Need::kRead},
    {Method::kPost, "registered-models/get-latest-versions", Source::kModelName, Need::kRead},
    {Method::kPost, "model-versions/create", Source::kModelName, Need::kUpdate},
    {Method::kGet, "model-versions/get", Source::kModelName, Need::kRead},
    {Method::kPatch, "model-versions/update", Source::kModelName, Need::kUpdate},
    {Method::kPost, "model-versions/transition-stage", Source::kModelName, Need::kUpdate},
    {Method::kDelete, "model-versions/delete", Source::kModelName, Need::kDelete},
    {Method::kPost, "model-versions/set-tag", Source::kModelName, Need::kUpdate},
    {Method::kDelete, "model-versions/delete-tag", Source::kModelName, Need::kDelete},
    {Method::kGet, "model-versions/get-download-uri", Source::kModelName, Need::kRead},
    {Method::kGet, "model-versions/resolve", Source::kModelName, Need::kRead},
    {Method::kPost, "experiments/permissions/create", Source::kExperimentId, Need::kManage},
    {Method::kGet, "experiments/permissions/get", Source::kExperimentId, Need::kManage},
    {Method::kPatch, "experiments/permissions/update", Source::kExperimentId, Need::kManage},
    {Method::kDelete, "experiments/permissions/delete", Source::kExperimentId, Need::kManage},
    {Method::kPost, "registered-models/permissions/create", Source::kModelName, Need::kManage},
    {Method::kGet, "registered-models/permissions/get", Source::kModelName, Need::kManage},
    {Method::kPatch, "registered-models/permissions/update", Source::kModelName, Need::kManage},
    {Method::kDelete, "registered-models/permissions/delete", Source::kModelName, Need::kManage},
};

http::Response Unauthenticated() {
  http::Response response = http::Response::Text(
      401,
      "You are not authenticated. Send HTTP Basic credentials (the MLflow client sends "
      "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD).");
  response.headers.emplace_back("WWW-Authenticate", "Basic realm=\"mlflow\"");
  return response;
}

http::Response Forbidden() { return http::Response::Text(403, "Permission denied"); }

constexpr std::string_view kLoggedModelPrefix = "logged-models/";

// The route's operation (e.g. "runs/get"), or empty for a path outside the JSON API.
std::string_view OperationOf(std::string_view path) {
  for (std::string_view prefix : kApiPrefixes) {
    if (path.starts_with(prefix)) return path.substr(prefix.size());
  }
  return {};
}

bool IsArtifactPath(std::string_view path) {
  for (std::string_view prefix : kArtifactPrefixes) {
    if (path.starts_with(prefix)) return true;
  }
  return false;
}

bool IsProtected(std::string_view path) {
  return path.starts_with("/api/") || path.starts_with("/ajax-api/") || path == "/metrics";
}

// "Basic base64(user:password)" -> (user, password).
std::optional<std::pair<std::string, std::string>> BasicCredentials(const http::Request& request) {
  auto header = request.Header("authorization");
  if (!header || header->size() < 6 || strncasecmp(header->data(), "Basic ", 6) != 0) {
    return std::nullopt;
  }
  std::string_view encoded = header->substr(6);
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  if (encoded.empty() || encoded.size() > 4096 || encoded.size() % 4 != 0) return std::nullopt;
  std::string decoded(encoded.size() / 4 * 3, '\0');
  int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                               reinterpret_cast<const unsigned char*>(encoded.data()),
                               static_cast<int>(encoded.size()));
  if (length < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  for (size_t pad = encoded.size(); pad > 0 && encoded[pad - 1] == '='; --pad) --length;
  decoded.resize(static_cast<size_t>(length));
  size_t colon = decoded.find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::make_pair(decoded.substr(0, colon), decoded.substr(colon + 1));
}

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[32];
  unsigned int length = sizeof(out);
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length);
  return std::string(reinterpret_cast<char*>(out), length);
}

}  // namespace

Authorizer::Authorizer(AuthStore* store, AuthConfig config, ResourceLookups lookups)
    : store_(store), config_(config), lookups_(std::move(lookups)), cache_key_(32, '\0') {
  RAND_bytes(reinterpret_cast<unsigned char*>(cache_key_.data()),
             static_cast<int>(cache_key_.size()));
}

std::optional<User> Authorizer::Authenticate(const http::Request& request) {
  auto credentials = BasicCredentials(request);
  if (!credentials) return std::nullopt;
  auto user = store_->GetUser(credentials->first);
  if (!user.ok()) return std::nullopt;
  const std::string mac = Hmac(cache_key_, credentials->second);
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = verified_.find(user->username);
    if (it != verified_.end() && it->second.first == user->password_hash &&
        it->second.second == mac) {
      return *user;
    }
  }
  if (!VerifyPassword(credentials->second, user->password_hash)) return std::nullopt;
  std::lock_guard<std::mutex> lock(cache_mu_);
  verified_[user->username] = {user->password_hash, mac};
  return *user;
}

StatusOr<Permission> Authorizer::PermissionOf(const User& user, ResourceKind kind,
                                              std::string_view resource) {
  if (user.is_admin) return Permission::kManage;
  ASSIGN_OR_RETURN(std::optional<Permission> held, store_->FindPermission(kind, resource, user.id));
  return held.value_or(config_.default_permission);
}

std::optional<http::Response> Authorizer::Before(http::Request& request) {
  if (!IsProtected(request.path)) return std::nullopt;
  std::optional<User> user = Authenticate(request);
  if (!user) return Unauthenticated();
  request.user = user->username;
  return Authorize(request, *user);
}

std::optional<http::Response> Authorizer::Authorize(http::Request& request, const User& user) {
  if (user.is_admin) return std::nullopt;
  auto check = [&](ResourceKind kind, std::string_view resource,
                   Need need) -> std::optional<http::Response> {
    auto permission = PermissionOf(user, kind, resource);
    if (!permission.ok()) return rest::ErrorResponse(permission.status());
    if (!Allows(*permission, need)) return Forbidden();
    return std::nullopt;
  };

  // HEAD is answered by the GET route, so it needs what GET needs.
  const Method method = request.method == Method::kHead ? Method::kGet : request.method;
  if (IsArtifactPath(request.path)) {
    // mlflow-artifacts paths start with the experiment id: <experiment>/<run>/artifacts/...
    std::string_view rest = request.path_suffix;
    if (method == Method::kGet && rest.empty()) {
      rest = request.query.Get("path").value_or("");
    }
    std::string experiment(rest.substr(0, rest.find('/')));
    Need need = method == Method::kGet   ? Need::kRead
                : method == Method::kPut ? Need::kUpdate
                                         : Need::kDelete;
    if (experiment.empty()) return check(ResourceKind::kExperiment, "", need);
    return check(ResourceKind::kExperiment, experiment, need);
  }

  std::string_view op = OperationOf(request.path);
  if (op.empty()) return std::nullopt;  // /metrics: any signed-in user
  const Rule* rule = nullptr;
  for (const Rule& candidate : kRules) {
    if (candidate.method == method && candidate.op == op) rule = &candidate;
  }
  if (op.starts_with(kLoggedModelPrefix) && op != "logged-models/search") {
    return AuthorizeLoggedModel(method, user, op.substr(kLoggedModelPrefix.size()));
  }
  if (op == "traces" || op.starts_with("traces/")) return AuthorizeTrace(request, method, user, op);
  // Searches over experiments the request names: only the readable ones are searched.
  const bool runs_search =
      (op == "runs/search" || op == "logged-models/search") && request.method == Method::kPost;
  // Routes without a check (creates, other searches) need no look at the request's fields.
  if (rule == nullptr && !runs_search && !op.starts_with("users/")) return std::nullopt;
  auto fields = rest::RequestFields::FromRequest(request);
  if (!fields.ok()) return std::nullopt;  // the handler answers the malformed request

  if (op.starts_with("users/")) {
    // Admins passed already; a user may read and change only their own account.
    bool self_service = op == "users/get" || op == "users/update-password";
    auto username = fields->String("username");
    if (self_service && username.ok() && *username == user.username) return std::nullopt;
    return Forbidden();
  }
  if (runs_search) {
    // Only the experiments the caller may read are searched.
    auto ids = fields->StringList("experiment_ids");
    if (!ids.ok()) return std::nullopt;
    std::vector<std::string> readable;
    for (const std::string& id : *ids) {
      auto permission = PermissionOf(user, ResourceKind::kExperiment, id);
      if (permission.ok() && Allows(*permission, Need::kRead)) readable.push_back(id);
    }
    if (readable.size() == ids->size()) return std::nullopt;
    if (readable.empty()) return http::Response::Json(200, "{}");
    // The request again, with the readable experiments only (other fields as they were).
    std::string body;
    JsonWriter w(&body);
    w.StartObject().Key("experiment_ids").StartArray();
    for (const std::string& id : readable) w.String(id);
    w.EndArray();
    for (auto field : *fields->json()) {
      if (field.key == "experiment_ids") continue;
      w.Key(field.key).Raw(simdjson::to_string(field.value));
    }
    w.EndObject();
    request.body = std::move(body);
    return std::nullopt;
  }

  // Everything else is a route with a rule: the permission it needs on its resource.
  std::string resource;
  ResourceKind kind = ResourceKind::kExperiment;
  switch (rule->source) {
    case Source::kExperimentId: {
      auto id = fields->String("experiment_id");
      if (!id.ok() || !id->has_value()) return std::nullopt;  // the handler says what's missing
      resource = std::string(**id);
      break;
    }
    case Source::kRunId: {
      auto run = fields->String("run_id");
      if (run.ok() && (!run->has_value() || (*run)->empty())) run = fields->String("run_uuid");
      if (!run.ok() || !run->has_value()) return std::nullopt;
      auto experiment = lookups_.experiment_of_run(**run);
      if (!experiment.ok()) return rest::ErrorResponse(experiment.status());
      resource = *std::move(experiment);
      break;
    }
    case Source::kExperimentName: {
      auto name = fields->String("experiment_name");
      if (!name.ok() || !name->has_value()) return std::nullopt;
      auto experiment = lookups_.experiment_by_name(**name);
      if (!experiment.ok()) return rest::ErrorResponse(experiment.status());
      resource = *std::move(experiment);
      break;
    }
    case Source::kModelName: {
      auto name = fields->String("name");
      if (!name.ok() || !name->has_value()) return std::nullopt;
      resource = std::string(**name);
      kind = ResourceKind::kRegisteredModel;
      break;
    }
  }
  if (auto denied = check(kind, resource, rule->need)) return denied;
  if (op == "model-versions/create") {
    // A version made from a logged model hands out the model's files: the caller must be able
    // to read it, i.e. its experiment.
    std::string model_id;
    if (auto id = fields->String("model_id"); id.ok() && id->has_value()) model_id = **id;
    auto source = fields->String("source");
    constexpr std::string_view kModels = "models:/";
    if (model_id.empty() && source.ok() && source->has_value() && (*source)->starts_with(kModels) &&
        IsLoggedModelId((*source)->substr(kModels.size()))) {
      model_id = std::string((*source)->substr(kModels.size()));
    }
    if (!model_id.empty()) {
      auto experiment = lookups_.experiment_of_logged_model(model_id);
      if (experiment.status().code() == StatusCode::kNotFound) return std::nullopt;  // a 400
      if (!experiment.ok()) return rest::ErrorResponse(experiment.status());
      return check(ResourceKind::kExperiment, *experiment, Need::kRead);
    }
  }
  return std::nullopt;
}

// logged-models/<id>[/...]: the permission on the model's experiment, by method (MLflow's
// basic-auth app: read to get, update to change, delete to delete the model itself).
std::optional<http::Response> Authorizer::AuthorizeLoggedModel(Method method, const User& user,
                                                               std::string_view rest) {
  const std::string_view model_id = rest.substr(0, rest.find('/'));
  // As MLflow's basic-auth app: deleting the model or one of its tags needs delete.
  Need need = Need::kUpdate;
  if (method == Method::kGet) need = Need::kRead;
  if (method == Method::kDelete) need = Need::kDelete;
  auto experiment = lookups_.experiment_of_logged_model(model_id);
  if (experiment.status().code() == StatusCode::kNotFound) return std::nullopt;  // handler's 404
  if (!experiment.ok()) return rest::ErrorResponse(experiment.status());
  auto permission = PermissionOf(user, ResourceKind::kExperiment, *experiment);
  if (!permission.ok()) return rest::ErrorResponse(permission.status());
  if (!Allows(*permission, need)) return Forbidden();
  return std::nullopt;
}

namespace {

std::string StringField(json::Object object, std::string_view key) {
  auto value = json::Find(object, key);
  if (!value) return "";
  auto text = json::AsString(*value, key);
  return text.ok() ? std::string(*text) : "";
}

// One page of a search answer, read up to `limit` entries that `keep` accepts: those entries
// (JSON text), how many entries were looked at to find them, how many the page has, and its
// next_page_token ("" for the last page).
struct SearchPage {
  std::vector<std::string> kept;
  size_t consumed = 0;
  size_t size = 0;
  std::string next_token;
};

std::optional<SearchPage> ReadPage(std::string_view body, std::string_view key, size_t limit,
                                   const std::function<bool(json::Object)>& keep) {
  auto root = json::ParseJson(body);
  if (!root.ok()) return std::nullopt;
  auto object = json::AsObject(*root, "response");
  if (!object.ok()) return std::nullopt;
  SearchPage page;
  if (auto entries = json::Find(*object, key)) {
    auto array = json::AsArray(*entries, key);
    if (!array.ok()) return std::nullopt;
    for (json::Element element : *array) {
      ++page.size;
      if (page.kept.size() == limit) continue;
      ++page.consumed;
      auto entry = json::AsObject(element, key);
      if (entry.ok() && keep(*entry)) page.kept.push_back(simdjson::to_string(element));
    }
  }
  page.next_token = StringField(*object, "next_page_token");
  return page;
}

// A search answer as the routes write it: no array when empty, no token on the last page.
std::string PageBody(std::string_view key, const std::vector<std::string>& entries,
                     std::string_view next_token) {
  std::string out;
  JsonWriter w(&out);
  w.StartObject();
  if (!entries.empty()) {
    w.Key(key).StartArray();
    for (const std::string& entry : entries) w.Raw(entry);
    w.EndArray();
  }
  if (!next_token.empty()) w.Field("next_page_token", next_token);
  w.EndObject();
  return out;
}

// `request` asking for the page at `token` instead, of at most `max_results` entries; its other
// fields (filter, order, view type) unchanged, in the query string or the JSON body it came in.
std::optional<http::Request> PageRequest(const http::Request& request, std::string_view token,
                                         size_t max_results) {
  // The paging fields in every spelling QueryParams accepts (`k`, `k[]`, `k[N]`).
  const auto paging = [](std::string_view name) {
    for (std::string_view key : {std::string_view("page_token"), std::string_view("max_results")}) {
      if (name == key || (name.starts_with(key) && name.size() > key.size() &&
                          name[key.size()] == '[' && name.back() == ']')) {
        return true;
      }
    }
    return false;
  };
  http::Request next = request;
  if (request.method == Method::kGet || request.method == Method::kHead) {
    std::string query;
    for (const auto& [name, value] : request.query.entries()) {
      if (!paging(name))
        query += PercentEncode(name, false) + "=" + PercentEncode(value, false) + "&";
    }
    query +=
        "page_token=" + PercentEncode(token, false) + "&max_results=" + std::to_string(max_results);
    auto parsed = http::QueryParams::Parse(query);
    if (!parsed.ok()) return std::nullopt;
    next.query = *std::move(parsed);
    next.target = request.path + "?" + query;
    return next;
  }
  const bool blank = request.body.find_first_not_of(" \t\r\n") == std::string::npos;
  auto root = json::ParseJson(blank ? std::string_view("{}") : std::string_view(request.body));
  if (!root.ok()) return std::nullopt;
  auto object = json::AsObject(*root, "request");
  if (!object.ok()) return std::nullopt;
  next.body.clear();
  JsonWriter w(&next.body);
  w.StartObject();
  for (auto field : *object) {
    if (!paging(field.key)) w.Key(field.key).Raw(simdjson::to_string(field.value));
  }
  w.Field("page_token", token).Field("max_results", static_cast<int64_t>(max_results));
  w.EndObject();
  return next;
}

// Cuts the search answer in `response` down to the entries `keep` accepts, then fills it from the
// pages after it, as MLflow's basic-auth app does, so that max_results still means a full page
// when there are enough readable entries. A page with a next token is a full one; follow-ups ask
// for pages of at least kFollowUpPage entries, and when one fills the answer part-way, the token
// given back points just after the last entry looked at (page tokens are offsets). After
// kMaxScanned entries the page is answered as it is (short, with its token): one request by a
// user who may read little must not walk the whole store. A follow-up that fails ends the
// filling: the token then leads to the page it asked for. An answer that cannot be read shows
// nothing rather than everything.
constexpr size_t kFollowUpPage = 100;
constexpr size_t kMaxScanned = 10000;

void FillReadablePage(const http::Request& request, http::Response& response,
                      const http::Handler& again, std::string_view key,
                      const std::function<bool(json::Object)>& keep) {
  std::optional<SearchPage> page = ReadPage(response.body, key, SIZE_MAX, keep);
  if (!page) {
    response.body = PageBody(key, {}, "");
    return;
  }
  const size_t want = page->size;
  std::vector<std::string> kept = std::move(page->kept);
  std::string token = std::move(page->next_token);
  size_t scanned = page->size;
  while (kept.size() < want && !token.empty() && scanned < kMaxScanned) {
    StatusOr<int64_t> offset = rest::DecodePageToken(token);
    std::optional<http::Request> next = PageRequest(request, token, std::max(want, kFollowUpPage));
    if (!offset.ok() || !next) break;
    http::Response more = again(*next);
    if (more.status != 200) break;
    std::optional<SearchPage> more_page = ReadPage(more.body, key, want - kept.size(), keep);
    if (!more_page) break;
    for (std::string& entry : more_page->kept) kept.push_back(std::move(entry));
    scanned += more_page->consumed;
    token = more_page->consumed < more_page->size
                ? rest::EncodePageToken(*offset + static_cast<int64_t>(more_page->consumed))
                : std::move(more_page->next_token);
    if (more_page->size == 0) break;
  }
  response.body = PageBody(key, kept, token);
}

// A string field of a request, or "" (absent or malformed).
std::string FieldOr(const rest::RequestFields& fields, std::string_view key) {
  auto value = fields.String(key);
  return value.ok() && value->has_value() ? std::string(**value) : std::string();
}

}  // namespace

void Authorizer::After(const http::Request& request, http::Response& response,
                       const http::Handler& again) {
  if (request.user.empty() || response.status != 200 || response.stream) return;
  std::string_view op = OperationOf(request.path);
  constexpr std::string_view kFollowUps[] = {"experiments/create",       "registered-models/create",
                                             "registered-models/rename", "registered-models/delete",
                                             "experiments/search",       "registered-models/search",
                                             "model-versions/search"};
  if (std::find(std::begin(kFollowUps), std::end(kFollowUps), op) == std::end(kFollowUps)) return;
  auto user = store_->GetUser(request.user);
  if (!user.ok()) {
    // Searches must not answer unfiltered: a user gone since Before, or a store that failed.
    if (op.ends_with("/search")) {
      response = rest::ErrorResponse(
          UnavailableError("cannot check the caller's permissions: " + user.status().message()));
    }
    return;
  }

  auto grant_manage = [&](ResourceKind kind, const std::string& resource) {
    if (resource.empty()) return;
    auto granted = store_->CreatePermission(kind, resource, user->username, Permission::kManage);
    if (!granted.ok() && granted.status().code() != StatusCode::kAlreadyExists) {
      spdlog::error("auth: cannot grant {} MANAGE on {}: {}", user->username, resource,
                    granted.status().message());
    }
  };
  if (op == "experiments/create") {
    auto root = json::ParseJson(response.body);
    if (!root.ok()) return;
    auto object = json::AsObject(*root, "response");
    if (object.ok()) grant_manage(ResourceKind::kExperiment, StringField(*object, "experiment_id"));
    return;
  }
  if (op == "registered-models/create" || op == "registered-models/rename" ||
      op == "registered-models/delete") {
    auto fields = rest::RequestFields::FromRequest(request);
    if (!fields.ok()) return;
    std::string name = FieldOr(*fields, "name");
    if (op == "registered-models/create") return grant_manage(ResourceKind::kRegisteredModel, name);
    // Permissions are kept by name: they follow a rename and go with the model, so a new model
    // of the old name starts clean.
    if (op == "registered-models/delete") {
      (void)store_->DeleteModelPermissions(name);
      return;
    }
    std::string new_name = FieldOr(*fields, "new_name");
    (void)store_->RenameModelPermissions(name, new_name);
    return;
  }
  if (user->is_admin) return;

  // Searches answer only what the caller may read.
  auto readable = [&](ResourceKind kind, const std::string& resource) {
    auto permission = PermissionOf(*user, kind, resource);
    return permission.ok() && Allows(*permission, Need::kRead);
  };
  if (op == "experiments/search") {
    FillReadablePage(request, response, again, "experiments", [&](json::Object e) {
      return readable(ResourceKind::kExperiment, StringField(e, "experiment_id"));
    });
  } else if (op == "registered-models/search") {
    FillReadablePage(request, response, again, "registered_models", [&](json::Object m) {
      return readable(ResourceKind::kRegisteredModel, StringField(m, "name"));
    });
  } else if (op == "model-versions/search") {
    FillReadablePage(request, response, again, "model_versions", [&](json::Object v) {
      return readable(ResourceKind::kRegisteredModel, StringField(v, "name"));
    });
  }
}

}  // namespace mlhub::auth
