// SPDX-License-Identifier: Apache-2.0
// xgboost_predict: the XGBoost backend's own cost, without HTTP or batching: loads an MLflow
// xgboost model directory twice, with the compiled forest (ADR 0006) and with XGBoost's own
// predictor, and times Execute on the same random rows for each.
//
//   xgboost_predict MODEL_DIR [--batch 1] [--calls 20000]
//
// Prints, per predictor, the mean and p50/p99 of one Execute in microseconds, and the largest
// relative difference between the two predictors' outputs over all calls' rows.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "serving/backends/mlmodel.h"
#include "serving/backends/xgboost/xgboost_backend.h"

namespace {

using namespace mlhub::serving;

struct Timing {
  double mean = 0, p50 = 0, p99 = 0;
};

Timing Time(LoadedModel& model, const std::vector<Tensor>& inputs, int calls,
            std::vector<float>* last) {
  std::vector<double> us;
  us.reserve(calls);
  for (int i = 0; i < calls; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto out = model.Execute(inputs);
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
                     .count());
    if (!out.ok()) std::fprintf(stderr, "%s\n", out.status().message().c_str()), std::exit(1);
    if (i == calls - 1) {
      const Tensor& t = (*out)[0];
      last->assign(t.As<float>(), t.As<float>() + t.data.size() / sizeof(float));
    }
  }
  Timing t;
  for (double v : us) t.mean += v / calls;
  std::sort(us.begin(), us.end());
  t.p50 = us[us.size() / 2];
  t.p99 = us[us.size() * 99 / 100];
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL_DIR [--batch N] [--calls N]\n", argv[0]);
    return 2;
  }
  int64_t batch = 1;
  int calls = 20000;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--batch")) batch = std::atoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--calls")) calls = std::atoi(argv[i + 1]);
  }
  auto model = ReadMlModel(argv[1]);
  if (!model.ok()) return std::fprintf(stderr, "%s\n", model.status().message().c_str()), 1;
  auto compiled = NewXgboostBackend({true})->Load(*model);
  auto library = NewXgboostBackend({false})->Load(*model);
  if (!compiled.ok() || !library.ok()) return std::fprintf(stderr, "load failed\n"), 1;
  const int64_t features = (*compiled)->metadata().inputs[0].shape[1];

  Tensor in;
  in.name = "input-0";
  in.datatype = DataType::kFp32;
  in.shape = {batch, features};
  in.data.resize(batch * features * sizeof(float));
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0, 1.5f);
  float* values = in.MutableAs<float>();
  for (int64_t i = 0; i < batch * features; ++i) values[i] = normal(rng);
  std::vector<Tensor> inputs = {in};

  std::vector<float> a, b;
  Timing tc = Time(**compiled, inputs, calls, &a);
  Timing tl = Time(**library, inputs, calls, &b);
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i)
    worst =
        std::max(worst, std::fabs(double(a[i]) - b[i]) / std::max(1e-30, std::fabs(double(b[i]))));
  std::printf("batch %lld, %d calls\n", static_cast<long long>(batch), calls);
  std::printf("compiled forest  mean %8.2f  p50 %8.2f  p99 %8.2f us\n", tc.mean, tc.p50, tc.p99);
  std::printf("XGBoost library  mean %8.2f  p50 %8.2f  p99 %8.2f us\n", tl.mean, tl.p50, tl.p99);
  std::printf("max relative difference %.3g\n", worst);
  return 0;
}
