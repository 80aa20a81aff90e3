// SPDX-License-Identifier: Apache-2.0
#include "serving/protocol/inference.h"

#include <gtest/gtest.h>

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
