// SPDX-License-Identifier: Apache-2.0
#include "serving/backends/xgboost/xgboost_backend.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <xgboost/c_api.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/json_reader.h"
#include "serving/backends/xgboost/tree_forest.h"

namespace mlhub::serving {
namespace {

std::string LastError() { return XGBGetLastError(); }

// Converts any numeric tensor to float32 rows (XGBoost computes in float32 anyway).
Status ToFloat32(const Tensor& in, size_t count, std::vector<float>* out) {
  out->resize(count);
  const bool numeric = VisitArithmetic(in.datatype, [&](auto zero) {
    const auto* values = in.As<decltype(zero)>();
    for (size_t i = 0; i < count; ++i) (*out)[i] = static_cast<float>(values[i]);
  });
  if (numeric) return OkStatus();
  return InvalidArgumentError(
      fmt::format("input '{}': XGBoost cannot take {} data", in.name, DataTypeName(in.datatype)));
}

class XgboostModel final : public LoadedModel {
 public:
  XgboostModel(BoosterHandle booster, DMatrixHandle proxy, ModelMetadata metadata,
               uint64_t num_features, int values_per_row, bool labels_for_pyfunc, bool inplace)
      : booster_(booster),
        proxy_(proxy),
        metadata_(std::move(metadata)),
        num_features_(num_features),
        values_per_row_(values_per_row),
        labels_for_pyfunc_(labels_for_pyfunc),
        inplace_(inplace) {}
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
    out.shape = {rows};
    if (values_per_row_ > 1) out.shape.push_back(values_per_row_);
    out.data.resize(static_cast<size_t>(rows) * values_per_row_ * sizeof(float));
    if (rows == 0) return std::vector<Tensor>{std::move(out)};
    if (forest_) {
      forest_->Predict(values, static_cast<size_t>(rows), out.MutableAs<float>());
    } else {
      RETURN_IF_ERROR(PredictWithLibrary(values, rows, &out));
    }
    return std::vector<Tensor>{std::move(out)};
  }

