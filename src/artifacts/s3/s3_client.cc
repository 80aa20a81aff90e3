// SPDX-License-Identifier: Apache-2.0
#include "artifacts/s3/s3_client.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <pugixml.hpp>
#include <thread>

#include "common/ascii.h"

namespace mlhub::artifacts::s3 {
namespace {

// Bodies from this size on go through a curl upload buffer of this size (see Send).
constexpr size_t kBigBodyBytes = size_t{1} << 20;

std::string Str(std::string_view s) { return std::string(s); }

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

bool Truthy(std::string_view value) {
  const std::string v = AsciiLower(value);
  return v == "true" || v == "1" || v == "yes";
}

std::string XmlEscape(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (char c : in) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Base64Md5(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_md5(), nullptr);
  unsigned char encoded[64];
  const int n = EVP_EncodeBlock(encoded, digest, static_cast<int>(length));
  return std::string(reinterpret_cast<const char*>(encoded), static_cast<size_t>(n));
}

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t AppendHeader(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<std::vector<std::pair<std::string, std::string>>*>(user);
  std::string_view line(data, size * count);
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.remove_suffix(1);
    }
    headers->emplace_back(AsciiLower(line.substr(0, colon)), std::string(value));
  }
  return size * count;
}

// S3's <Error><Code>..</Code><Message>..</Message></Error>, if `body` is one.
std::pair<std::string, std::string> ErrorCodeAndMessage(std::string_view body) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) return {};
  pugi::xml_node error = doc.child("Error");
  if (!error) return {};
  return {error.child_value("Code"), error.child_value("Message")};
}

}  // namespace

// One S3 request; the body, if any, is in memory (so it can be sent again on a retry).
struct S3Client::Request {
  std::string method;
  std::string bucket;
  std::string key;
  KeyValues query;
  KeyValues headers;
  std::string_view body;
  bool sign_body = false;  // hash the body into the signature (small XML bodies)
  // Whether sending it twice is harmless: only then is it retried after a transport error (its
  // first copy may have arrived).
  bool idempotent = true;
  std::string* body_out = nullptr;  // the response body goes here instead of Response::body
};

std::optional<std::string> S3Client::Response::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

StatusOr<S3Config> S3ConfigFromEnvironment() {
  S3Config config;
  config.endpoint = Env("MLFLOW_S3_ENDPOINT_URL");
  while (!config.endpoint.empty() && config.endpoint.back() == '/') config.endpoint.pop_back();
  if (!config.endpoint.empty()) {
    const std::string lower = AsciiLower(config.endpoint);
    const size_t scheme_end = lower.find("://");
    const std::string scheme = scheme_end == std::string::npos ? "" : lower.substr(0, scheme_end);
    if ((scheme != "http" && scheme != "https") || scheme_end + 3 >= lower.size() ||
        config.endpoint.find_first_of("?#", scheme_end) != std::string::npos) {
      return InvalidArgumentError("MLFLOW_S3_ENDPOINT_URL must be http(s)://host[:port], not '" +
                                  config.endpoint + "'");
    }
    config.path_style = true;
  } else {
    config.path_style = false;
  }
  std::string region = Env("AWS_DEFAULT_REGION");
  if (region.empty()) region = Env("AWS_REGION");
  if (!region.empty()) config.region = region;
  config.credentials.access_key_id = Env("AWS_ACCESS_KEY_ID");
  config.credentials.secret_access_key = Env("AWS_SECRET_ACCESS_KEY");
  config.credentials.session_token = Env("AWS_SESSION_TOKEN");
  if (config.credentials.access_key_id.empty() || config.credentials.secret_access_key.empty()) {
    return InvalidArgumentError(
        "S3 needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment (other "
        "credential sources, such as instance profiles, are not read)");
  }
  config.verify_tls = !Truthy(Env("MLFLOW_S3_IGNORE_TLS"));
  return config;
}

