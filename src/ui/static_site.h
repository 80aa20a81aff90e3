// SPDX-License-Identifier: Apache-2.0
// The web UI's files, served by `mlhub server` at `/`. They are built from ui/ (TypeScript, Vite)
// at build time and compiled into the binary (embedded_files.h), so the server stays one file;
// $MLHUB_UI_DIR, when set, serves a folder read at startup instead (UI development, tests of an
// unembedded build).
//
// Routing: a GET for a file answers it (hashed assets under /assets/ are cacheable forever,
// everything else is revalidated by ETag); the single-page app's own pages (/experiments/...,
// /runs/..., /charts, /compare, /models/...) answer index.html, so they work as deep links; other
// paths get the router's not-found answer. Paths under /api/
// and /ajax-api/ are never the UI's: they get the router's not-found answer (`router` must outlive
// the routes).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "http/router.h"

namespace mlhub::ui {

struct StaticFile {
  std::string content_type;
  std::string body;
  std::string etag;  // quoted, from a hash of the body
};

class StaticSite {
 public:
  // The files compiled into the binary (none when it was built without the UI).
  static StaticSite Embedded();
  // Every file under `dir`, read now. NotFound when it has no index.html.
  static StatusOr<StaticSite> FromDirectory(const std::filesystem::path& dir);

  void Add(std::string path, std::string body);  // `path` from the site's root: "/index.html"
  const StaticFile* Find(std::string_view path) const;
  bool empty() const { return files_.empty(); }

 private:
  std::map<std::string, StaticFile, std::less<>> files_;
};

// The UI's routes (see the top of this file); `site` is shared by the handlers.
void AddUiRoutes(http::Router& router, std::shared_ptr<const StaticSite> site);

}  // namespace mlhub::ui
