// SPDX-License-Identifier: Apache-2.0
#include "serving/protocol/inference.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace mlhub::serving {
namespace {

Status CheckOne(const ModelMetadata& metadata, const TensorSpec& spec, const Tensor& tensor) {
  if (tensor.datatype != spec.datatype &&
      !(metadata.converts_numeric_inputs && IsNumeric(tensor.datatype) &&
        tensor.datatype != DataType::kFp16 && tensor.datatype != DataType::kBf16)) {
    return InvalidArgumentError(fmt::format("input '{}': datatype {} does not match the model's {}",
                                            tensor.name, DataTypeName(tensor.datatype),
                                            DataTypeName(spec.datatype)));
  }
  bool shape_ok = tensor.shape.size() == spec.shape.size();
  for (size_t d = 0; shape_ok && d < spec.shape.size(); ++d) {
    shape_ok = spec.shape[d] < 0 || spec.shape[d] == tensor.shape[d];
  }
  if (!shape_ok) {
    return InvalidArgumentError(fmt::format("input '{}': shape {} does not match the model's {}",
                                            tensor.name, ShapeString(tensor.shape),
                                            ShapeString(spec.shape)));
  }
  return ValidateTensorData(tensor);
}

// Writes `column`'s N values, converted to Out, into column `k` of the row-major [N, width] `out`.
template <typename Out>
Status PlaceColumn(const Tensor& column, size_t k, size_t width, Out* out) {
  const bool numeric = VisitArithmetic(column.datatype, [&](auto zero) {
    using In = decltype(zero);
    const In* values = column.As<In>();
    const size_t rows = column.data.size() / sizeof(In);
    for (size_t r = 0; r < rows; ++r) out[r * width + k] = static_cast<Out>(values[r]);
  });
  if (numeric) return OkStatus();
  return InvalidArgumentError(fmt::format("input '{}': column inputs must be numbers, not {}",
                                          column.name, DataTypeName(column.datatype)));
}

// MLServer's form for column-based signatures (KServe's MLflow runtime): one input per column,
// named as the column, each [N] or [N, 1], of any numeric datatype, as a DataFrame's columns are.
// When every input is named after a column, they are gathered into the model's single [N, columns]
// input of its datatype (converted as pandas' astype would), in the signature's column order.
Status GatherColumns(const ModelMetadata& metadata, std::vector<Tensor>* inputs) {
  const std::vector<std::string>& columns = metadata.input_columns;
  // One tensor for a model of several columns is the usual single input, whatever its name.
  if (columns.empty() || metadata.inputs.size() != 1 || inputs->empty() ||
      (inputs->size() == 1 && columns.size() > 1)) {
    return OkStatus();
  }
  const TensorSpec& spec = metadata.inputs[0];
  if (spec.datatype != DataType::kFp32 && spec.datatype != DataType::kFp64) return OkStatus();
  std::vector<const Tensor*> by_column(columns.size(), nullptr);
  for (const Tensor& tensor : *inputs) {
    auto it = std::find(columns.begin(), columns.end(), tensor.name);
    if (it == columns.end() || tensor.name == spec.name) return OkStatus();  // not this form
    const Tensor*& slot = by_column[it - columns.begin()];
    if (slot != nullptr) return InvalidArgumentError(fmt::format("input '{}' given twice", *it));
    slot = &tensor;
  }
  int64_t rows = -1;
  for (size_t k = 0; k < columns.size(); ++k) {
    const Tensor* column = by_column[k];
    if (column == nullptr) {
      return InvalidArgumentError(fmt::format("the model takes {} columns, input '{}' is missing",
                                              columns.size(), columns[k]));
    }
    const auto& shape = column->shape;
    if (shape.empty() || shape.size() > 2 || (shape.size() == 2 && shape[1] != 1)) {
      return InvalidArgumentError(fmt::format("input '{}': a column is [N] or [N, 1], not {}",
                                              column->name, ShapeString(shape)));
    }
    if (rows >= 0 && shape[0] != rows) {
      return InvalidArgumentError("inputs disagree on the batch size (dimension 0)");
    }
    rows = shape[0];
    RETURN_IF_ERROR(ValidateTensorData(*column));
  }
  Tensor gathered{spec.name, spec.datatype, {rows, static_cast<int64_t>(columns.size())}, {}};
  gathered.data.resize(static_cast<size_t>(rows) * columns.size() * ElementSize(spec.datatype));
  for (size_t k = 0; k < columns.size(); ++k) {
    Status placed =
        spec.datatype == DataType::kFp32
            ? PlaceColumn(*by_column[k], k, columns.size(), gathered.MutableAs<float>())
            : PlaceColumn(*by_column[k], k, columns.size(), gathered.MutableAs<double>());
    RETURN_IF_ERROR(placed);
  }
  inputs->clear();
  inputs->push_back(std::move(gathered));
  return OkStatus();
}

}  // namespace

