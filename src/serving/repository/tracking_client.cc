// SPDX-License-Identifier: Apache-2.0
#include "serving/repository/tracking_client.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "common/ascii.h"
#include "common/json_reader.h"
#include "common/json_writer.h"
#include "common/percent_encoding.h"

namespace mlhub::serving {
namespace {

constexpr std::string_view kApi = "/api/2.0/mlflow/";
constexpr std::string_view kProxy = "/api/2.0/mlflow-artifacts/artifacts";
constexpr size_t kMaxErrorBody = 64 << 10;

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// Where a response body goes: `text`, or `file` when set. Bodies of non-2xx answers go to
// `error` instead, so an error page never lands in a model file.
struct Sink {
  CURL* curl = nullptr;
  std::string* text = nullptr;
  std::FILE* file = nullptr;
  std::string error;
  bool checked = false;
  bool success = false;
  int64_t written = 0;
};

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t n = size * count;
  if (!sink->checked) {  // headers are complete before the first body byte
    long status = 0;
    curl_easy_getinfo(sink->curl, CURLINFO_RESPONSE_CODE, &status);
    sink->success = status >= 200 && status < 300;
    sink->checked = true;
  }
  if (!sink->success) {
    if (sink->error.size() < kMaxErrorBody) sink->error.append(data, n);
    return n;
  }
  sink->written += static_cast<int64_t>(n);
  if (sink->file != nullptr) return std::fwrite(data, 1, n, sink->file);
  sink->text->append(data, n);
  return n;
}

// The MLflow error body's code and message, when `body` is one.
std::pair<std::string, std::string> ErrorCodeAndMessage(std::string_view body) {
  auto doc = json::ParseJson(body);
  if (!doc.ok() || !doc->is_object()) return {};
  json::Object object = doc->get_object().value_unsafe();
  std::pair<std::string, std::string> out;
  if (auto code = json::Find(object, "error_code"); code && code->is_string()) {
    out.first = std::string(code->get_string().value_unsafe());
  }
  if (auto message = json::Find(object, "message"); message && message->is_string()) {
    out.second = std::string(message->get_string().value_unsafe());
  }
  return out;
}

Status StatusFromReply(long status, std::string_view body, std::string_view what) {
  auto [code, message] = ErrorCodeAndMessage(body);
  if (message.empty()) message = std::string(body.substr(0, 300));
  const std::string text =
      fmt::format("{}: HTTP {}{}{}", what, status, code.empty() ? "" : " " + code,
                  message.empty() ? "" : ": " + message);
  if (status == 404 || code == "RESOURCE_DOES_NOT_EXIST") return NotFoundError(text);
  if (status == 400) return InvalidArgumentError(text);
  if (status == 401) return Status(StatusCode::kUnauthenticated, text);
  if (status == 403) return PermissionDeniedError(text);
  if (status >= 500 || status == 408 || status == 429) return UnavailableError(text);
  return FailedPreconditionError(text);
}

// A required string member of a JSON object.
StatusOr<std::string> StringMember(json::Object object, std::string_view key,
                                   std::string_view what) {
  auto value = json::Find(object, key);
  if (!value || !value->is_string()) {
    return InternalError(fmt::format("{}: the answer has no string '{}'", what, key));
  }
  return std::string(value->get_string().value_unsafe());
}

StatusOr<json::Object> ObjectMember(json::Object object, std::string_view key,
                                    std::string_view what) {
  auto value = json::Find(object, key);
  if (!value || !value->is_object()) {
    return InternalError(fmt::format("{}: the answer has no object '{}'", what, key));
  }
  return value->get_object().value_unsafe();
}

StatusOr<json::Object> ParseObject(std::string_view body, std::string_view what) {
  auto doc = json::ParseJson(body);
  if (!doc.ok() || !doc->is_object()) {
    return InternalError(fmt::format("{}: the answer is not a JSON object", what));
  }
  return doc->get_object().value_unsafe();
}

}  // namespace

