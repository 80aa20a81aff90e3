// SPDX-License-Identifier: Apache-2.0
// The proxied artifact API, `/api/2.0/mlflow-artifacts/artifacts/<path>`: streamed upload (PUT),
// streamed download (GET), listing (GET ...artifacts?path=) and DELETE. Paths are validated before
// any byte is read or written; a path that would leave the artifact root is a 400 and touches
// nothing.
#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "artifacts/artifact_path.h"
#include "common/json_writer.h"
#include "rest/mlflow_error.h"
#include "tracking/api/tracking_routes.h"

namespace mlhub::tracking::api {

using rest::ErrorResponse;
namespace {

using http::Method;

constexpr std::string_view kPrefixes[] = {"/api/2.0/mlflow-artifacts/artifacts",
                                          "/ajax-api/2.0/mlflow-artifacts/artifacts"};

std::string_view BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string_view GuessMimeType(std::string_view name) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".json", "application/json"}, {".txt", "text/plain"},     {".log", "text/plain"},
      {".yaml", "text/plain"},       {".yml", "text/plain"},     {".md", "text/plain"},
      {".csv", "text/csv"},          {".html", "text/html"},     {".png", "image/png"},
      {".jpg", "image/jpeg"},        {".jpeg", "image/jpeg"},    {".gif", "image/gif"},
      {".svg", "image/svg+xml"},     {".pdf", "application/pdf"}};
  for (const auto& [extension, type] : kTypes) {
    if (name.size() > extension.size() && name.ends_with(extension)) return type;
  }
  return "application/octet-stream";
}

// Streams `remaining` bytes of a reader.
class ArtifactBodySource final : public http::BodySource {
 public:
  ArtifactBodySource(std::unique_ptr<artifacts::ArtifactReader> reader, uint64_t remaining)
      : reader_(std::move(reader)), remaining_(remaining) {}
  StatusOr<size_t> Read(char* buffer, size_t capacity) override {
    if (remaining_ == 0) return size_t{0};
    ASSIGN_OR_RETURN(size_t n, reader_->Read(buffer, std::min<uint64_t>(capacity, remaining_)));
    remaining_ -= n;
    return n;
  }
  bool lends() const override { return reader_->lends(); }
  StatusOr<std::string_view> Lend(size_t max) override {
    if (remaining_ == 0) return std::string_view();
    ASSIGN_OR_RETURN(std::string_view piece, reader_->Lend(std::min<uint64_t>(max, remaining_)));
    remaining_ -= piece.size();
    return piece;
  }

 private:
  std::unique_ptr<artifacts::ArtifactReader> reader_;
  uint64_t remaining_;
};

// A single `Range: bytes=...` of a file of `size` bytes: [first, last].
struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;
};

