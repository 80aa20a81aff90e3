// SPDX-License-Identifier: Apache-2.0
#include "serving/backends/xgboost/xgboost_backend.h"

#include <fmt/format.h>
#include <xgboost/c_api.h>

#include <cmath>
#include <cstring>
#include <string>

#include "common/json_reader.h"

namespace mlhub::serving {
namespace {

std::string LastError() { return XGBGetLastError(); }

// Converts any numeric tensor to float32 rows (XGBoost computes in float32 anyway).
template <typename T>
void ConvertTo(const Tensor& in, size_t count, std::vector<float>* out) {
  const T* values = in.As<T>();
  out->resize(count);
  for (size_t i = 0; i < count; ++i) (*out)[i] = static_cast<float>(values[i]);
}

Status ToFloat32(const Tensor& in, size_t count, std::vector<float>* out) {
  switch (in.datatype) {
    case DataType::kBool:
    case DataType::kUint8:
      ConvertTo<uint8_t>(in, count, out);
      break;
    case DataType::kUint16:
      ConvertTo<uint16_t>(in, count, out);
      break;
    case DataType::kUint32:
      ConvertTo<uint32_t>(in, count, out);
      break;
    case DataType::kUint64:
      ConvertTo<uint64_t>(in, count, out);
      break;
    case DataType::kInt8:
      ConvertTo<int8_t>(in, count, out);
      break;
    case DataType::kInt16:
      ConvertTo<int16_t>(in, count, out);
      break;
    case DataType::kInt32:
      ConvertTo<int32_t>(in, count, out);
      break;
    case DataType::kInt64:
      ConvertTo<int64_t>(in, count, out);
      break;
    case DataType::kFp64:
      ConvertTo<double>(in, count, out);
      break;
    default:
      return InvalidArgumentError(fmt::format("input '{}': XGBoost cannot take {} data", in.name,
                                              DataTypeName(in.datatype)));
  }
  return OkStatus();
}

class XgboostModel final : public LoadedModel {
 public:
  XgboostModel(BoosterHandle booster, DMatrixHandle proxy, ModelMetadata metadata,
               uint64_t num_features, int num_classes, bool labels_for_pyfunc)
      : booster_(booster),
        proxy_(proxy),
        metadata_(std::move(metadata)),
        num_features_(num_features),
        num_classes_(num_classes),
        labels_for_pyfunc_(labels_for_pyfunc) {}
  ~XgboostModel() override {
    XGDMatrixFree(proxy_);
    XGBoosterFree(booster_);
  }

  const ModelMetadata& metadata() const override { return metadata_; }
  // One tree walk per row at nthread=1: tens of microseconds per batch.
  bool RunsInline() const override { return true; }

  StatusOr<std::vector<Tensor>> Execute(const std::vector<Tensor>& inputs) override {
    if (inputs.size() != 1) return InvalidArgumentError("XGBoost models take exactly one input");
    const Tensor& in = inputs[0];
    if (in.shape.size() != 2 || in.shape[1] != static_cast<int64_t>(num_features_)) {
      return InvalidArgumentError(
          fmt::format("input '{}': shape {} does not match the model's [-1, {}] ({} features)",
                      in.name, ShapeString(in.shape), num_features_, num_features_));
    }
    const int64_t rows = in.shape[0];
    const size_t count = static_cast<size_t>(rows) * num_features_;
    const float* values = in.As<float>();
    if (in.datatype != DataType::kFp32) {
      RETURN_IF_ERROR(ToFloat32(in, count, &converted_));
      values = converted_.data();
    }
    Tensor out;
    out.name = metadata_.outputs[0].name;
    out.datatype = DataType::kFp32;
    if (rows == 0) {
      out.shape =
          num_classes_ > 2 ? std::vector<int64_t>{0, num_classes_} : std::vector<int64_t>{0};
      return std::vector<Tensor>{std::move(out)};
    }
    std::string array =
        fmt::format(R"({{"data": [{}, true], "shape": [{}, {}], "typestr": "<f4", "version": 3}})",
                    reinterpret_cast<uintptr_t>(values), rows, num_features_);
    const bst_ulong* out_shape = nullptr;
    bst_ulong out_dim = 0;
    const float* result = nullptr;
    if (XGBoosterPredictFromDense(booster_, array.c_str(), kPredictConfig, proxy_, &out_shape,
                                  &out_dim, &result) != 0) {
      return InternalError(fmt::format("XGBoost prediction failed: {}", LastError()));
    }
    size_t total = 1;
    for (bst_ulong i = 0; i < out_dim; ++i) {
      out.shape.push_back(static_cast<int64_t>(out_shape[i]));
      total *= out_shape[i];
    }
    // The result buffer belongs to the booster and is reused by its next call: copy it.
    out.data.assign(reinterpret_cast<const char*>(result), total * sizeof(float));
    return std::vector<Tensor>{std::move(out)};
  }