  // Switches Execute to `forest` when it predicts what XGBoost's own predictor does on the
  // forest's probe rows (FailedPrecondition, and XGBoost's predictor stays, otherwise).
  Status AdoptForest(std::shared_ptr<const TreeForest> shared) {
    constexpr size_t kProbes = 256;
    const TreeForest& forest = *shared;
    if (forest.num_features() != num_features_ ||
        forest.num_outputs() != static_cast<uint32_t>(values_per_row_)) {
      return FailedPreconditionError("its feature or output count differs from XGBoost's");
    }
    std::vector<float> probes = forest.ProbeRows(kProbes);
    Tensor expected;
    expected.data.resize(kProbes * forest.num_outputs() * sizeof(float));
    RETURN_IF_ERROR(PredictWithLibrary(probes.data(), kProbes, &expected));
    std::vector<float> actual(kProbes * forest.num_outputs());
    forest.Predict(probes.data(), kProbes, actual.data());
    const float* want = expected.As<float>();
    for (size_t i = 0; i < actual.size(); ++i) {
      if (!(std::fabs(actual[i] - want[i]) <= 1e-6f * std::fabs(want[i]))) {
        return FailedPreconditionError(
            fmt::format("it predicts {} where XGBoost predicts {} (probe row {})", actual[i],
                        want[i], i / forest.num_outputs()));
      }
    }
    forest_ = std::move(shared);
    return OkStatus();
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
  // XGBoost's own predictor, into `out` (already sized for rows × outputs).
  Status PredictWithLibrary(const float* values, int64_t rows, Tensor* out) {
    std::string array =
        fmt::format(R"({{"data": [{}, true], "shape": [{}, {}], "typestr": "<f4", "version": 3}})",
                    reinterpret_cast<uintptr_t>(values), rows, num_features_);
    const bst_ulong* out_shape = nullptr;
    bst_ulong out_dim = 0;
    const float* result = nullptr;
    DMatrixHandle matrix = nullptr;
    struct FreeMatrix {
      DMatrixHandle& matrix;
      ~FreeMatrix() {
        if (matrix != nullptr) XGDMatrixFree(matrix);
      }
    } free_matrix{matrix};
    int rc = 0;
    if (inplace_) {
      rc = XGBoosterPredictFromDense(booster_, array.c_str(), kPredictConfig, proxy_, &out_shape,
                                     &out_dim, &result);
    } else {
      rc = XGDMatrixCreateFromMat(values, rows, num_features_, std::nanf(""), &matrix);
      if (rc == 0) {
        rc = XGBoosterPredictFromDMatrix(booster_, matrix, kPredictConfig, &out_shape, &out_dim,
                                         &result);
      }
    }
    if (rc != 0) return InternalError(fmt::format("XGBoost prediction failed: {}", LastError()));
    size_t total = 1;
    for (bst_ulong i = 0; i < out_dim; ++i) total *= out_shape[i];
    if (total * sizeof(float) != out->data.size())
      return InternalError(fmt::format("XGBoost returned {} values, not {}", total,
                                       out->data.size() / sizeof(float)));
    // The result buffer belongs to the booster and is reused by its next call: copy it.
    std::memcpy(out->data.data(), result, out->data.size());
    return OkStatus();
  }

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
  int values_per_row_;  // 1, or the class count for multi:softprob
  bool labels_for_pyfunc_;
  bool inplace_;  // XGBoost predicts from our rows in place (not for gblinear: from a DMatrix)
  // When set, Execute predicts with it (ADR 0006); the instances of one model share it.
  std::shared_ptr<const TreeForest> forest_;
  std::vector<float> converted_;  // scratch for non-float32 input; Execute is never concurrent
};

// What the booster's saved JSON configuration says of it.
struct LearnerConfig {
  std::string booster;  // gbtree, dart, gblinear
  std::string objective;
  int num_classes = 0;
};

StatusOr<LearnerConfig> ReadLearnerConfig(BoosterHandle booster) {
  bst_ulong length = 0;
  const char* text = nullptr;
  if (XGBoosterSaveJsonConfig(booster, &length, &text) != 0)
    return InternalError(fmt::format("XGBoost: cannot read the model config: {}", LastError()));
  std::string config(text, length);
  ASSIGN_OR_RETURN(json::Element root, json::ParseJson(config));
  LearnerConfig out;
  auto name = root.at_pointer("/learner/gradient_booster/name").get_string();
  if (!name.error()) out.booster = std::string(name.value());
  auto objective = root.at_pointer("/learner/objective/name").get_string();
  if (!objective.error()) out.objective = std::string(objective.value());
  auto classes = root.at_pointer("/learner/learner_model_param/num_class").get_string();
  if (!classes.error()) out.num_classes = std::atoi(std::string(classes.value()).c_str());
  return out;
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

// The model in `file`, compiled. A booster of its own writes the JSON and is freed on this
// thread: XGBoost keeps written text in a per-thread entry of the booster, which only the thread
// that frees the booster drops (the serving booster may be freed on another).
StatusOr<TreeForest> CompileForest(const std::filesystem::path& file) {
  BoosterHandle booster = nullptr;
  if (XGBoosterCreate(nullptr, 0, &booster) != 0)
    return InternalError(fmt::format("XGBoost: {}", LastError()));
  bst_ulong length = 0;
  const char* text = nullptr;
  StatusOr<TreeForest> forest = InternalError("");
  if (XGBoosterLoadModel(booster, file.c_str()) != 0 ||
      XGBoosterSaveModelToBuffer(booster, R"({"format": "json"})", &length, &text) != 0) {
    forest = InternalError(fmt::format("XGBoost cannot write the model as JSON: {}", LastError()));
  } else {
    forest = TreeForest::FromXgboostJson(std::string_view(text, length));
  }
  XGBoosterFree(booster);
  return forest;
}

// What a model file holds, for telling whether a forest compiled earlier still fits it: its
// path, size and an FNV-1a hash of its bytes, read a block at a time.
StatusOr<std::string> FileFingerprint(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return InternalError(fmt::format("cannot read {}", file.string()));
  uint64_t hash = 0xcbf29ce484222325u;
  uint64_t size = 0;
  std::vector<char> block(size_t{64} << 10);  // under glibc's mmap threshold: no threshold bump
  while (in) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    const auto n = static_cast<size_t>(in.gcount());
    for (size_t i = 0; i < n; ++i)
      hash = (hash ^ static_cast<unsigned char>(block[i])) * 0x100000001b3u;
    size += n;
  }
  if (in.bad()) return InternalError(fmt::format("cannot read {}", file.string()));
  return fmt::format("{}:{}:{:x}", file.string(), size, hash);
}

// Compiled forests by file fingerprint, while some instance uses them: a model's instances, and
// a reload of the same file, compile once.
class ForestCache {
 public:
  StatusOr<std::shared_ptr<const TreeForest>> Get(const std::filesystem::path& file) {
    ASSIGN_OR_RETURN(std::string key, FileFingerprint(file));
    std::lock_guard<std::mutex> lock(mu_);
    std::erase_if(forests_, [](const auto& entry) { return entry.second.expired(); });
    if (auto it = forests_.find(key); it != forests_.end()) {
      if (auto forest = it->second.lock()) return forest;
    }
    ASSIGN_OR_RETURN(TreeForest compiled, CompileForest(file));
    auto forest = std::make_shared<const TreeForest>(std::move(compiled));
    forests_[key] = forest;
    return forest;
  }

