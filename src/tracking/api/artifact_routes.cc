// SPDX-License-Identifier: Apache-2.0
// The proxied artifact API, `/api/2.0/mlflow-artifacts/artifacts/<path>`: streamed upload (PUT),
// streamed download (GET), listing (GET ...artifacts?path=) and DELETE. Paths are validated before
// any byte is read or written; a path that would leave the artifact root is a 400 and touches
// nothing.
#include <fmt/format.h>

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

class ArtifactBodySource final : public http::BodySource {
 public:
  explicit ArtifactBodySource(std::unique_ptr<artifacts::ArtifactReader> reader)
      : reader_(std::move(reader)) {}
  StatusOr<size_t> Read(char* buffer, size_t capacity) override {
    return reader_->Read(buffer, capacity);
  }

 private:
  std::unique_ptr<artifacts::ArtifactReader> reader_;
};

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
  response.content_length = (*reader)->size();
  response.stream = std::make_unique<ArtifactBodySource>(std::move(reader).value());
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
    // Multipart uploads exist only for cloud destinations; a local folder answers 501 as MLflow
    // does.
    std::string mpu = std::string(base).replace(std::string(base).rfind("artifacts"), 9, "mpu/");
    router.AddPrefix(Method::kPost, mpu, [](http::Request&) {
      return ErrorResponse(UnimplementedError(
          "Multipart upload is not supported for the current artifact repository"));
    });
  }
}

}  // namespace mlhub::tracking::api
