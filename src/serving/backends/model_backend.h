// SPDX-License-Identifier: Apache-2.0
// The contract between the serving core and a model runtime (XGBoost, TorchScript): a
// ModelBackend turns an MLflow model directory into LoadedModel instances, and a LoadedModel runs
// batches. The batcher concatenates requests along dimension 0 before Execute and splits outputs
// after it, so a backend only ever sees one batch.
//
// Threading: Load may run concurrently with anything. Execute is never called concurrently on one
// LoadedModel (the scheduler gives each instance one thread); scale by loading more instances.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "serving/backends/mlmodel.h"
#include "serving/backends/tensor.h"

namespace mlhub::serving {

// What clients see in V2 model metadata, and what requests are checked against.
struct ModelMetadata {
  std::string platform;  // e.g. "xgboost_xgb"
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
  // For column-based MLflow signatures: the column names, in the order they make up the single
  // input's last dimension (/invocations maps dataframe columns by these). Empty otherwise.
  std::vector<std::string> input_columns;
  // True when Execute takes any numeric datatype (except FP16/BF16) for every input and converts
  // it itself (XGBoost computes in float32 whatever it is given); otherwise inputs must match
  // their declared datatype.
  bool converts_numeric_inputs = false;
  // MLflow pyfunc's predict for classifiers returns labels where V2 returns probabilities:
  // /invocations asks for this output transform.
  bool is_classifier = false;
  // MLflow's pyfunc for this flavor answers a DataFrame input (dataframe_split / _records, CSV)
  // with a DataFrame (pytorch does), which its scoring server writes as records:
  // [{"0": v, "1": w}, ...].
  bool pyfunc_returns_dataframe = false;
};

class LoadedModel {
 public:
  virtual ~LoadedModel() = default;
  virtual const ModelMetadata& metadata() const = 0;

  // Runs one batch. `inputs` match metadata().inputs in order (the protocol layer checked names,
  // datatypes and shapes, except the types a backend converts itself, e.g. any numeric type for
  // XGBoost). Returns every output, batch dimension first. InvalidArgument for input the model
  // cannot take (e.g. wrong feature count); Internal for a runtime failure.
  virtual StatusOr<std::vector<Tensor>> Execute(const std::vector<Tensor>& inputs) = 0;

  // True when a batch takes microseconds of CPU (XGBoost): the scheduler may then run it on the
  // thread that submitted the request instead of waking an instance thread for it.
  virtual bool RunsInline() const { return false; }

  // Turns a batch of Execute's outputs into what MLflow's pyfunc `predict` would return (labels
  // for classifiers); the default returns the outputs unchanged.
  virtual std::vector<Tensor> PyfuncPredictions(std::vector<Tensor> outputs) const {
    return outputs;
  }
};

class ModelBackend {
 public:
  virtual ~ModelBackend() = default;
  // The MLflow flavor this backend loads ("xgboost").
  virtual std::string flavor() const = 0;
  // Loads one instance from a parsed model directory.
  virtual StatusOr<std::unique_ptr<LoadedModel>> Load(const MlModel& model) = 0;
};

}  // namespace mlhub::serving