  std::vector<Tensor> PyfuncPredictions(std::vector<Tensor> outputs) const override {
    if (!labels_for_pyfunc_ || outputs.empty()) return outputs;
    // XGBClassifier.predict: probability > 0.5 for binary, argmax over classes otherwise.
    const Tensor& probabilities = outputs[0];
    const float* p = probabilities.As<float>();
    const int64_t rows = probabilities.shape.empty() ? 0 : probabilities.shape[0];
    const int64_t classes = probabilities.shape.size() == 2 ? probabilities.shape[1] : 1;
    Tensor labels;
    labels.name = probabilities.name;
    labels.datatype = DataType::kInt64;
    labels.shape = {rows};
    labels.data.resize(rows * sizeof(int64_t));
    int64_t* out = labels.MutableAs<int64_t>();
    for (int64_t r = 0; r < rows; ++r) {
      if (classes == 1) {
        out[r] = p[r] > 0.5f ? 1 : 0;
      } else {
        int64_t best = 0;
        for (int64_t c = 1; c < classes; ++c) {
          if (p[r * classes + c] > p[r * classes + best]) best = c;
        }
        out[r] = best;
      }
    }
    return {std::move(labels)};
  }

 private:
  // cache_id 0 is required by 1.7's C API; type 0 = transformed prediction (probabilities).
  static constexpr const char* kPredictConfig =
      R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0,)"
      R"( "strict_shape": false, "cache_id": 0, "missing": NaN})";

  BoosterHandle booster_;
  // Reused by every prediction: without one, XGBoost makes a proxy per call, and each re-reads
  // the cgroup CPU quota from /sys (measured: 27 µs → 8.6 µs per batch-1 prediction).
  DMatrixHandle proxy_;
  ModelMetadata metadata_;
  uint64_t num_features_;
  int num_classes_;
  bool labels_for_pyfunc_;
  std::vector<float> converted_;  // scratch for non-float32 input; Execute is never concurrent
};

// The objective and class count, from the booster's saved JSON configuration.
Status ReadObjective(BoosterHandle booster, std::string* objective, int* num_classes) {
  bst_ulong length = 0;
  const char* text = nullptr;
  if (XGBoosterSaveJsonConfig(booster, &length, &text) != 0)
    return InternalError(fmt::format("XGBoost: cannot read the model config: {}", LastError()));
  std::string config(text, length);
  ASSIGN_OR_RETURN(json::Element root, json::ParseJson(config));
  auto name = root.at_pointer("/learner/objective/name").get_string();
  if (!name.error()) *objective = std::string(name.value());
  auto classes = root.at_pointer("/learner/learner_model_param/num_class").get_string();
  *num_classes = 0;
  if (!classes.error()) *num_classes = std::atoi(std::string(classes.value()).c_str());
  return OkStatus();
}

// The V2 input: the signature's name and datatype when it gives them, else `input-0` FP32.
TensorSpec InputSpec(const MlModel& model, uint64_t num_features) {
  TensorSpec spec{"input-0", DataType::kFp32, {-1, static_cast<int64_t>(num_features)}};
  const auto& fields = model.signature_inputs;
  if (fields.size() == 1 && fields[0].is_tensor) {
    if (!fields[0].name.empty()) spec.name = fields[0].name;
    if (auto type = SignatureDataType(fields[0])) spec.datatype = *type;
  } else if (!fields.empty()) {
    // Columns: one [-1, columns] input of their common type (FP64 when they differ).
    std::optional<DataType> common = SignatureDataType(fields[0]);
    for (const SignatureField& field : fields) {
      if (SignatureDataType(field) != common) common = DataType::kFp64;
    }
    if (common && IsNumeric(*common)) spec.datatype = *common;
  }
  return spec;
}

class XgboostBackend final : public ModelBackend {
 public:
  std::string flavor() const override { return "xgboost"; }

