// SPDX-License-Identifier: Apache-2.0
#include "serving/backends/torch/torch_backend.h"

#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <torch/cuda.h>
#include <torch/script.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <string_view>

namespace mlhub::serving {
namespace {

// A one-row forward faster than this runs inline on the submitting thread (ADR 0004); slower
// models get instance threads so they never hold an I/O thread.
constexpr std::chrono::microseconds kInlineForwardLimit{200};

std::optional<c10::ScalarType> ToScalarType(DataType type) {
  switch (type) {
    case DataType::kBool:
      return c10::kBool;
    case DataType::kUint8:
      return c10::kByte;
    case DataType::kInt8:
      return c10::kChar;
    case DataType::kInt16:
      return c10::kShort;
    case DataType::kInt32:
      return c10::kInt;
    case DataType::kInt64:
      return c10::kLong;
    case DataType::kFp16:
      return c10::kHalf;
    case DataType::kFp32:
      return c10::kFloat;
    case DataType::kFp64:
      return c10::kDouble;
    case DataType::kBf16:
      return c10::kBFloat16;
    default:  // LibTorch 1.13 has no UINT16/32/64; BYTES are not tensors
      return std::nullopt;
  }
}

std::optional<DataType> FromScalarType(c10::ScalarType type) {
  for (DataType candidate :
       {DataType::kBool, DataType::kUint8, DataType::kInt8, DataType::kInt16, DataType::kInt32,
        DataType::kInt64, DataType::kFp16, DataType::kFp32, DataType::kFp64, DataType::kBf16}) {
    if (ToScalarType(candidate) == type) return candidate;
  }
  return std::nullopt;
}

// What went wrong, without LibTorch's C++ backtrace. Errors raised inside TorchScript code come
// with the script's traceback first and the error itself on the last line.
std::string ErrorMessage(const std::exception& e) {
  const auto* error = dynamic_cast<const c10::Error*>(&e);
  std::string_view text = error != nullptr ? error->what_without_backtrace() : e.what();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  if (text.find("Traceback of TorchScript") != std::string_view::npos) {
    size_t last = text.rfind('\n');
    if (last != std::string_view::npos) text.remove_prefix(last + 1);
  } else if (size_t end = text.find('\n'); end != std::string_view::npos) {
    text = text.substr(0, end);
  }
  return std::string(text);
}

class TorchModel final : public LoadedModel {
 public:
  TorchModel(torch::jit::Module module, c10::Device device, ModelMetadata metadata)
      : module_(std::move(module)), device_(device), metadata_(std::move(metadata)) {}

  const ModelMetadata& metadata() const override { return metadata_; }
  bool RunsInline() const override { return runs_inline_; }

  StatusOr<std::vector<Tensor>> Execute(const std::vector<Tensor>& inputs) override {
    try {
      return Forward(inputs);
    } catch (const std::exception& e) {
      // Almost always input the model cannot take (a shape or datatype its code refuses).
      return InvalidArgumentError(fmt::format("the model refused the input: {}", ErrorMessage(e)));
    }
  }

  // Runs the model on one row of zeros when the input shapes are known beyond the batch
  // dimension: TorchScript's executor specializes on its first calls, the outputs' datatypes
  // and shapes become known for V2 metadata, and a fast CPU model is marked to run inline.
  Status WarmUp(bool may_run_inline) {
    std::vector<Tensor> zeros;
    for (const TensorSpec& spec : metadata_.inputs) {
      Tensor tensor{spec.name, spec.datatype, spec.shape, {}};
      tensor.shape[0] = 1;
      for (int64_t dim : tensor.shape) {
        if (dim < 0) return OkStatus();  // a free dimension: nothing sensible to run
      }
      ASSIGN_OR_RETURN(int64_t count, ElementCount(tensor.shape));
      tensor.data.assign(static_cast<size_t>(count) * ElementSize(spec.datatype), '\0');
      zeros.push_back(std::move(tensor));
    }
    std::chrono::steady_clock::duration last{};
    std::vector<Tensor> outputs;
    for (int call = 0; call < 3; ++call) {
      auto start = std::chrono::steady_clock::now();
      auto result = Execute(zeros);
      last = std::chrono::steady_clock::now() - start;
      if (!result.ok()) {
        return InvalidArgumentError(fmt::format("the model fails on zeros of its input shape: {}",
                                                result.status().message()));
      }
      outputs = std::move(result).value();
    }
    std::vector<TensorSpec> specs;
    for (size_t i = 0; i < outputs.size(); ++i) {
      TensorSpec spec{outputs[i].name, outputs[i].datatype, outputs[i].shape};
      if (!spec.shape.empty()) spec.shape[0] = -1;
      specs.push_back(std::move(spec));
    }
    metadata_.outputs = std::move(specs);
    runs_inline_ = may_run_inline && last < kInlineForwardLimit;
    return OkStatus();
  }

