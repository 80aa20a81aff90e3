// SPDX-License-Identifier: Apache-2.0
// The answer side of MLflow's scoring protocol (mlflow_scoring.h): outputs to
// `{"predictions": ...}`.
#include <string>
#include <vector>

#include "common/json_writer.h"
#include "serving/protocol/mlflow_scoring.h"
#include "serving/protocol/tensor_json.h"

namespace mlhub::serving {
namespace {

// Nested lists, row-major; elements as the V2 codec writes them (the shortest text that reads back
// as the same float32 / float64; NaN and infinities as null).
void AppendNested(const Tensor& t, size_t dim, size_t* index, std::string* out) {
  if (dim == t.shape.size()) return AppendJsonElement(t, (*index)++, out);
  out->push_back('[');
  for (int64_t k = 0; k < t.shape[dim]; ++k) {
    if (k > 0) out->push_back(',');
    AppendNested(t, dim + 1, index, out);
  }
  out->push_back(']');
}

void AppendTensor(const Tensor& t, std::string* out) {
  // Outputs come from our backends; a malformed one becomes null rather than a read past its data.
  if (!ValidateTensorData(t).ok()) return void(out->append("null"));
  size_t index = 0;
  AppendNested(t, 0, &index, out);
}

// A [N] or [N, K] tensor as DataFrame records: [{"0": v, ..., "K-1": w}, ...].
void AppendRecords(const Tensor& t, std::string* out) {
  const int64_t rows = t.shape[0];
  const int64_t columns = t.shape.size() == 2 ? t.shape[1] : 1;
  out->push_back('[');
  size_t index = 0;
  for (int64_t r = 0; r < rows; ++r) {
    out->append(r > 0 ? ",{" : "{");
    for (int64_t c = 0; c < columns; ++c) {
      if (c > 0) out->push_back(',');
      AppendJsonString(out, std::to_string(c));
      out->push_back(':');
      AppendJsonElement(t, index++, out);
    }
    out->push_back('}');
  }
  out->push_back(']');
}

}  // namespace

std::string EncodePredictions(const std::vector<Tensor>& outputs, bool records) {
  std::string out = "{\"predictions\":";
  const bool as_records = records && outputs.size() == 1 && ValidateTensorData(outputs[0]).ok() &&
                          (outputs[0].shape.size() == 1 || outputs[0].shape.size() == 2);
  if (as_records) {
    AppendRecords(outputs[0], &out);
  } else if (outputs.size() == 1) {
    AppendTensor(outputs[0], &out);
  } else {
    out += outputs.empty() ? "[" : "{";
    for (size_t i = 0; i < outputs.size(); ++i) {
      if (i > 0) out += ',';
      AppendJsonString(&out, outputs[i].name);
      out += ':';
      AppendTensor(outputs[i], &out);
    }
    out += outputs.empty() ? "]" : "}";
  }
  out += '}';
  return out;
}

}  // namespace mlhub::serving