StatusOr<S3Location> ParseS3Uri(std::string_view uri) {
  const std::string lower = AsciiLower(uri.substr(0, 5));
  if (lower != "s3://") {
    return InvalidArgumentError("not an s3:// URI: '" + Str(uri) + "'");
  }
  std::string_view rest = uri.substr(5);
  const size_t slash = rest.find('/');
  S3Location out;
  out.bucket = Str(rest.substr(0, slash));
  if (out.bucket.size() < 3 || out.bucket.size() > 63 ||
      out.bucket.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") != std::string::npos) {
    return InvalidArgumentError("invalid S3 bucket name in '" + Str(uri) +
                                "' (3-63 lowercase letters, digits, '.', '-')");
  }
  if (slash != std::string_view::npos) {
    std::string_view prefix = rest.substr(slash + 1);
    while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
    if (prefix.find_first_of("?#") != std::string_view::npos) {
      return InvalidArgumentError("an s3:// URI takes no query or fragment: '" + Str(uri) + "'");
    }
    out.prefix = Str(prefix);
  }
  return out;
}

S3Client::S3Client(S3Config config) : config_(std::move(config)) {
  static std::once_flag curl_init;
  std::call_once(curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

S3Client::~S3Client() {
  for (void* handle : idle_handles_) curl_easy_cleanup(static_cast<CURL*>(handle));
}

void* S3Client::TakeHandle() {
  {
    std::lock_guard<std::mutex> lock(handles_mu_);
    if (!idle_handles_.empty()) {
      void* handle = idle_handles_.back();
      idle_handles_.pop_back();
      return handle;
    }
  }
  return curl_easy_init();
}

void S3Client::GiveBack(void* handle) {
  std::lock_guard<std::mutex> lock(handles_mu_);
  idle_handles_.push_back(handle);
}

StatusOr<S3Client::Response> S3Client::SendOnce(const Request& request, bool* retryable) {
  *retryable = false;
  // Where the request goes: <endpoint>/<bucket>/<key> (path style) or
  // https://<bucket>.s3.<region>.amazonaws.com/<key>.
  std::string scheme = "https";
  std::string host;
  std::string path;
  // Bucket names with dots do not match AWS's wildcard certificate: path style for those too.
  const bool path_style =
      config_.path_style || request.bucket.find('.') != std::string::npos || request.bucket.empty();
  if (!config_.endpoint.empty()) {
    const size_t scheme_end = config_.endpoint.find("://");
    scheme = AsciiLower(config_.endpoint.substr(0, scheme_end));
    host = config_.endpoint.substr(scheme_end + 3);
    // curl leaves a default port out of Host; the signed host must match what is sent.
    const std::string default_port = scheme == "https" ? ":443" : ":80";
    if (host.size() > default_port.size() && host.ends_with(default_port)) {
      host.resize(host.size() - default_port.size());
    }
  } else {
    host = "s3." + config_.region + ".amazonaws.com";
  }
  if (path_style) {
    path = "/" + request.bucket;
    if (!request.key.empty()) path += "/" + request.key;
  } else {
    host = request.bucket + "." + host;
    path = "/" + request.key;
  }
  SigningRequest signing;
  signing.method = request.method;
  signing.host = host;
  signing.path = path;
  signing.query = request.query;
  signing.headers = request.headers;
  signing.payload_sha256 =
      request.sign_body ? Sha256Hex(request.body) : std::string(kUnsignedPayload);
  if (request.method == "GET" || request.method == "HEAD" || request.method == "DELETE") {
    signing.payload_sha256 = std::string(kEmptySha256);
  }
  const KeyValues auth = SignV4(signing, config_.credentials, config_.region, "s3",
                                AmzDate(std::chrono::system_clock::now()));

  std::string url = scheme + "://" + host + UriEncode(path, /*encode_slash=*/false);
  if (!request.query.empty()) url += "?" + CanonicalQuery(request.query);

  CURL* curl = static_cast<CURL*>(TakeHandle());
  if (curl == nullptr) return InternalError("curl_easy_init failed");
  curl_easy_reset(curl);
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    headers = curl_slist_append(headers, (name + ": " + value).c_str());
  }
  for (const auto& [name, value] : auth) {
    headers = curl_slist_append(headers, (name + ": " + value).c_str());
  }
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  Response response;
  std::string* body_out = request.body_out != nullptr ? request.body_out : &response.body;
  const size_t body_out_start = body_out->size();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::chrono::milliseconds(config_.connect_timeout).count()));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(config_.stall_timeout.count()));
  // Bigger receive buffers: fewer callbacks and system calls per MiB of object data.
  curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 1L << 20);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, body_out);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &AppendHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);
  if (!config_.verify_tls) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (request.method == "PUT" || request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
    // curl copies a body through its upload buffer, 64 KiB by default: a part of 8 MiB took 128
    // callbacks and sends. A bigger one for big bodies only: each pooled handle keeps its own.
    if (request.body.size() >= kBigBodyBytes) {
      curl_easy_setopt(curl, CURLOPT_UPLOAD_BUFFERSIZE, static_cast<long>(kBigBodyBytes));
    }
  }
  const CURLcode code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  curl_slist_free_all(headers);
  GiveBack(curl);
  if (code != CURLE_OK) {
    body_out->resize(body_out_start);
    *retryable = request.idempotent;
    return UnavailableError(fmt::format("cannot reach S3 at {}: {}", scheme + "://" + host,
                                        curl_easy_strerror(code)));
  }
  if (response.status >= 200 && response.status < 300) return response;
  // An error: its XML body went to body_out; take it back out.
  std::string error_body = body_out->substr(body_out_start);
  body_out->resize(body_out_start);
  response.body = std::move(error_body);
  const auto [error_code, message] = ErrorCodeAndMessage(response.body);
  *retryable = response.status >= 500 || error_code == "SlowDown" || error_code == "RequestTimeout";
  return response;
}