Status CheckInputs(const ModelMetadata& metadata, std::vector<Tensor>* inputs) {
  RETURN_IF_ERROR(GatherColumns(metadata, inputs));
  const auto& specs = metadata.inputs;
  if (inputs->size() != specs.size()) {
    return InvalidArgumentError(fmt::format("the model takes {} input(s), the request has {}",
                                            specs.size(), inputs->size()));
  }
  if (specs.size() == 1) {
    RETURN_IF_ERROR(CheckOne(metadata, specs[0], (*inputs)[0]));
  } else {
    std::vector<Tensor> ordered(specs.size());
    std::vector<bool> seen(specs.size(), false);
    for (Tensor& tensor : *inputs) {
      size_t i = 0;
      while (i < specs.size() && specs[i].name != tensor.name) ++i;
      if (i == specs.size()) {
        return InvalidArgumentError(fmt::format("the model has no input '{}'", tensor.name));
      }
      if (seen[i]) return InvalidArgumentError(fmt::format("input '{}' given twice", tensor.name));
      seen[i] = true;
      RETURN_IF_ERROR(CheckOne(metadata, specs[i], tensor));
      ordered[i] = std::move(tensor);
    }
    *inputs = std::move(ordered);
  }
  for (const Tensor& tensor : *inputs) {
    if (tensor.shape.empty()) {
      return InvalidArgumentError(
          fmt::format("input '{}': a batch dimension is required", tensor.name));
    }
    if (tensor.shape[0] != (*inputs)[0].shape[0]) {
      return InvalidArgumentError("inputs disagree on the batch size (dimension 0)");
    }
  }
  return OkStatus();
}

StatusOr<std::vector<Tensor>> SelectOutputs(std::vector<Tensor> outputs,
                                            const std::vector<std::string>& requested) {
  if (requested.empty()) return outputs;
  std::vector<Tensor> selected;
  selected.reserve(requested.size());
  for (auto name = requested.begin(); name != requested.end(); ++name) {
    if (std::find(requested.begin(), name, *name) != name) {
      return InvalidArgumentError(fmt::format("output '{}' requested twice", *name));
    }
    auto it = std::find_if(outputs.begin(), outputs.end(),
                           [&](const Tensor& t) { return t.name == *name; });
    if (it == outputs.end()) {
      return InvalidArgumentError(fmt::format("the model has no output '{}'", *name));
    }
    selected.push_back(std::move(*it));  // moved, not copied: outputs can be large
  }
  return selected;
}

void RunInference(ServedModel& model, std::vector<Tensor> inputs, InferenceCallback done) {
  ModelStats* stats = &model.stats();
  const auto start = std::chrono::steady_clock::now();
  Status checked = CheckInputs(model.metadata(), &inputs);
  if (!checked.ok()) {
    stats->Add(stats->request_failure, 1);
    done(std::move(checked));
    return;
  }
  model.scheduler().Enqueue(std::move(inputs), [stats, start, done = std::move(done)](
                                                   StatusOr<std::vector<Tensor>> result) {
    auto elapsed = std::chrono::steady_clock::now() - start;
    stats->Add(stats->request_duration_us,
               std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
    stats->Add(result.ok() ? stats->request_success : stats->request_failure, 1);
    done(std::move(result));
  });
}

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kAlreadyExists:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kUnavailable:
    case StatusCode::kResourceExhausted:
      return 503;
    case StatusCode::kUnimplemented:
      return 501;
    default:
      return 500;
  }
}

}  // namespace mlhub::serving
