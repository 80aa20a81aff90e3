// SPDX-License-Identifier: Apache-2.0
// The entry point of libmlhub_torch.so, the shared module `mlhub serve` loads for pytorch models
// (ADR 0005).
#include "serving/backends/torch/torch_backend.h"

extern "C" __attribute__((visibility("default"))) mlhub::serving::ModelBackend*
mlhub_new_torch_backend(const mlhub::serving::TorchOptions* options) {
  try {
    return mlhub::serving::NewTorchBackend(*options).release();
  } catch (...) {
    return nullptr;  // the loader reports it; nothing may unwind into the caller
  }
}
