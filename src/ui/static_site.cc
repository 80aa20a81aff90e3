// SPDX-License-Identifier: Apache-2.0
#include "ui/static_site.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "ui/embedded_files.h"

namespace mlhub::ui {
namespace {

std::string_view ContentType(std::string_view path) {
  static const std::map<std::string_view, std::string_view> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".map", "application/json"},
  };
  size_t dot = path.rfind('.');
  if (dot == std::string_view::npos) return "application/octet-stream";
  auto it = kTypes.find(path.substr(dot));
  return it == kTypes.end() ? std::string_view("application/octet-stream") : it->second;
}

// FNV-1a: a stable validator for the file's bytes (not a security measure).
std::string Etag(std::string_view body) {
  uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : body) hash = (hash ^ c) * 1099511628211ull;
  return fmt::format("\"{:016x}\"", hash);
}

bool IsApiPath(std::string_view path) {
  return path.starts_with("/api/") || path.starts_with("/ajax-api/");
}

// The single-page app's own pages (ui/src/app.tsx): their URLs answer index.html; any other path
// that is no file is a 404, as it would be without the UI.
bool IsAppPage(std::string_view path) {
  static constexpr std::string_view kSections[] = {
      "experiments", "runs", "charts", "compare", "models", "logged-models", "traces"};
  std::string_view rest = path.substr(1);
  std::string_view section = rest.substr(0, rest.find('/'));
  for (std::string_view known : kSections) {
    if (section == known) return true;
  }
  return false;
}

http::Response Serve(const StaticFile& file, bool immutable, const http::Request& request) {
  http::Response response;
  response.headers.emplace_back("ETag", file.etag);
  response.headers.emplace_back("Cache-Control",
                                immutable ? "public, max-age=31536000, immutable" : "no-cache");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (request.Header("if-none-match") == file.etag) {
    response.status = 304;
    response.content_type.clear();
    return response;
  }
  response.content_type = file.content_type;
  response.body = file.body;
  return response;
}

}  // namespace

void StaticSite::Add(std::string path, std::string body) {
  StaticFile file{std::string(ContentType(path)), std::move(body), ""};
  file.etag = Etag(file.body);
  files_[std::move(path)] = std::move(file);
}

const StaticFile* StaticSite::Find(std::string_view path) const {
  auto it = files_.find(path);
  return it == files_.end() ? nullptr : &it->second;
}

StaticSite StaticSite::Embedded() {
  StaticSite site;
  for (size_t i = 0; i < kEmbeddedFileCount; ++i) {
    const EmbeddedFile& file = kEmbeddedFiles[i];
    site.Add(file.path, std::string(file.data, file.size));
  }
  return site;
}

StatusOr<StaticSite> StaticSite::FromDirectory(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(dir / "index.html", ec)) {
    return NotFoundError(fmt::format("{} has no index.html", dir.string()));
  }
  StaticSite site;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    std::string path(1, '/');  // not "/" + ...: GCC 12 warns falsely (-Wrestrict) on that
    path += std::filesystem::relative(it->path(), dir).generic_string();
    site.Add(std::move(path), bytes.str());
  }
  if (ec) return InternalError(fmt::format("reading {}: {}", dir.string(), ec.message()));
  return site;
}

void AddUiRoutes(http::Router& router, std::shared_ptr<const StaticSite> site) {
  router.AddPrefix(http::Method::kGet, "/", [site, &router](http::Request& request) {
    const std::string_view path = request.path;
    if (IsApiPath(path)) return router.not_found()(request);  // the API's own 404
    if (site->empty()) {
      http::Response response =
          http::Response::Text(404, "This mlhub was built without its web UI (MLHUB_WITH_UI=OFF).");
      return response;
    }
    if (const StaticFile* file = site->Find(path == "/" ? "/index.html" : path)) {
      return Serve(*file, path.starts_with("/assets/"), request);
    }
    if (!IsAppPage(path)) return router.not_found()(request);
    return Serve(*site->Find("/index.html"), false, request);
  });
}

}  // namespace mlhub::ui