StatusOr<S3Client::Response> S3Client::Send(const Request& request,
                                            const std::function<bool(long status)>& accept) {
  std::chrono::milliseconds backoff = config_.first_backoff;
  for (int attempt = 1;; ++attempt) {
    bool retryable = false;
    StatusOr<Response> response = SendOnce(request, &retryable);
    const bool failed = !response.ok() || response->status < 200 || response->status >= 300;
    if (!failed || (response.ok() && accept && accept(response->status))) return response;
    if (retryable && attempt < config_.max_attempts) {
      std::this_thread::sleep_for(backoff);
      backoff *= 2;
      continue;
    }
    if (!response.ok()) return response.status();
    const auto [code, message] = ErrorCodeAndMessage(response->body);
    const std::string what =
        fmt::format("S3 {} s3://{}/{} failed: HTTP {}{}{}", request.method, request.bucket,
                    request.key, response->status, code.empty() ? "" : " " + code,
                    message.empty() ? "" : " (" + message + ")");
    if (code == "SignatureDoesNotMatch" || code == "InvalidAccessKeyId" ||
        code == "AccessDenied" || code == "ExpiredToken" || code == "InvalidToken" ||
        response->status == 403) {
      return PermissionDeniedError(
          what + ": the server's S3 credentials were refused (check AWS_ACCESS_KEY_ID, "
                 "AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN)");
    }
    if (code == "NoSuchBucket") {
      return FailedPreconditionError(what + ": the bucket does not exist (`mlhub storage init s3://" +
                                     request.bucket + "` creates it)");
    }
    if (code == "NoSuchKey" || code == "NoSuchUpload" || response->status == 404) {
      return NotFoundError(what);
    }
    if (response->status == 412) return AbortedError(what + ": the object changed meanwhile");
    if (response->status == 416) return OutOfRangeError(what);
    if (response->status >= 500) return UnavailableError(what);
    if (code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed" ||
        code == "IllegalLocationConstraintException" || response->status == 301) {
      return FailedPreconditionError(what + ": the bucket is in another region than " +
                                     config_.region + " (set AWS_DEFAULT_REGION)");
    }
    if (code == "KeyTooLongError") return InvalidArgumentError(what + ": the artifact path is too long");
    // Anything else S3 refuses is a request this server cannot make: a client-side error
    // (4xx) says so at once instead of a 500 the MLflow client would retry for a minute.
    return FailedPreconditionError(what);
  }
}