 private:
  StatusOr<std::vector<Tensor>> Forward(const std::vector<Tensor>& inputs) {
    // LibTorch's thread count is per thread under OpenMP: a thread it did not start (ours)
    // would otherwise run its parallel regions on one OpenMP thread per core.
    thread_local bool threads_set = (at::init_num_threads(), true);
    (void)threads_set;
    c10::InferenceMode inference_mode;
    std::vector<c10::IValue> arguments;
    arguments.reserve(inputs.size());
    for (const Tensor& input : inputs) {
      std::optional<c10::ScalarType> type = ToScalarType(input.datatype);
      if (!type) {
        return InvalidArgumentError(fmt::format("input '{}': LibTorch cannot take {} data",
                                                input.name, DataTypeName(input.datatype)));
      }
      // The request's bytes, not a copy: forward only reads its inputs.
      at::Tensor tensor = torch::from_blob(const_cast<char*>(input.data.data()), input.shape,
                                           torch::TensorOptions().dtype(*type));
      arguments.emplace_back(device_.is_cpu() ? tensor : tensor.to(device_));
    }
    c10::IValue result = module_.forward(std::move(arguments));

    std::vector<at::Tensor> returned;
    if (result.isTensor()) {
      returned.push_back(result.toTensor());
    } else if (result.isTuple() || result.isList()) {
      std::vector<c10::IValue> elements =
          result.isTuple() ? result.toTupleRef().elements().vec() : result.toListRef().vec();
      for (const c10::IValue& element : elements) {
        if (!element.isTensor()) return UnservableResult(result);
        returned.push_back(element.toTensor());
      }
    } else {
      return UnservableResult(result);
    }

    std::vector<Tensor> outputs;
    outputs.reserve(returned.size());
    for (size_t i = 0; i < returned.size(); ++i) {
      at::Tensor host = returned[i].to(at::kCPU).contiguous();
      std::optional<DataType> type = FromScalarType(host.scalar_type());
      if (!type) return UnservableResult(result);
      Tensor output;
      output.name =
          i < metadata_.outputs.size() ? metadata_.outputs[i].name : fmt::format("output-{}", i);
      output.datatype = *type;
      output.shape.assign(host.sizes().begin(), host.sizes().end());
      output.data.assign(static_cast<const char*>(host.data_ptr()), host.nbytes());
      outputs.push_back(std::move(output));
    }
    return outputs;
  }

  static Status UnservableResult(const c10::IValue& result) {
    return InternalError(fmt::format(
        "the model's forward returned {}: mlhub serves models that return a tensor or a tuple "
        "of tensors of V2 datatypes",
        result.type()->str()));
  }

  torch::jit::Module module_;
  c10::Device device_;
  ModelMetadata metadata_;
  bool runs_inline_ = false;
};

// The Tensor arguments of forward (after `self`), by name. Arguments after them must have
// defaults: mlhub passes tensors only.
StatusOr<std::vector<std::string>> ForwardTensorArguments(torch::jit::Module& module) {
  if (!module.find_method("forward")) {
    return InvalidArgumentError("the TorchScript module has no forward method");
  }
  const c10::FunctionSchema& schema = module.get_method("forward").function().getSchema();
  std::vector<std::string> names;
  bool tensors_done = false;
  for (size_t i = 1; i < schema.arguments().size(); ++i) {
    const c10::Argument& argument = schema.arguments()[i];
    bool is_tensor = argument.type()->kind() == c10::TypeKind::TensorType;
    if (is_tensor && !tensors_done) {
      names.push_back(argument.name());
      continue;
    }
    tensors_done = true;
    if (!argument.default_value()) {
      return InvalidArgumentError(fmt::format(
          "forward's argument '{}' is a {} without a default: mlhub passes tensors only",
          argument.name(), argument.type()->str()));
    }
  }
  if (names.empty()) return InvalidArgumentError("forward takes no tensor argument");
  return names;
}

// Inputs and outputs as the MLflow signature gives them, else from forward's arguments.
StatusOr<ModelMetadata> Describe(const MlModel& model, torch::jit::Module& module) {
  ASSIGN_OR_RETURN(std::vector<std::string> arguments, ForwardTensorArguments(module));
  ModelMetadata metadata;
  metadata.platform = "pytorch_libtorch";    // Triton's name for TorchScript models
  metadata.pyfunc_returns_dataframe = true;  // mlflow.pytorch's pyfunc: DataFrame in, DataFrame out
  const auto& fields = model.signature_inputs;
  bool tensor_signature = !fields.empty() && fields[0].is_tensor;
  if (tensor_signature) {
    if (fields.size() != arguments.size()) {
      return InvalidArgumentError(
          fmt::format("the signature has {} input(s), the model's forward takes {} tensor(s)",
                      fields.size(), arguments.size()));
    }
    for (size_t i = 0; i < fields.size(); ++i) {
      std::optional<DataType> type = SignatureDataType(fields[i]);
      if (!type || !ToScalarType(*type)) {
        return InvalidArgumentError(fmt::format(
            "signature input {}: LibTorch has no tensors of type '{}'", i, fields[i].type));
      }
      std::vector<int64_t> shape = fields[i].shape;
      if (shape.empty()) shape = {-1, -1};
      shape[0] = -1;  // the batch dimension
      metadata.inputs.push_back(
          {fields[i].name.empty() ? arguments[i] : fields[i].name, *type, std::move(shape)});
    }
  } else {
    if (!fields.empty() && arguments.size() != 1) {
      return InvalidArgumentError(
          fmt::format("a column signature makes one input, the model's forward takes {} tensors",
                      arguments.size()));
    }
    // pyfunc feeds pytorch models DataFrame.values.astype(float32).
    int64_t columns = fields.empty() ? -1 : static_cast<int64_t>(fields.size());
    for (const std::string& name : arguments) {
      metadata.inputs.push_back({name, DataType::kFp32, {-1, columns}});
    }
    for (const SignatureField& field : fields) metadata.input_columns.push_back(field.name);
  }

  // Until the warm-up tells better: one output per returned tensor.
  const c10::FunctionSchema& schema = module.get_method("forward").function().getSchema();
  size_t returned = 1;
  if (!schema.returns().empty()) {
    if (auto tuple = schema.returns()[0].type()->cast<c10::TupleType>()) {
      returned = tuple->elements().size();
    }
  }
  const auto& output_fields = model.signature_outputs;
  for (size_t i = 0; i < returned; ++i) {
    std::string name = fmt::format("output-{}", i);
    if (output_fields.size() == returned && output_fields[i].is_tensor &&
        !output_fields[i].name.empty()) {
      name = output_fields[i].name;
    }
    metadata.outputs.push_back({std::move(name), DataType::kFp32, {-1, -1}});
  }
  return metadata;
}

class TorchBackend final : public ModelBackend {
 public:
  explicit TorchBackend(TorchOptions options) : options_(std::move(options)) {
    at::set_num_threads(std::max(1, options_.threads));
    try {
      at::set_num_interop_threads(1);  // serving never runs inter-op work in parallel
    } catch (const std::exception&) {
      // Settable once per process, before any inter-op work: a second backend keeps the first's.
    }
  }