 private:
  std::mutex mu_;  // also makes compiles one at a time
  std::map<std::string, std::weak_ptr<const TreeForest>> forests_;
};

class XgboostBackend final : public ModelBackend {
 public:
  explicit XgboostBackend(XgboostOptions options) : options_(options) {}
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
    StatusOr<LearnerConfig> config = ReadLearnerConfig(booster);
    if (!config.ok()) return fail(config.status().message());
    const std::string& objective = config->objective;
    const int num_classes = config->num_classes;

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
    // XGBoost answers one value per row (a regression value, a probability, a class for
    // multi:softmax), except for multi:softprob: one probability per class.
    const int values_per_row = objective == "multi:softprob" ? std::max(num_classes, 1) : 1;
    std::vector<int64_t> output_shape = {-1};
    if (values_per_row > 1) output_shape.push_back(values_per_row);
    metadata.outputs.push_back({"output-0", DataType::kFp32, output_shape});
    std::string model_class = model.FlavorValue("xgboost", "model_class").value_or("");
    bool classifier = model_class.find("Classifier") != std::string::npos;
    metadata.is_classifier = classifier;
    auto loaded =
        std::make_unique<XgboostModel>(booster, proxy, std::move(metadata), num_features,
                                       values_per_row, classifier && objective != "multi:softmax",
                                       /*inplace=*/config->booster != "gblinear");
    if (options_.compiled_forest) {
      StatusOr<std::shared_ptr<const TreeForest>> forest = forests_.Get(file);
      std::string shape = forest.ok() ? fmt::format("{} trees, depth {}", (*forest)->num_trees(),
                                                    (*forest)->depth())
                                      : "";
      Status adopted = forest.ok() ? loaded->AdoptForest(*std::move(forest)) : forest.status();
      if (adopted.ok()) {
        spdlog::info("{}: compiled XGBoost forest ({})", file.string(), shape);
      } else {
        spdlog::info("{}: XGBoost's own predictor, not the compiled forest: {}", file.string(),
                     adopted.message());
      }
    }
    return std::unique_ptr<LoadedModel>(std::move(loaded));
  }

 private:
  XgboostOptions options_;
  ForestCache forests_;
};

}  // namespace

std::unique_ptr<ModelBackend> NewXgboostBackend(XgboostOptions options) {
  return std::make_unique<XgboostBackend>(options);
}

}  // namespace mlhub::serving
