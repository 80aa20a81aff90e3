// SPDX-License-Identifier: Apache-2.0
// A build without the web UI (MLHUB_WITH_UI=OFF): no files; `/` says so.
#include "ui/embedded_files.h"

namespace mlhub::ui {

const EmbeddedFile kEmbeddedFiles[] = {{"", "", 0}};
const size_t kEmbeddedFileCount = 0;

}  // namespace mlhub::ui
