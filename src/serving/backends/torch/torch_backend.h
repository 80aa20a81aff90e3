// SPDX-License-Identifier: Apache-2.0
// The TorchScript backend, on LibTorch: loads the MLflow `pytorch` flavor when the model was
// saved as TorchScript (`mlflow.pytorch.log_model(torch.jit.script(m))` writes
// `data/model.pth`); a pickled nn.Module needs Python and is refused with a message saying so.
//
// V2 view: one input per Tensor argument of `forward` (named by the signature's tensor specs, else
// by the argument names), one output per returned tensor (`output-0`, ... unless the signature
// names them). Without a tensor signature the single input is `[-1, columns]` FP32, which is what
// MLflow's pyfunc feeds a pytorch model (`DataFrame.values.astype(float32)`).
//
// LibTorch costs ~0.7 s of startup and ~160 MB before any model loads (docs/deps), so `mlhub`
// does not link it: this backend is built into its own shared module (libmlhub_torch.so, see
// ADR 0005) that `mlhub serve` loads the first time a pytorch model is loaded. This header is
// free of LibTorch so the loader can name the entry point.
#pragma once

#include <memory>
#include <string>

#include "serving/backends/model_backend.h"

namespace mlhub::serving {

struct TorchOptions {
  // Intra-op threads (process-wide in LibTorch). 1 suits serving: requests run in parallel across
  // instances; raise it with --instances 1 for large batches of heavy models.
  int threads = 1;
  std::string device = "cpu";  // "cpu", "cuda" or "cuda:N"
};

// True for the --device values the backend accepts ("cpu", "cuda", "cuda:N").
inline bool IsTorchDevice(const std::string& device) {
  if (device == "cpu" || device == "cuda") return true;
  if (device.size() <= 5 || device.compare(0, 5, "cuda:") != 0 || device.size() > 8) return false;
  return device.find_first_not_of("0123456789", 5) == std::string::npos;
}

std::unique_ptr<ModelBackend> NewTorchBackend(const TorchOptions& options);

// The shared module's C entry point: returns a new backend the caller owns.
inline constexpr char kTorchModuleFile[] = "libmlhub_torch.so";
inline constexpr char kTorchModuleEntry[] = "mlhub_new_torch_backend";
using NewTorchBackendFn = ModelBackend* (*)(const TorchOptions* options);

}  // namespace mlhub::serving