StatusOr<ObjectHead> S3Client::HeadObject(std::string_view bucket, std::string_view key) {
  Request request{"HEAD", Str(bucket), Str(key)};
  ASSIGN_OR_RETURN(Response response, Send(request, [](long status) { return status == 404; }));
  if (response.status == 404) return NotFoundError("no such S3 object: " + Str(key));
  const std::optional<std::string> length = response.Header("content-length");
  if (!length.has_value()) return InternalError("S3 HEAD answered no Content-Length");
  ObjectHead head;
  head.size = std::strtoll(length->c_str(), nullptr, 10);
  head.etag = response.Header("etag").value_or("");
  return head;
}

Status S3Client::GetRange(std::string_view bucket, std::string_view key, int64_t offset,
                          int64_t length, std::string_view etag, std::string* out) {
  if (length <= 0) return OkStatus();
  Request request{"GET", Str(bucket), Str(key)};
  request.headers.emplace_back("range", fmt::format("bytes={}-{}", offset, offset + length - 1));
  if (!etag.empty()) request.headers.emplace_back("if-match", Str(etag));
  request.body_out = out;
  return Send(request).status();
}

Status S3Client::PutObject(std::string_view bucket, std::string_view key, std::string_view body) {
  Request request{"PUT", Str(bucket), Str(key)};
  request.body = body;
  request.headers.emplace_back("content-type", "application/octet-stream");
  return Send(request).status();
}

StatusOr<std::string> S3Client::CreateMultipartUpload(std::string_view bucket,
                                                      std::string_view key) {
  Request request{"POST", Str(bucket), Str(key)};
  request.query = {{"uploads", ""}};
  request.headers.emplace_back("content-type", "application/octet-stream");
  // A second copy would open a second upload that nobody aborts.
  request.idempotent = false;
  ASSIGN_OR_RETURN(Response response, Send(request));
  pugi::xml_document doc;
  doc.load_buffer(response.body.data(), response.body.size());
  std::string upload_id = doc.child("InitiateMultipartUploadResult").child_value("UploadId");
  if (upload_id.empty()) return InternalError("S3 CreateMultipartUpload answered no UploadId");
  return upload_id;
}

StatusOr<std::string> S3Client::UploadPart(std::string_view bucket, std::string_view key,
                                           std::string_view upload_id, int part_number,
                                           std::string_view body) {
  Request request{"PUT", Str(bucket), Str(key)};
  request.query = {{"partNumber", std::to_string(part_number)}, {"uploadId", Str(upload_id)}};
  request.body = body;
  ASSIGN_OR_RETURN(Response response, Send(request));
  std::optional<std::string> etag = response.Header("etag");
  if (!etag.has_value()) return InternalError("S3 UploadPart answered no ETag");
  return *etag;
}

Status S3Client::CompleteMultipartUpload(std::string_view bucket, std::string_view key,
                                         std::string_view upload_id,
                                         const std::vector<std::string>& etags) {
  std::string xml = "<CompleteMultipartUpload>";
  for (size_t i = 0; i < etags.size(); ++i) {
    xml += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", i + 1,
                       XmlEscape(etags[i]));
  }
  xml += "</CompleteMultipartUpload>";
  Request request{"POST", Str(bucket), Str(key)};
  request.query = {{"uploadId", Str(upload_id)}};
  request.body = xml;
  request.sign_body = true;
  request.headers.emplace_back("content-type", "application/xml");
  StatusOr<Response> sent = Send(request);
  if (sent.status().code() == StatusCode::kNotFound) {
    // A retry after the first completion went through (and its answer was lost) finds the
    // upload gone: the object is there.
    if (HeadObject(bucket, key).ok()) return OkStatus();
  }
  ASSIGN_OR_RETURN(Response response, std::move(sent));
  // S3 may answer 200 and still fail the completion, in the body.
  const auto [code, message] = ErrorCodeAndMessage(response.body);
  if (!code.empty()) {
    return UnavailableError(fmt::format("S3 CompleteMultipartUpload of {} failed: {} ({})", key,
                                        code, message));
  }
  return OkStatus();
}

Status S3Client::AbortMultipartUpload(std::string_view bucket, std::string_view key,
                                      std::string_view upload_id) {
  Request request{"DELETE", Str(bucket), Str(key)};
  request.query = {{"uploadId", Str(upload_id)}};
  return Send(request, [](long status) { return status == 404; }).status();
}

