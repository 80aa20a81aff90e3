// SPDX-License-Identifier: Apache-2.0
// The TorchScript backend on real TorchScript modules, defined and saved here with LibTorch's own
// compiler (the end-to-end tests use models made by Python's torch).
#include "serving/backends/torch/torch_backend.h"

#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <torch/script.h>

#include <cstdlib>
#include <fstream>

namespace mlhub::serving {
namespace {

class TorchBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/mlhub-torch-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Saves `module` as MLflow's pytorch flavor does (data/model.pth) and parses its MLmodel.
  MlModel Write(torch::jit::Module& module, const std::string& signature = "") {
    std::filesystem::create_directories(dir_ / "data");
    module.save((dir_ / "data" / "model.pth").string());
    std::string text = "flavors:\n  pytorch:\n    model_data: data\n    pytorch_version: 1.13.1\n";
    if (!signature.empty()) text += "signature:\n" + signature;
    std::ofstream(dir_ / "MLmodel") << text;
    auto model = ParseMlModel(text, dir_);
    EXPECT_TRUE(model.ok()) << model.status().message();
    return *model;
  }

  static Tensor Floats(std::string name, std::vector<int64_t> shape, std::vector<float> values) {
    Tensor t{std::move(name), DataType::kFp32, std::move(shape), {}};
    t.data.assign(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
    return t;
  }

  std::filesystem::path dir_;
};

// y = x @ w + b with w 3x2: a linear layer written as TorchScript.
torch::jit::Module Linear() {
  torch::jit::Module module("Linear");
  module.register_parameter("w", torch::tensor({1.f, 2.f, 3.f, 4.f, 5.f, 6.f}).reshape({3, 2}),
                            false);
  module.register_parameter("b", torch::tensor({0.5f, -0.5f}), false);
  module.define(R"(
def forward(self, features):
    return torch.mm(features, self.w) + self.b
)");
  return module;
}

constexpr char kThreeColumns[] =
    "  inputs: '[{\"type\": \"double\", \"name\": \"a\"}, {\"type\": \"double\", \"name\": \"b\"},"
    " {\"type\": \"double\", \"name\": \"c\"}]'\n";

TEST_F(TorchBackendTest, LinearModelMatchesTheArithmetic) {
  torch::jit::Module module = Linear();
  MlModel model = Write(module, kThreeColumns);
  auto loaded = NewTorchBackend({})->Load(model);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  const ModelMetadata& metadata = (*loaded)->metadata();
  EXPECT_EQ(metadata.platform, "pytorch_libtorch");
  ASSERT_EQ(metadata.inputs.size(), 1u);
  // pyfunc feeds pytorch models float32 columns; the input is named after forward's argument.
  EXPECT_EQ(metadata.inputs[0].name, "features");
  EXPECT_EQ(metadata.inputs[0].datatype, DataType::kFp32);
  EXPECT_EQ(metadata.inputs[0].shape, (std::vector<int64_t>{-1, 3}));
  EXPECT_EQ(metadata.input_columns, (std::vector<std::string>{"a", "b", "c"}));
  // The warm-up run told the output's datatype and shape.
  ASSERT_EQ(metadata.outputs.size(), 1u);
  EXPECT_EQ(metadata.outputs[0].name, "output-0");
  EXPECT_EQ(metadata.outputs[0].datatype, DataType::kFp32);
  EXPECT_EQ(metadata.outputs[0].shape, (std::vector<int64_t>{-1, 2}));
  EXPECT_TRUE((*loaded)->RunsInline());  // microseconds on one CPU thread

  auto outputs = (*loaded)->Execute({Floats("features", {2, 3}, {1, 0, 0, 1, 1, 1})});
  ASSERT_TRUE(outputs.ok()) << outputs.status().message();
  ASSERT_EQ(outputs->size(), 1u);
  const Tensor& y = (*outputs)[0];
  EXPECT_EQ(y.name, "output-0");
  EXPECT_EQ(y.shape, (std::vector<int64_t>{2, 2}));
  const float* v = y.As<float>();
  EXPECT_FLOAT_EQ(v[0], 1.5f);  // [1,0,0] @ w + b = [1, 2] + [.5, -.5]
  EXPECT_FLOAT_EQ(v[1], 1.5f);
  EXPECT_FLOAT_EQ(v[2], 9.5f);  // [1,1,1] @ w = [9, 12]
  EXPECT_FLOAT_EQ(v[3], 11.5f);
}

TEST_F(TorchBackendTest, TensorSignatureNamesInputsAndOutputs) {
  torch::jit::Module module("Pair");
  module.define(R"(
def forward(self, a, b):
    return a + b, a * b
)");
  MlModel model =
      Write(module,
            "  inputs: '[{\"type\": \"tensor\", \"name\": \"left\", \"tensor-spec\": {\"dtype\": "
            "\"int64\", \"shape\": [-1, 2]}}, {\"type\": \"tensor\", \"name\": \"right\", "
            "\"tensor-spec\": {\"dtype\": \"int64\", \"shape\": [-1, 2]}}]'\n"
            "  outputs: '[{\"type\": \"tensor\", \"name\": \"sum\", \"tensor-spec\": {\"dtype\": "
            "\"int64\", \"shape\": [-1, 2]}}, {\"type\": \"tensor\", \"name\": \"product\", "
            "\"tensor-spec\": {\"dtype\": \"int64\", \"shape\": [-1, 2]}}]'\n");
  auto loaded = NewTorchBackend({})->Load(model);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  const ModelMetadata& metadata = (*loaded)->metadata();
  ASSERT_EQ(metadata.inputs.size(), 2u);
  EXPECT_EQ(metadata.inputs[0].name, "left");
  EXPECT_EQ(metadata.inputs[1].datatype, DataType::kInt64);
  ASSERT_EQ(metadata.outputs.size(), 2u);
  EXPECT_EQ(metadata.outputs[0].name, "sum");
  EXPECT_EQ(metadata.outputs[1].name, "product");
  EXPECT_EQ(metadata.outputs[1].datatype, DataType::kInt64);

  auto ints = [](std::string name, std::vector<int64_t> values) {
    Tensor t{std::move(name), DataType::kInt64, {1, 2}, {}};
    t.data.assign(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(int64_t));
    return t;
  };
  auto outputs = (*loaded)->Execute({ints("left", {3, 4}), ints("right", {5, 6})});
  ASSERT_TRUE(outputs.ok()) << outputs.status().message();
  ASSERT_EQ(outputs->size(), 2u);
  EXPECT_EQ((*outputs)[0].As<int64_t>()[1], 10);
  EXPECT_EQ((*outputs)[1].As<int64_t>()[0], 15);
  EXPECT_EQ((*outputs)[1].name, "product");
}

TEST_F(TorchBackendTest, InputTheModelRefusesIsAClientError) {
  torch::jit::Module module = Linear();
  MlModel model = Write(module);  // no signature: [-1, -1] FP32, checked by the model itself
  auto loaded = NewTorchBackend({})->Load(model);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ((*loaded)->metadata().inputs[0].shape, (std::vector<int64_t>{-1, -1}));
  EXPECT_FALSE((*loaded)->RunsInline());  // no warm-up was possible: it stays off I/O threads
  auto outputs = (*loaded)->Execute({Floats("features", {1, 2}, {1, 2})});
  ASSERT_FALSE(outputs.ok());
  EXPECT_EQ(outputs.status().code(), StatusCode::kInvalidArgument);
  // LibTorch's own words, without its backtrace.
  EXPECT_NE(outputs.status().message().find("shapes cannot be multiplied"), std::string::npos)
      << outputs.status().message();
  EXPECT_EQ(outputs.status().message().find("frame #"), std::string::npos);
}

TEST_F(TorchBackendTest, APickleIsNotTorchScript) {
  std::filesystem::create_directories(dir_ / "data");
  std::ofstream(dir_ / "data" / "model.pth") << "\x80\x02}q\x00.";  // a pickled empty dict
  auto model = ParseMlModel("flavors: {pytorch: {model_data: data}}", dir_);
  ASSERT_TRUE(model.ok());
  auto loaded = NewTorchBackend({})->Load(*model);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(loaded.status().message().find("is not a TorchScript model"), std::string::npos)
      << loaded.status().message();
}

TEST_F(TorchBackendTest, MissingFileAndNonTensorArgumentsAreRefused) {
  auto missing = ParseMlModel("flavors: {pytorch: {model_data: data}}", dir_);
  ASSERT_TRUE(missing.ok());
  auto loaded = NewTorchBackend({})->Load(*missing);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("not found"), std::string::npos);

