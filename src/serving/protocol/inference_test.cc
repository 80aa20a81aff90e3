// SPDX-License-Identifier: Apache-2.0
#include "serving/protocol/inference.h"

#include <gtest/gtest.h>

#include <cstring>

namespace mlhub::serving {
namespace {

Tensor Make(std::string name, DataType type, std::vector<int64_t> shape) {
  Tensor t{std::move(name), type, shape, {}};
  t.data.resize(*ElementCount(shape) * ElementSize(type));
  return t;
}

ModelMetadata TwoInputs() {
  ModelMetadata m;
  m.platform = "fake";
  m.inputs = {{"a", DataType::kFp32, {-1, 2}}, {"b", DataType::kInt64, {-1}}};
  return m;
}

TEST(CheckInputs, PutsNamedInputsInTheModelsOrder) {
  std::vector<Tensor> in = {Make("b", DataType::kInt64, {3}), Make("a", DataType::kFp32, {3, 2})};
  ASSERT_TRUE(CheckInputs(TwoInputs(), &in).ok());
  EXPECT_EQ(in[0].name, "a");
  EXPECT_EQ(in[1].name, "b");
}

TEST(CheckInputs, RejectsWhatTheModelCannotTake) {
  const ModelMetadata m = TwoInputs();
  std::vector<std::vector<Tensor>> bad = {
      {Make("a", DataType::kFp32, {3, 2})},                                      // one missing
      {Make("a", DataType::kFp32, {3, 2}), Make("c", DataType::kInt64, {3})},    // unknown name
      {Make("a", DataType::kFp32, {3, 2}), Make("a", DataType::kFp32, {3, 2})},  // twice
      {Make("a", DataType::kFp64, {3, 2}), Make("b", DataType::kInt64, {3})},    // datatype
      {Make("a", DataType::kFp32, {3, 3}), Make("b", DataType::kInt64, {3})},    // fixed dim
      {Make("a", DataType::kFp32, {6}), Make("b", DataType::kInt64, {3})},       // rank
      {Make("a", DataType::kFp32, {3, 2}), Make("b", DataType::kInt64, {4})},    // batch sizes
  };
  for (auto& inputs : bad) {
    EXPECT_EQ(CheckInputs(m, &inputs).code(), StatusCode::kInvalidArgument);
  }
  std::vector<Tensor> short_data = {Make("a", DataType::kFp32, {3, 2}),
                                    Make("b", DataType::kInt64, {3})};
  short_data[0].data.pop_back();
  EXPECT_EQ(CheckInputs(m, &short_data).code(), StatusCode::kInvalidArgument);
}

TEST(CheckInputs, SingleInputModelsTakeAnyNameAndXgboostAnyNumericType) {
  ModelMetadata m;
  m.platform = "xgboost_json";
  m.converts_numeric_inputs = true;
  m.inputs = {{"input-0", DataType::kFp32, {-1, 13}}};
  std::vector<Tensor> in = {Make("features", DataType::kInt32, {2, 13})};
  EXPECT_TRUE(CheckInputs(m, &in).ok());
  in = {Make("features", DataType::kBool, {2, 13})};
  EXPECT_TRUE(CheckInputs(m, &in).ok());
  in = {Make("features", DataType::kFp16, {2, 13})};
  EXPECT_FALSE(CheckInputs(m, &in).ok());
  in = {Make("features", DataType::kFp32, {13})};
  EXPECT_FALSE(CheckInputs(m, &in).ok());
  m.converts_numeric_inputs = false;
  in = {Make("features", DataType::kInt32, {2, 13})};
  EXPECT_FALSE(CheckInputs(m, &in).ok());
}

ModelMetadata ThreeColumns(DataType type) {
  ModelMetadata m;
  m.platform = "fake";
  m.inputs = {{"input-0", type, {-1, 3}}};
  m.input_columns = {"a", "b", "c"};
  return m;
}

template <typename T>
Tensor Column(std::string name, DataType type, std::vector<T> values, bool as_matrix = false) {
  const auto rows = static_cast<int64_t>(values.size());
  Tensor t = Make(std::move(name), type,
                  as_matrix ? std::vector<int64_t>{rows, 1} : std::vector<int64_t>{rows});
  std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}

TEST(CheckInputs, GathersOneInputPerColumnInTheSignaturesOrder) {
  // Named as the columns, in another order, of several datatypes and both shapes.
  std::vector<Tensor> in = {Column<int64_t>("c", DataType::kInt64, {7, -8}),
                            Column<float>("a", DataType::kFp32, {0.5f, 1.5f}, true),
                            Column<uint8_t>("b", DataType::kBool, {1, 0})};
  ASSERT_TRUE(CheckInputs(ThreeColumns(DataType::kFp64), &in).ok());
  ASSERT_EQ(in.size(), 1u);
  EXPECT_EQ(in[0].name, "input-0");
  EXPECT_EQ(in[0].datatype, DataType::kFp64);
  EXPECT_EQ(in[0].shape, (std::vector<int64_t>{2, 3}));
  const double* v = in[0].As<double>();
  EXPECT_EQ(std::vector<double>(v, v + 6), (std::vector<double>{0.5, 1, 7, 1.5, 0, -8}));

  in = {Column<double>("b", DataType::kFp64, {0.1}), Column<double>("a", DataType::kFp64, {2}),
        Column<int32_t>("c", DataType::kInt32, {3})};
  ASSERT_TRUE(CheckInputs(ThreeColumns(DataType::kFp32), &in).ok());
  const float* f = in[0].As<float>();
  EXPECT_EQ(std::vector<float>(f, f + 3), (std::vector<float>{2, 0.1f, 3}));
}

TEST(CheckInputs, ColumnInputsMustBeCompleteNumericColumns) {
  const ModelMetadata m = ThreeColumns(DataType::kFp64);
  auto columns = [](std::vector<Tensor> extra) {
    std::vector<Tensor> in = {Column<double>("a", DataType::kFp64, {1, 2}),
                              Column<double>("b", DataType::kFp64, {1, 2})};
    for (Tensor& t : extra) in.push_back(std::move(t));
    return in;
  };
  std::vector<std::pair<std::vector<Tensor>, std::string>> bad;
  bad.emplace_back(columns({}), "input 'c' is missing");
  bad.emplace_back(columns({Column<double>("b", DataType::kFp64, {1, 2})}), "'b' given twice");
  bad.emplace_back(columns({Column<double>("c", DataType::kFp64, {1, 2, 3})}), "batch size");
  bad.emplace_back(columns({Make("c", DataType::kFp64, {2, 2})}), "[N] or [N, 1]");
  bad.emplace_back(columns({Make("c", DataType::kFp16, {2})}), "must be numbers");
  for (auto& [inputs, message] : bad) {
    Status status = CheckInputs(m, &inputs);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << message;
    EXPECT_NE(status.message().find(message), std::string::npos) << status.message();
  }
  // Not named after the columns, or one tensor of all columns: the usual single-input rules.
  std::vector<Tensor> in = {Make("input-0", DataType::kFp64, {2, 3})};
  EXPECT_TRUE(CheckInputs(m, &in).ok());
  in = {Make("a", DataType::kFp64, {2, 3})};
  EXPECT_TRUE(CheckInputs(m, &in).ok());
  in = {Make("x", DataType::kFp64, {2}), Make("a", DataType::kFp64, {2})};
  EXPECT_NE(CheckInputs(m, &in).message().find("takes 1 input(s)"), std::string::npos);
}

TEST(SelectOutputs, KeepsTheRequestedOnesInOrder) {
  std::vector<Tensor> out = {Make("p", DataType::kFp32, {1}), Make("q", DataType::kFp32, {1})};
  EXPECT_EQ(SelectOutputs(out, {}).value().size(), 2u);
  auto q = SelectOutputs(out, {"q"});
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->size(), 1u);
  EXPECT_EQ((*q)[0].name, "q");
  EXPECT_EQ(SelectOutputs(out, {"r"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SelectOutputs(out, {"q", "q"}).status().code(), StatusCode::kInvalidArgument);
}

TEST(HttpStatusFor, FollowsTheV2Table) {
  EXPECT_EQ(HttpStatusFor(InvalidArgumentError("x")), 400);
  EXPECT_EQ(HttpStatusFor(NotFoundError("x")), 404);
  EXPECT_EQ(HttpStatusFor(UnavailableError("x")), 503);
  EXPECT_EQ(HttpStatusFor(UnimplementedError("x")), 501);
  EXPECT_EQ(HttpStatusFor(InternalError("x")), 500);
}

}  // namespace
}  // namespace mlhub::serving