struct TrackingClient::Call {
  std::string method;
  std::string url;
  std::string what;            // for messages: "GET runs/get"
  std::string body;            // sent as JSON when not empty
  std::filesystem::path dest;  // download into this file instead of Reply::body
  int64_t written = 0;         // filled by SendOnce for downloads
};

void ReadTrackingAuthFromEnvironment(TrackingClientOptions* options) {
  options->token = Env("MLFLOW_TRACKING_TOKEN");
  options->username = Env("MLFLOW_TRACKING_USERNAME");
  options->password = Env("MLFLOW_TRACKING_PASSWORD");
  const std::string insecure = AsciiLower(Env("MLFLOW_TRACKING_INSECURE_TLS"));
  options->insecure_tls = insecure == "true" || insecure == "1";
}

StatusOr<std::string> NormalizeTrackingUri(std::string_view uri) {
  std::string out(uri);
  while (!out.empty() && out.back() == '/') out.pop_back();
  const std::string lower = AsciiLower(out);
  const size_t host = lower.starts_with("http://") ? 7 : lower.starts_with("https://") ? 8 : 0;
  if (host == 0 || host >= out.size() || out[host] == '/' ||
      out.find_first_of("?# ") != std::string::npos) {
    return InvalidArgumentError(fmt::format(
        "tracking URI '{}' must be http(s)://host[:port] of an MLflow tracking server", uri));
  }
  return out;
}

TrackingClient::TrackingClient(TrackingClientOptions options) : options_(std::move(options)) {
  static std::once_flag curl_init;
  std::call_once(curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

StatusOr<TrackingClient::Reply> TrackingClient::SendOnce(Call& call, bool* retryable) {
  *retryable = false;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return InternalError("curl_easy_init failed");
  Reply reply;
  Sink sink;
  sink.curl = curl;
  sink.text = &reply.body;
  if (!call.dest.empty()) {
    sink.file = std::fopen(call.dest.c_str(), "wb");
    if (sink.file == nullptr) {
      curl_easy_cleanup(curl);
      return InternalError(fmt::format("cannot create {}", call.dest.string()));
    }
  }
  curl_slist* headers = nullptr;
  if (!call.body.empty()) headers = curl_slist_append(headers, "Content-Type: application/json");
  if (!options_.token.empty()) {
    headers = curl_slist_append(headers, ("Authorization: Bearer " + options_.token).c_str());
  } else if (!options_.username.empty() && !options_.password.empty()) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERNAME, options_.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, options_.password.c_str());
  }
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  curl_easy_setopt(curl, CURLOPT_URL, call.url.c_str());
  // A tracking server behind a proxy may redirect (http → https, a moved prefix), which the
  // MLflow client (requests) follows too. curl does not send the credentials to another host.
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.stall_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  if (options_.insecure_tls) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (call.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, call.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
  }
  const CURLcode code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  bool write_failed = false;
  if (sink.file != nullptr) write_failed = std::fclose(sink.file) != 0;
  call.written = sink.written;
  if (code == CURLE_WRITE_ERROR || write_failed) {
    return InternalError(fmt::format("{}: cannot write {}", call.what, call.dest.string()));
  }
  if (code != CURLE_OK) {
    *retryable = true;
    return UnavailableError(fmt::format("{}: cannot reach the tracking server at {}: {}", call.what,
                                        options_.base_url, curl_easy_strerror(code)));
  }
  if (reply.status < 200 || reply.status >= 300) {
    reply.body = std::move(sink.error);
    *retryable = reply.status >= 500 || reply.status == 408 || reply.status == 429;
  }
  return reply;
}

