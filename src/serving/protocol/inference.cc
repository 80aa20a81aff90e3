// SPDX-License-Identifier: Apache-2.0
#include "serving/protocol/inference.h"

#include <fmt/format.h>

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

}  // namespace

Status CheckInputs(const ModelMetadata& metadata, std::vector<Tensor>* inputs) {
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
