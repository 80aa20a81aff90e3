// SPDX-License-Identifier: Apache-2.0
// torch_forward: the TorchScript backend's own cost, without HTTP or batching: loads an MLflow
// pytorch model directory with the backend `mlhub serve` uses and times Execute on zeros.
//
//   torch_forward MODEL_DIR [--batch 1] [--calls 20000] [--threads 1] [--gap-us 0]
//
// Prints the mean and p50/p99 of one Execute (input tensors in, output bytes out) in
// microseconds. --gap-us sleeps between calls, as a server thread waits between requests (caches
// and CPU frequency then start cold).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "serving/backends/mlmodel.h"
#include "serving/backends/torch/torch_backend.h"

int main(int argc, char** argv) {
  using namespace mlhub::serving;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL_DIR [--batch N] [--calls N] [--threads N]\n", argv[0]);
    return 2;
  }
  int64_t batch = 1;
  int calls = 20000;
  int gap_us = 0;
  TorchOptions options;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--batch")) batch = std::atoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--calls")) calls = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--threads")) options.threads = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--gap-us")) gap_us = std::atoi(argv[i + 1]);
  }
  auto model = ReadMlModel(argv[1]);
  if (!model.ok()) return std::fprintf(stderr, "%s\n", model.status().message().c_str()), 1;
  auto loaded = NewTorchBackend(options)->Load(*model);
  if (!loaded.ok()) return std::fprintf(stderr, "%s\n", loaded.status().message().c_str()), 1;
  std::vector<Tensor> inputs;
  for (const TensorSpec& spec : (*loaded)->metadata().inputs) {
    Tensor tensor{spec.name, spec.datatype, spec.shape, {}};
    tensor.shape[0] = batch;
    int64_t count = 1;
    for (int64_t& dim : tensor.shape) count *= dim = std::max<int64_t>(dim, 1);
    tensor.data.assign(count * ElementSize(spec.datatype), '\0');
    inputs.push_back(std::move(tensor));
  }
  std::vector<double> us;
  us.reserve(calls);
  for (int i = 0; i < calls; ++i) {
    if (gap_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(gap_us));
    auto start = std::chrono::steady_clock::now();
    auto outputs = (*loaded)->Execute(inputs);
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
                     .count());
    if (!outputs.ok()) return std::fprintf(stderr, "%s\n", outputs.status().message().c_str()), 1;
  }
  double total = 0;
  for (double v : us) total += v;
  std::sort(us.begin(), us.end());
  std::printf("batch %lld, %d calls: mean %.1f us, p50 %.1f us, p99 %.1f us (runs inline: %s)\n",
              static_cast<long long>(batch), calls, total / calls, us[us.size() / 2],
              us[us.size() * 99 / 100], (*loaded)->RunsInline() ? "yes" : "no");
  return 0;
}