StatusOr<ListPage> S3Client::ListObjects(std::string_view bucket, std::string_view prefix,
                                         std::string_view delimiter,
                                         const std::optional<std::string>& token) {
  Request request{"GET", Str(bucket), ""};
  request.query = {{"list-type", "2"}, {"prefix", Str(prefix)}};
  if (!delimiter.empty()) request.query.emplace_back("delimiter", Str(delimiter));
  if (token.has_value()) request.query.emplace_back("continuation-token", *token);
  ASSIGN_OR_RETURN(Response response, Send(request));
  pugi::xml_document doc;
  if (!doc.load_buffer(response.body.data(), response.body.size())) {
    return InternalError("S3 ListObjectsV2 answered malformed XML");
  }
  pugi::xml_node result = doc.child("ListBucketResult");
  ListPage page;
  for (pugi::xml_node item : result.children("Contents")) {
    page.objects.push_back(
        {item.child_value("Key"), std::strtoll(item.child_value("Size"), nullptr, 10)});
  }
  for (pugi::xml_node item : result.children("CommonPrefixes")) {
    page.common_prefixes.emplace_back(item.child_value("Prefix"));
  }
  if (std::string_view(result.child_value("IsTruncated")) == "true") {
    std::string next = result.child_value("NextContinuationToken");
    if (next.empty()) return InternalError("S3 ListObjectsV2 is truncated without a token");
    page.next_token = std::move(next);
  }
  return page;
}

Status S3Client::DeleteObjects(std::string_view bucket, const std::vector<std::string>& keys) {
  if (keys.empty()) return OkStatus();
  std::string xml = "<Delete><Quiet>true</Quiet>";
  for (const std::string& key : keys) xml += "<Object><Key>" + XmlEscape(key) + "</Key></Object>";
  xml += "</Delete>";
  Request request{"POST", Str(bucket), ""};
  request.query = {{"delete", ""}};
  request.body = xml;
  request.sign_body = true;
  request.headers.emplace_back("content-md5", Base64Md5(xml));
  request.headers.emplace_back("content-type", "application/xml");
  ASSIGN_OR_RETURN(Response response, Send(request));
  pugi::xml_document doc;
  doc.load_buffer(response.body.data(), response.body.size());
  pugi::xml_node error = doc.child("DeleteResult").child("Error");
  if (error) {
    const std::string code = error.child_value("Code");
    const std::string what = fmt::format("S3 could not delete {}: {} ({})",
                                         error.child_value("Key"), code,
                                         error.child_value("Message"));
    if (code == "AccessDenied") return PermissionDeniedError(what);
    return code == "InternalError" || code == "SlowDown" ? UnavailableError(what)
                                                          : FailedPreconditionError(what);
  }
  return OkStatus();
}

Status S3Client::CheckBucket(std::string_view bucket) {
  Request request{"HEAD", Str(bucket), ""};
  ASSIGN_OR_RETURN(Response response, Send(request, [](long status) { return status == 404; }));
  if (response.status == 404) {
    return FailedPreconditionError(fmt::format(
        "S3 bucket {} does not exist (`mlhub storage init s3://{}` creates it)", bucket, bucket));
  }
  return OkStatus();
}

Status S3Client::CreateBucket(std::string_view bucket) {
  Request request{"PUT", Str(bucket), ""};
  std::string body;
  if (config_.endpoint.empty() && config_.region != "us-east-1") {
    body = "<CreateBucketConfiguration><LocationConstraint>" + XmlEscape(config_.region) +
           "</LocationConstraint></CreateBucketConfiguration>";
  }
  request.body = body;
  request.sign_body = true;
  auto response = Send(request, [](long status) { return status == 409; });
  if (!response.ok()) return response.status();
  if (response->status == 409) {
    const auto [code, message] = ErrorCodeAndMessage(response->body);
    if (code == "BucketAlreadyOwnedByYou") return OkStatus();
    return AlreadyExistsError(fmt::format("S3 bucket {} exists and is not ours: {} ({})", bucket,
                                          code, message));
  }
  return OkStatus();
}

}  // namespace mlhub::artifacts::s3
