// SPDX-License-Identifier: Apache-2.0
#include "serving/backends/tensor.h"

#include <gtest/gtest.h>

namespace mlhub::serving {
namespace {

TEST(Tensor, DataTypeNamesRoundTrip) {
  for (DataType type :
       {DataType::kBool, DataType::kUint8, DataType::kUint16, DataType::kUint32, DataType::kUint64,
        DataType::kInt8, DataType::kInt16, DataType::kInt32, DataType::kInt64, DataType::kFp16,
        DataType::kFp32, DataType::kFp64, DataType::kBf16, DataType::kBytes}) {
    EXPECT_EQ(ParseDataType(DataTypeName(type)), type) << DataTypeName(type);
  }
  EXPECT_FALSE(ParseDataType("FLOAT32").has_value());
  EXPECT_FALSE(ParseDataType("fp32").has_value());
  EXPECT_EQ(ElementSize(DataType::kFp16), 2u);
  EXPECT_EQ(ElementSize(DataType::kInt64), 8u);
  EXPECT_EQ(ElementSize(DataType::kBytes), 0u);
}

TEST(Tensor, ElementCountRejectsNegativeAndOverflowingShapes) {
  EXPECT_EQ(*ElementCount({2, 13}), 26);
  EXPECT_EQ(*ElementCount({}), 1);
  EXPECT_EQ(*ElementCount({0, 13}), 0);
  EXPECT_FALSE(ElementCount({-1, 13}).ok());
  EXPECT_FALSE(ElementCount({int64_t{1} << 40, int64_t{1} << 40}).ok());
}

TEST(Tensor, ValidateChecksFixedSizeData) {
  Tensor t{"x", DataType::kFp32, {2, 3}, std::string(24, '\0')};
  EXPECT_TRUE(ValidateTensorData(t).ok());
  t.data.resize(20);
  Status s = ValidateTensorData(t);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("'x'"), std::string::npos) << s.message();
}

std::string Bytes(std::initializer_list<std::string> elements) {
  std::string out;
  for (const std::string& e : elements) {
    uint32_t n = e.size();
    out.append(reinterpret_cast<const char*>(&n), 4);
    out.append(e);
  }
  return out;
}

TEST(Tensor, ValidateChecksBytesElements) {
  Tensor t{"s", DataType::kBytes, {2}, Bytes({"ab", ""})};
  EXPECT_TRUE(ValidateTensorData(t).ok());
  t.shape = {3};
  EXPECT_FALSE(ValidateTensorData(t).ok());  // two elements, shape says three
  t.shape = {2};
  t.data.pop_back();  // "" element's prefix is cut
  EXPECT_FALSE(ValidateTensorData(t).ok());
  t.data = Bytes({"ab", "c"});
  t.data.back() = 'x';
  t.data.resize(t.data.size() - 2);  // the last element runs past the end
  EXPECT_FALSE(ValidateTensorData(t).ok());
}

}  // namespace
}  // namespace mlhub::serving