StatusOr<TrackingClient::Reply> TrackingClient::Send(Call& call) {
  std::chrono::milliseconds backoff = options_.first_backoff;
  for (int attempt = 1;; ++attempt) {
    bool retryable = false;
    StatusOr<Reply> reply = SendOnce(call, &retryable);
    if (!retryable || attempt >= options_.max_attempts) {
      Status error = !reply.ok() ? reply.status()
                     : reply->status < 200 || reply->status >= 300
                         ? StatusFromReply(reply->status, reply->body, call.what)
                         : OkStatus();
      if (error.ok()) return reply;
      if (retryable && attempt > 1) {
        return UnavailableError(fmt::format("{} (after {} attempts)", error.message(), attempt));
      }
      return error;
    }
    std::this_thread::sleep_for(backoff);
    backoff *= 2;
  }
}

StatusOr<std::string> TrackingClient::CallJson(std::string_view method, std::string_view route,
                                               std::string_view query, std::string_view json_body) {
  Call call;
  call.method = std::string(method);
  call.url =
      fmt::format("{}{}{}{}{}", options_.base_url, kApi, route, query.empty() ? "" : "?", query);
  call.what = fmt::format("{} {}", method, route);
  call.body = std::string(json_body);
  ASSIGN_OR_RETURN(Reply reply, Send(call));
  return std::move(reply.body);
}

StatusOr<std::string> TrackingClient::RunInfoField(std::string_view run_id,
                                                   std::string_view field) {
  ASSIGN_OR_RETURN(std::string body,
                   CallJson("GET", "runs/get", "run_id=" + PercentEncode(run_id, false), ""));
  const std::string what = fmt::format("run {}", run_id);
  ASSIGN_OR_RETURN(json::Object root, ParseObject(body, what));
  ASSIGN_OR_RETURN(json::Object run, ObjectMember(root, "run", what));
  ASSIGN_OR_RETURN(json::Object info, ObjectMember(run, "info", what));
  return StringMember(info, field, what);
}

StatusOr<std::string> TrackingClient::GetRunArtifactUri(std::string_view run_id) {
  return RunInfoField(run_id, "artifact_uri");
}

StatusOr<std::string> TrackingClient::GetLoggedModelArtifactUri(std::string_view model_id) {
  // The id is checked by ParseModelsUri (m- and hex digits): safe in a path as it is.
  ASSIGN_OR_RETURN(std::string body,
                   CallJson("GET", "logged-models/" + std::string(model_id), "", ""));
  const std::string what = fmt::format("logged model {}", model_id);
  ASSIGN_OR_RETURN(json::Object root, ParseObject(body, what));
  ASSIGN_OR_RETURN(json::Object model, ObjectMember(root, "model", what));
  ASSIGN_OR_RETURN(json::Object info, ObjectMember(model, "info", what));
  return StringMember(info, "artifact_uri", what);
}

StatusOr<std::string> TrackingClient::FindRunLoggedModel(std::string_view run_id,
                                                         std::string_view name) {
  // Quotes cannot be escaped in MLflow's filter grammar; such a name has no logged model here.
  if (name.find_first_of("'\"") != std::string_view::npos) {
    return NotFoundError(fmt::format("no logged model '{}' of run {}", name, run_id));
  }
  ASSIGN_OR_RETURN(std::string experiment_id, RunInfoField(run_id, "experiment_id"));
  std::string request;
  JsonWriter w(&request);
  w.StartObject().Key("experiment_ids").StartArray().String(experiment_id).EndArray();
  w.Field("filter", fmt::format("name = '{}' AND source_run_id = '{}'", name, run_id));
  w.Field("max_results", int64_t{1}).EndObject();
  ASSIGN_OR_RETURN(std::string body, CallJson("POST", "logged-models/search", "", request));
  const std::string found = fmt::format("logged models of run {}", run_id);
  ASSIGN_OR_RETURN(json::Object root, ParseObject(body, found));
  if (auto models = json::Find(root, "models")) {
    ASSIGN_OR_RETURN(json::Array array, json::AsArray(*models, "models"));
    for (json::Element element : array) {
      ASSIGN_OR_RETURN(json::Object model, json::AsObject(element, "models[]"));
      ASSIGN_OR_RETURN(json::Object model_info, ObjectMember(model, "info", found));
      return StringMember(model_info, "artifact_uri", found);
    }
  }
  return NotFoundError(fmt::format("no logged model '{}' of run {}", name, run_id));
}

