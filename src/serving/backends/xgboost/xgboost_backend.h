// SPDX-License-Identifier: Apache-2.0
// The XGBoost backend, on XGBoost's C API: loads the MLflow `xgboost` flavor (`model.xgb` in the
// legacy binary or UBJSON form, `.json`, `.ubj`) and predicts from dense row-major input.
//
// V2 view: one input `[-1, num_features]` (any numeric datatype; converted to float32, as
// xgboost's Python predict does), one output `output-0`: the booster's transformed prediction
// (regression value, or class probabilities: `[-1]` for binary, `[-1, classes]` for multiclass).
// Predictions come from a compiled copy of the trees where it covers the model (TreeForest),
// else from XGBoost's predictor; both give the same values.
// The pyfunc view (/invocations) turns XGBClassifier probabilities into labels, as MLflow does.
#pragma once

#include <memory>

#include "serving/backends/model_backend.h"

namespace mlhub::serving {

struct XgboostOptions {
  // Predict with the compiled TreeForest (ADR 0006) where it covers the model and agrees with
  // XGBoost on the probe rows; false: always XGBoost's own predictor.
  bool compiled_forest = true;
};

std::unique_ptr<ModelBackend> NewXgboostBackend(XgboostOptions options = {});

}  // namespace mlhub::serving