  StatusOr<std::unique_ptr<LoadedModel>> Load(const MlModel& model) override {
    std::string data = model.FlavorValue("xgboost", "data").value_or("model.xgb");
    if (data.find("..") != std::string::npos)
      return InvalidArgumentError(fmt::format("xgboost flavor: bad data path '{}'", data));
    std::filesystem::path file = model.dir / data;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec))
      return InvalidArgumentError(fmt::format("xgboost model file {} not found", file.string()));

    BoosterHandle booster = nullptr;
    if (XGBoosterCreate(nullptr, 0, &booster) != 0)
      return InternalError(fmt::format("XGBoost: {}", LastError()));
    auto fail = [&](std::string message) {
      XGBoosterFree(booster);
      return InvalidArgumentError(std::move(message));
    };
    if (XGBoosterLoadModel(booster, file.c_str()) != 0)
      return fail(fmt::format("XGBoost cannot load {}: {}", file.string(), LastError()));
    // One thread per prediction: requests run in parallel across instances instead.
    if (XGBoosterSetParam(booster, "nthread", "1") != 0)
      return fail(fmt::format("XGBoost: {}", LastError()));
    bst_ulong num_features = 0;
    if (XGBoosterGetNumFeature(booster, &num_features) != 0)
      return fail(fmt::format("XGBoost: {}", LastError()));
    std::string objective;
    int num_classes = 0;
    if (Status s = ReadObjective(booster, &objective, &num_classes); !s.ok())
      return fail(s.message());

    DMatrixHandle proxy = nullptr;
    if (XGProxyDMatrixCreate(&proxy) != 0) return fail(fmt::format("XGBoost: {}", LastError()));

    ModelMetadata metadata;
    std::string format = model.FlavorValue("xgboost", "model_format").value_or("xgb");
    metadata.platform = "xgboost_" + format;
    metadata.converts_numeric_inputs = true;
    metadata.inputs.push_back(InputSpec(model, num_features));
    if (!model.signature_inputs.empty() && !model.signature_inputs[0].is_tensor) {
      for (const SignatureField& field : model.signature_inputs)
        metadata.input_columns.push_back(field.name);
    }
    std::vector<int64_t> output_shape = {-1};
    if (num_classes > 2 || objective == "multi:softprob") output_shape.push_back(num_classes);
    metadata.outputs.push_back({"output-0", DataType::kFp32, output_shape});
    std::string model_class = model.FlavorValue("xgboost", "model_class").value_or("");
    bool classifier = model_class.find("Classifier") != std::string::npos;
    metadata.is_classifier = classifier;
    return std::unique_ptr<LoadedModel>(std::make_unique<XgboostModel>(
        booster, proxy, std::move(metadata), num_features, num_classes > 2 ? num_classes : 1,
        classifier && objective != "multi:softmax"));
  }
};

}  // namespace

std::unique_ptr<ModelBackend> NewXgboostBackend() { return std::make_unique<XgboostBackend>(); }

}  // namespace mlhub::serving