StatusOr<std::string> TrackingClient::ResolveVersion(const ModelsUri& ref) {
  const std::string name = "name=" + PercentEncode(ref.name, false);
  if (ref.kind == ModelsUri::Kind::kVersion || ref.kind == ModelsUri::Kind::kAlias) {
    const bool alias = ref.kind == ModelsUri::Kind::kAlias;
    const std::string what = alias ? fmt::format("alias '{}' of model '{}'", ref.alias, ref.name)
                                   : fmt::format("version {} of model '{}'", ref.version, ref.name);
    StatusOr<std::string> answer =
        alias ? CallJson("GET", "registered-models/alias",
                         name + "&alias=" + PercentEncode(ref.alias, false), "")
              : CallJson("GET", "model-versions/get",
                         name + "&version=" + std::to_string(ref.version), "");
    // MLflow answers a missing alias with 400 INVALID_PARAMETER_VALUE ("Registered model alias
    // X not found."), not 404; for a model URI it is a missing thing all the same.
    if (alias && answer.status().code() == StatusCode::kInvalidArgument &&
        answer.status().message().find("not found") != std::string::npos) {
      return NotFoundError(answer.status().message());
    }
    ASSIGN_OR_RETURN(std::string body, std::move(answer));
    ASSIGN_OR_RETURN(json::Object root, ParseObject(body, what));
    ASSIGN_OR_RETURN(json::Object version, ObjectMember(root, "model_version", what));
    auto number = json::Find(version, "version");
    if (!number) return InternalError(what + ": the answer has no version");
    ASSIGN_OR_RETURN(int64_t n, json::AsInt64(*number, "version"));  // a string or a number
    return std::to_string(n);
  }
  // latest and stages, as MLflow's client resolves them: the highest version number among the
  // latest versions of the stage (or of every stage).
  std::string request;
  JsonWriter w(&request);
  w.StartObject().Field("name", ref.name);
  if (ref.kind == ModelsUri::Kind::kStage)
    w.Key("stages").StartArray().String(ref.stage).EndArray();
  w.EndObject();
  ASSIGN_OR_RETURN(std::string body,
                   CallJson("POST", "registered-models/get-latest-versions", "", request));
  const std::string what = fmt::format("latest versions of model '{}'", ref.name);
  ASSIGN_OR_RETURN(json::Object root, ParseObject(body, what));
  int64_t best = -1;
  if (auto versions = json::Find(root, "model_versions")) {
    ASSIGN_OR_RETURN(json::Array array, json::AsArray(*versions, "model_versions"));
    for (json::Element element : array) {
      ASSIGN_OR_RETURN(json::Object version, json::AsObject(element, "model_versions[]"));
      auto number = json::Find(version, "version");
      if (!number) return InternalError(what + ": a version without a number");
      ASSIGN_OR_RETURN(int64_t n, json::AsInt64(*number, "version"));
      best = std::max(best, n);
    }
  }
  if (best < 0) {
    return NotFoundError(
        ref.kind == ModelsUri::Kind::kStage
            ? fmt::format("model '{}' has no version in stage '{}'", ref.name, ref.stage)
            : fmt::format("model '{}' has no versions", ref.name));
  }
  return std::to_string(best);
}