std::optional<uint64_t> ParseDigits(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

// nullopt: serve the whole file (no Range, or one this server ignores, as RFC 9110 allows:
// several ranges, other units, malformed). An unsatisfiable range is kOutOfRange.
StatusOr<std::optional<ByteRange>> ParseRange(std::optional<std::string_view> header,
                                              uint64_t size) {
  if (!header.has_value()) return std::optional<ByteRange>();
  std::string_view spec = *header;
  if (spec.substr(0, 6) != "bytes=" || spec.find(',') != std::string_view::npos) {
    return std::optional<ByteRange>();
  }
  spec.remove_prefix(6);
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return std::optional<ByteRange>();
  const std::string_view from = spec.substr(0, dash);
  const std::string_view to = spec.substr(dash + 1);
  ByteRange range;
  if (from.empty()) {  // the last N bytes
    std::optional<uint64_t> suffix = ParseDigits(to);
    if (!suffix.has_value()) return std::optional<ByteRange>();
    if (*suffix == 0 || size == 0) return OutOfRangeError("unsatisfiable range");
    range.first = size - std::min(*suffix, size);
    range.last = size - 1;
    return std::optional<ByteRange>(range);
  }
  std::optional<uint64_t> first = ParseDigits(from);
  std::optional<uint64_t> last = to.empty() ? first : ParseDigits(to);
  if (!first.has_value() || !last.has_value() || *last < *first) {
    return std::optional<ByteRange>();
  }
  if (*first >= size) return OutOfRangeError("unsatisfiable range");
  if (to.empty()) last = size - 1;
  range.first = *first;
  range.last = std::min(*last, size - 1);
  return std::optional<ByteRange>(range);
}

class ArtifactUploadSink final : public http::BodySink {
 public:
  explicit ArtifactUploadSink(std::unique_ptr<artifacts::ArtifactWriter> writer)
      : writer_(std::move(writer)) {}
  Status Write(std::string_view chunk) override { return writer_->Write(chunk); }
  http::Response Finish() override {
    Status status = writer_->Commit();
    if (!status.ok()) return ErrorResponse(status);
    return http::Response::Json(200, "{}");
  }
  void Abort() override { writer_->Abort(); }

 private:
  std::unique_ptr<artifacts::ArtifactWriter> writer_;
};

// The artifact path from the URL after `.../artifacts/`, still percent-encoded on input. A further
// leading '/' makes it absolute, which validation rejects.
StatusOr<std::string> PathFromSuffix(std::string_view suffix) {
  ASSIGN_OR_RETURN(std::string path, artifacts::NormalizeArtifactPath(suffix));
  if (path.empty()) return InvalidArgumentError("An artifact path is required.");
  return path;
}

http::Response Download(artifacts::ArtifactStore& store, const http::Request& request) {
  auto path = PathFromSuffix(request.path_suffix);
  if (!path.ok()) return ErrorResponse(path.status());
  auto reader = store.OpenForRead(*path);
  if (!reader.ok()) return ErrorResponse(reader.status());
  http::Response response;
  std::string_view name = BaseName(*path);
  response.content_type = std::string(GuessMimeType(name));
  response.headers.emplace_back("Content-Disposition",
                                fmt::format("attachment; filename={}", name));
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Accept-Ranges", "bytes");
  const uint64_t size = (*reader)->size();
  auto range = ParseRange(request.Header("range"), size);
  if (!range.ok()) {
    http::Response unsatisfiable = http::Response::Text(416, "Requested range not satisfiable");
    unsatisfiable.headers.emplace_back("Content-Range", fmt::format("bytes */{}", size));
    return unsatisfiable;
  }
  uint64_t length = size;
  if (range->has_value()) {
    const ByteRange& r = **range;
    length = r.last - r.first + 1;
    Status selected = (*reader)->Select(r.first, length);
    if (!selected.ok()) return ErrorResponse(selected);
    response.status = 206;
    response.headers.emplace_back("Content-Range",
                                  fmt::format("bytes {}-{}/{}", r.first, r.last, size));
  }
  response.content_length = length;
  response.stream = std::make_unique<ArtifactBodySource>(std::move(reader).value(), length);
  return response;
}

http::Response List(artifacts::ArtifactStore& store, const http::Request& request) {
  auto path = artifacts::NormalizeDecodedArtifactPath(request.query.Get("path").value_or(""));
  if (!path.ok()) return ErrorResponse(path.status());
  auto files = store.List(*path);
  if (!files.ok()) return ErrorResponse(files.status());
  std::string body;
  JsonWriter w(&body);
  w.StartObject();
  if (!files->empty()) {
    w.Key("files").StartArray();
    for (const auto& file : *files) {
      w.StartObject().Field("path", BaseName(file.path)).Field("is_dir", file.is_dir);
      if (!file.is_dir) w.Field("file_size", file.file_size);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  return http::Response::Json(200, std::move(body));
}

http::Response Delete(artifacts::ArtifactStore& store, const http::Request& request) {
  auto path = PathFromSuffix(request.path_suffix);
  if (!path.ok()) return ErrorResponse(path.status());
  Status status = store.Delete(*path);
  if (!status.ok()) return ErrorResponse(status);
  return http::Response::Json(200, "{}");
}

}  // namespace

StatusOr<std::string> ArtifactListingJson(artifacts::ArtifactStore& store,
                                          std::string_view root_uri, std::string_view path) {
  std::string body;
  JsonWriter w(&body);
  w.StartObject().Field("root_uri", root_uri);
  // A root outside this server's artifact store (a client-side s3:// root, say) lists nothing.
  auto root = artifacts::RunArtifactPathFromUri(root_uri);
  if (root.ok()) {
    ASSIGN_OR_RETURN(std::string relative, artifacts::NormalizeDecodedArtifactPath(path));
    std::string dir = relative.empty() ? *root : *root + "/" + relative;
    ASSIGN_OR_RETURN(std::vector<artifacts::FileInfo> files, store.List(dir));
    if (!files.empty()) {
      w.Key("files").StartArray();
      for (const auto& file : files) {
        w.StartObject().Field("path", std::string_view(file.path).substr(root->size() + 1));
        w.Field("is_dir", file.is_dir);
        if (!file.is_dir) w.Field("file_size", file.file_size);
        w.EndObject();
      }
      w.EndArray();
    }
  }
  w.EndObject();
  return body;
}

void AddArtifactProxyRoutes(http::Router& router, artifacts::ArtifactStore& store) {
  for (std::string_view base : kPrefixes) {
    std::string prefix = std::string(base) + "/";
    router.Add(Method::kGet, std::string(base),
               [&store](http::Request& request) { return List(store, request); });
    router.AddPrefix(Method::kGet, prefix,
                     [&store](http::Request& request) { return Download(store, request); });
    router.AddPrefix(Method::kDelete, prefix,
                     [&store](http::Request& request) { return Delete(store, request); });
    router.AddUpload(
        Method::kPut, prefix,
        [&store](http::Request& request)
            -> std::variant<http::Response, std::unique_ptr<http::BodySink>> {
          auto path = PathFromSuffix(request.path_suffix);
          if (!path.ok()) return ErrorResponse(path.status());
          auto writer = store.OpenForWrite(*path);
          if (!writer.ok()) return ErrorResponse(writer.status());
          return std::make_unique<ArtifactUploadSink>(std::move(writer).value());
        },
        ErrorResponse);
    // MLflow's proxied multipart upload (MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD) is not offered,
    // so clients fall back to a plain PUT, which mlhub streams to S3 as a multipart upload
    // itself; a local folder answers 501 as MLflow does.
    std::string mpu = std::string(base).replace(std::string(base).rfind("artifacts"), 9, "mpu/");
    router.AddPrefix(Method::kPost, mpu, [](http::Request&) {
      return ErrorResponse(UnimplementedError(
          "Multipart upload is not supported for the current artifact repository"));
    });
  }
}

}  // namespace mlhub::tracking::api
