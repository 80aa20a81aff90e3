// SPDX-License-Identifier: Apache-2.0
#include "serving/backends/mlmodel.h"

#include <gtest/gtest.h>

namespace mlhub::serving {
namespace {

// The shape MLflow 2.x writes for mlflow.xgboost.log_model with a signature.
constexpr const char* kXgboostMlmodel = R"(artifact_path: model
flavors:
  python_function:
    data: model.xgb
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.xgboost
    python_version: 3.11.2
  xgboost:
    code: null
    data: model.xgb
    model_class: xgboost.sklearn.XGBRegressor
    model_format: xgb
    xgb_version: 1.7.4
mlflow_version: 2.9.2
model_uuid: 3c8a
run_id: 5f2e
signature:
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 13]}}]'
  outputs: '[{"type": "double", "name": "y", "required": true}]'
  params: null
utc_time_created: '2026-12-01 10:00:00.000000'
)";

TEST(MlModel, ReadsFlavorsAndSignature) {
  auto model = ParseMlModel(kXgboostMlmodel, "/models/m");
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ(model->dir, "/models/m");
  EXPECT_EQ(model->FlavorValue("xgboost", "model_class"), "xgboost.sklearn.XGBRegressor");
  EXPECT_EQ(model->FlavorValue("python_function", "loader_module"), "mlflow.xgboost");
  EXPECT_FALSE(model->FlavorValue("xgboost", "code").has_value());  // null is not a setting
  EXPECT_FALSE(model->FlavorValue("pytorch", "data").has_value());
  EXPECT_EQ(model->run_id, "5f2e");
  ASSERT_TRUE(model->has_signature);
  ASSERT_EQ(model->signature_inputs.size(), 1u);
  EXPECT_TRUE(model->signature_inputs[0].is_tensor);
  EXPECT_EQ(model->signature_inputs[0].type, "float32");
  EXPECT_EQ(model->signature_inputs[0].shape, (std::vector<int64_t>{-1, 13}));
  EXPECT_EQ(SignatureDataType(model->signature_inputs[0]), DataType::kFp32);
  ASSERT_EQ(model->signature_outputs.size(), 1u);
  EXPECT_EQ(model->signature_outputs[0].name, "y");
  EXPECT_EQ(SignatureDataType(model->signature_outputs[0]), DataType::kFp64);
}

TEST(MlModel, ColumnSignatureKeepsNamesAndOrder) {
  auto model = ParseMlModel(R"(flavors: {xgboost: {data: model.json}}
signature:
  inputs: '[{"type": "long", "name": "b"}, {"type": "double", "name": "a", "required": false}]'
)",
                            "/m");
  ASSERT_TRUE(model.ok()) << model.status().message();
  ASSERT_EQ(model->signature_inputs.size(), 2u);
  EXPECT_EQ(model->signature_inputs[0].name, "b");
  EXPECT_EQ(SignatureDataType(model->signature_inputs[0]), DataType::kInt64);
  EXPECT_FALSE(model->signature_inputs[1].required);
  EXPECT_TRUE(model->signature_outputs.empty());
}

TEST(MlModel, MalformedFilesAreInvalidArgument) {
  for (const char* text :
       {"", "just text", "flavors: [1, 2]", "flavors: {a: 1}\nsignature:\n  inputs: 'not json'",
        "flavors: {x: {}}\nsignature:\n  inputs: '[{\"name\": \"no type\"}]'",
        "flavors: {x: {}\n  bad: [",
        "flavors: {x: {}}\nsignature:\n  inputs: '[{\"type\": \"tensor\"}]'"}) {
    auto model = ParseMlModel(text, "/m");
    EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument) << text;
  }
  EXPECT_EQ(ReadMlModel("/nonexistent/dir").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mlhub::serving