StatusOr<std::vector<std::string>> TrackingClient::ModelsWithAlias(std::string_view alias) {
  std::vector<std::string> names;
  std::string page_token;
  const std::string what = "registered-models/search";
  do {
    std::string query = "max_results=1000";
    if (!page_token.empty()) query += "&page_token=" + PercentEncode(page_token, false);
    ASSIGN_OR_RETURN(std::string body, CallJson("GET", "registered-models/search", query, ""));
    ASSIGN_OR_RETURN(json::Object root, ParseObject(body, what));
    if (auto models = json::Find(root, "registered_models")) {
      ASSIGN_OR_RETURN(json::Array array, json::AsArray(*models, "registered_models"));
      for (json::Element element : array) {
        ASSIGN_OR_RETURN(json::Object model, json::AsObject(element, "registered_models[]"));
        ASSIGN_OR_RETURN(std::string name, StringMember(model, "name", what));
        auto aliases = json::Find(model, "aliases");
        if (!aliases) continue;
        ASSIGN_OR_RETURN(json::Array list, json::AsArray(*aliases, "aliases"));
        for (json::Element entry : list) {
          ASSIGN_OR_RETURN(json::Object pair, json::AsObject(entry, "aliases[]"));
          ASSIGN_OR_RETURN(std::string value, StringMember(pair, "alias", what));
          if (value == alias) {
            names.push_back(name);
            break;
          }
        }
      }
    }
    page_token.clear();
    if (auto token = json::Find(root, "next_page_token"); token && token->is_string()) {
      page_token = std::string(token->get_string().value_unsafe());
    }
  } while (!page_token.empty());
  return names;
}

StatusOr<std::string> TrackingClient::GetDownloadUri(std::string_view name,
                                                     std::string_view version) {
  ASSIGN_OR_RETURN(std::string body, CallJson("GET", "model-versions/get-download-uri",
                                              "name=" + PercentEncode(name, false) +
                                                  "&version=" + PercentEncode(version, false),
                                              ""));
  const std::string what = fmt::format("download URI of version {} of model '{}'", version, name);
  ASSIGN_OR_RETURN(json::Object root, ParseObject(body, what));
  return StringMember(root, "artifact_uri", what);
}

StatusOr<std::vector<ProxyEntry>> TrackingClient::ListArtifacts(std::string_view path) {
  Call call;
  call.method = "GET";
  call.url = fmt::format("{}{}?path={}", options_.base_url, kProxy, PercentEncode(path, false));
  call.what = fmt::format("GET mlflow-artifacts list of '{}'", path);
  ASSIGN_OR_RETURN(Reply reply, Send(call));
  ASSIGN_OR_RETURN(json::Object root, ParseObject(reply.body, call.what));
  std::vector<ProxyEntry> out;
  auto files = json::Find(root, "files");
  if (!files) return out;  // a missing or empty directory answers {}
  ASSIGN_OR_RETURN(json::Array array, json::AsArray(*files, "files"));
  for (json::Element element : array) {
    ASSIGN_OR_RETURN(json::Object file, json::AsObject(element, "files[]"));
    ProxyEntry entry;
    ASSIGN_OR_RETURN(entry.name, StringMember(file, "path", call.what));
    if (auto is_dir = json::Find(file, "is_dir")) {
      ASSIGN_OR_RETURN(entry.is_dir, json::AsBool(*is_dir, "is_dir"));
    }
    if (auto size = json::Find(file, "file_size"); size && !entry.is_dir) {
      ASSIGN_OR_RETURN(entry.file_size, json::AsInt64(*size, "file_size"));
    }
    out.push_back(std::move(entry));
  }
  return out;
}

Status TrackingClient::DownloadArtifact(std::string_view path, const std::filesystem::path& dest,
                                        int64_t expected_size) {
  Call call;
  call.method = "GET";
  call.url = fmt::format("{}{}/{}", options_.base_url, kProxy, PercentEncode(path, true));
  call.what = fmt::format("GET mlflow-artifacts file '{}'", path);
  call.dest = dest;
  RETURN_IF_ERROR(Send(call).status());
  if (expected_size >= 0 && call.written != expected_size) {
    return Status(StatusCode::kDataLoss, fmt::format("{}: received {} bytes, the listing said {}",
                                                     call.what, call.written, expected_size));
  }
  return OkStatus();
}

}  // namespace mlhub::serving
