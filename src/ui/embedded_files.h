// SPDX-License-Identifier: Apache-2.0
// The web UI's built files, compiled in: generated at build time by cmake/embed_files.py from
// Vite's output (or empty when mlhub is built with MLHUB_WITH_UI=OFF).
#pragma once

#include <cstddef>

namespace mlhub::ui {

struct EmbeddedFile {
  const char* path;  // from the site's root, e.g. "/assets/index-1a2b3c.js"
  const char* data;
  size_t size;
};

extern const EmbeddedFile kEmbeddedFiles[];
extern const size_t kEmbeddedFileCount;

}  // namespace mlhub::ui
