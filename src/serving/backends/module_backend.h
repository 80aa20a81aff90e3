// SPDX-License-Identifier: Apache-2.0
// A ModelBackend that lives in a shared module (dlopen), loaded the first time a model of its
// flavor loads: runtimes with a heavy footprint (LibTorch) cost nothing to processes that never
// use them (ADR 0005). The module is looked up in $MLHUB_MODULE_DIR, else next to the running
// binary, else in ../lib/mlhub from it; it is never unloaded.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "serving/backends/model_backend.h"

namespace mlhub::serving {

struct BackendModule {
  std::string flavor;  // what the backend loads, e.g. "pytorch"
  std::string file;    // e.g. "libmlhub_torch.so"
  std::string entry;   // the C function that makes the backend
  // Calls `entry` (the address dlsym found) with the backend's options; returns an owned backend
  // or null.
  std::function<ModelBackend*(void* entry)> create;
  std::string missing_hint;  // added to the error when the module cannot be found or loaded
};

std::unique_ptr<ModelBackend> NewModuleBackend(BackendModule module);

}  // namespace mlhub::serving