  std::string flavor() const override { return "pytorch"; }

  StatusOr<std::unique_ptr<LoadedModel>> Load(const MlModel& model) override {
    try {
      return LoadOne(model);
    } catch (const std::exception& e) {
      return InvalidArgumentError(fmt::format("LibTorch: {}", ErrorMessage(e)));
    }
  }

 private:
  StatusOr<std::unique_ptr<LoadedModel>> LoadOne(const MlModel& model) {
    std::string data = model.FlavorValue("pytorch", "model_data").value_or("data");
    if (data.find("..") != std::string::npos)
      return InvalidArgumentError(fmt::format("pytorch flavor: bad model_data path '{}'", data));
    std::filesystem::path file = model.dir / data;
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec)) file /= "model.pth";
    if (!std::filesystem::is_regular_file(file, ec))
      return InvalidArgumentError(fmt::format("pytorch model file {} not found", file.string()));

    if (!IsTorchDevice(options_.device))
      return InvalidArgumentError(fmt::format("bad device '{}'", options_.device));
    c10::Device device(options_.device);
    if (device.is_cuda()) {
      if (!torch::cuda::is_available()) {
        return FailedPreconditionError(fmt::format(
            "--device {}: this LibTorch has no CUDA support or no GPU is visible (build with "
            "-DMLHUB_TORCH_ROOT=<a CUDA LibTorch> -DMLHUB_TORCH_CUDA=ON)",
            options_.device));
      }
      if (device.has_index() && device.index() >= static_cast<int>(torch::cuda::device_count())) {
        return FailedPreconditionError(fmt::format("--device {}: only {} GPU(s) visible",
                                                   options_.device, torch::cuda::device_count()));
      }
    }

    torch::jit::Module module;
    try {
      module = torch::jit::load(file.string(), device);
    } catch (const std::exception& e) {
      return InvalidArgumentError(fmt::format(
          "{} is not a TorchScript model ({}); mlhub serves pytorch models saved as TorchScript "
          "(torch.jit.script or torch.jit.trace before mlflow.pytorch.log_model)",
          file.string(), ErrorMessage(e)));
    }
    module.eval();
    ASSIGN_OR_RETURN(ModelMetadata metadata, Describe(model, module));
    auto loaded = std::make_unique<TorchModel>(std::move(module), device, std::move(metadata));
    RETURN_IF_ERROR(loaded->WarmUp(device.is_cpu() && options_.threads <= 1));
    return std::unique_ptr<LoadedModel>(std::move(loaded));
  }

  TorchOptions options_;
};

}  // namespace

std::unique_ptr<ModelBackend> NewTorchBackend(const TorchOptions& options) {
  return std::make_unique<TorchBackend>(options);
}

}  // namespace mlhub::serving
