// SPDX-License-Identifier: Apache-2.0
// MLflow's scoring protocol decoder (serving/protocol/mlflow_scoring.h): POST /invocations
// (JSON in its four formats, and CSV) and the seed API's POST /predict. Input: one byte choosing
// the model's input signature from kModels (by value modulo their count: '0' is the first), the
// Content-Type up to the first newline, then the body.
//
// Properties: no crash or UB; a refusal is a 400 with MLflow's JSON error or a 415; a decoded
// input holds exactly the bytes of its shape and datatype, with the rows the body had; the
// predictions encoder takes it back into JSON that parses.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fuzz_check.h"
#include "serving/protocol/mlflow_scoring.h"

namespace mlhub::fuzz {
namespace {

using serving::DataType;
using serving::ModelMetadata;
using serving::TensorSpec;

ModelMetadata Model(DataType type, std::vector<int64_t> shape, std::vector<std::string> columns) {
  ModelMetadata m;
  m.inputs.push_back(TensorSpec{"x", type, std::move(shape)});
  m.input_columns = std::move(columns);
  return m;
}

// Input signatures as the backends report them: column-based (the last dimension named), tensor
// based, rank 1, fixed and open widths, each JSON/CSV-fillable datatype, and ones /invocations
// refuses (FP16, rank 3, no inputs).
const std::vector<ModelMetadata>& Models() {
  static const auto* models = new std::vector<ModelMetadata>{
      Model(DataType::kFp32, {-1, 3}, {"a", "b", "c"}),
      Model(DataType::kFp64, {-1, -1}, {}),
      Model(DataType::kInt64, {-1}, {}),
      Model(DataType::kInt32, {-1, 2}, {}),
      Model(DataType::kBool, {-1, 2}, {"x", "y"}),
      Model(DataType::kUint8, {-1, -1}, {"p", "q", "r", "s"}),
      Model(DataType::kInt8, {-1}, {"x"}),
      Model(DataType::kUint64, {-1, 4}, {}),
      Model(DataType::kFp16, {-1, 2}, {}),
      Model(DataType::kFp32, {-1, 2, 2}, {}),
      ModelMetadata{},
  };
  return *models;
}

bool ParsesAsJson(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  return parser.parse(text.data(), text.size()).get(root) == simdjson::SUCCESS;
}

void CheckTensors(const std::vector<serving::Tensor>& tensors, const ModelMetadata& model) {
  FUZZ_CHECK(tensors.size() == 1);
  const serving::Tensor& t = tensors[0];
  FUZZ_CHECK(t.datatype == model.inputs[0].datatype);
  FUZZ_CHECK(!t.shape.empty() && t.shape.size() == model.inputs[0].shape.size());
  FUZZ_CHECK(serving::ValidateTensorData(t).ok());
  FUZZ_CHECK(ParsesAsJson(serving::EncodePredictions(tensors)));
}

}  // namespace
}  // namespace mlhub::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlhub;
  using namespace mlhub::fuzz;
  if (size == 0) return 0;
  const auto& models = Models();
  const serving::ModelMetadata& model = models[static_cast<uint8_t>(data[0] - '0') % models.size()];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t newline = rest.find('\n');
  if (newline == std::string_view::npos) return 0;
  std::string_view content_type = rest.substr(0, newline);
  std::string_view body = rest.substr(newline + 1);

  auto decoded = serving::DecodeInvocations(content_type, body, model);
  if (const auto* error = std::get_if<serving::ScoringError>(&decoded)) {
    FUZZ_CHECK(error->status == 400 || error->status == 415);
    if (error->status == 400) {
      FUZZ_CHECK(error->content_type == "application/json");
      // The message may quote the body; it is JSON whenever the body was UTF-8.
      if (simdjson::validate_utf8(body.data(), body.size())) {
        FUZZ_CHECK(ParsesAsJson(error->body));
      }
    }
  } else {
    CheckTensors(std::get<std::vector<serving::Tensor>>(decoded), model);
  }

  auto predict = serving::DecodePredict(body, model);
  if (!predict.ok()) {
    CheckRefusal(predict.status());
  } else {
    CheckTensors(*predict, model);
  }
  return 0;
}