  torch::jit::Module module("Scaled");
  module.define(R"(
def forward(self, x, factor: int):
    return x * factor
)");
  loaded = NewTorchBackend({})->Load(Write(module));
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("argument 'factor'"), std::string::npos)
      << loaded.status().message();
}

TEST_F(TorchBackendTest, NonTensorResultsAreRefusedAtLoad) {
  torch::jit::Module module("Dict");
  module.define(R"(
def forward(self, x):
    return {"y": x}
)");
  auto loaded = NewTorchBackend({})->Load(Write(module, kThreeColumns));
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("a tensor or a tuple of tensors"), std::string::npos)
      << loaded.status().message();
}

TEST_F(TorchBackendTest, CudaRunsOnAGpuAndSaysWhyNotWithout) {
  torch::jit::Module module = Linear();
  MlModel model = Write(module, kThreeColumns);
  auto loaded = NewTorchBackend({.threads = 1, .device = "cuda:0"})->Load(model);
  if (!torch::cuda::is_available()) {
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(loaded.status().message().find("no CUDA support"), std::string::npos);
    return;
  }
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_FALSE((*loaded)->RunsInline());
  auto outputs = (*loaded)->Execute({Floats("features", {1, 3}, {1, 1, 1})});
  ASSERT_TRUE(outputs.ok()) << outputs.status().message();
  EXPECT_FLOAT_EQ((*outputs)[0].As<float>()[1], 11.5f);
}

TEST(TorchDevice, Names) {
  EXPECT_TRUE(IsTorchDevice("cpu"));
  EXPECT_TRUE(IsTorchDevice("cuda"));
  EXPECT_TRUE(IsTorchDevice("cuda:1"));
  EXPECT_FALSE(IsTorchDevice("cuda:"));
  EXPECT_FALSE(IsTorchDevice("cuda:x"));
  EXPECT_FALSE(IsTorchDevice("gpu"));
  EXPECT_FALSE(IsTorchDevice("cuda:1234"));
}

}  // namespace
}  // namespace mlhub::serving
