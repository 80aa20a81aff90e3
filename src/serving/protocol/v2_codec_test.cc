// SPDX-License-Identifier: Apache-2.0
#include "serving/protocol/v2_codec.h"

#include <gtest/gtest.h>

#include <cstring>

namespace mlhub::serving {
namespace {

std::vector<float> Floats(const Tensor& t) {
  std::vector<float> v(t.data.size() / sizeof(float));
  std::memcpy(v.data(), t.data.data(), t.data.size());
  return v;
}

TEST(V2Codec, DecodesFlatAndNestedDataAlike) {
  auto flat = DecodeV2Request(
      R"({"id":"r1","inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","data":[1,2.5,3,4]}]})",
      std::nullopt);
  ASSERT_TRUE(flat.ok()) << flat.status().message();
  auto nested = DecodeV2Request(
      R"({"inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","data":[[1,2.5],[3,4]]}]})",
      std::nullopt);
  ASSERT_TRUE(nested.ok()) << nested.status().message();
  EXPECT_EQ(*flat->id, "r1");
  EXPECT_FALSE(nested->id.has_value());
  ASSERT_EQ(flat->inputs.size(), 1u);
  EXPECT_EQ(flat->inputs[0].shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(Floats(flat->inputs[0]), (std::vector<float>{1, 2.5, 3, 4}));
  EXPECT_EQ(flat->inputs[0].data, nested->inputs[0].data);
}

TEST(V2Codec, DecodesEveryJsonDatatype) {
  auto r = DecodeV2Request(R"({"inputs":[
      {"name":"b","shape":[2],"datatype":"BOOL","data":[true,false]},
      {"name":"u8","shape":[2],"datatype":"UINT8","data":[0,255]},
      {"name":"i16","shape":[1],"datatype":"INT16","data":[-32768]},
      {"name":"i64","shape":[1],"datatype":"INT64","data":[-9007199254740993]},
      {"name":"u64","shape":[1],"datatype":"UINT64","data":[18446744073709551615]},
      {"name":"f64","shape":[1],"datatype":"FP64","data":[0.1]},
      {"name":"s","shape":[2],"datatype":"BYTES","data":["ab",""]}]})",
                           std::nullopt);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const auto& in = r->inputs;
  EXPECT_EQ(in[0].data, std::string("\x01\x00", 2));
  EXPECT_EQ(in[1].data, std::string("\x00\xff", 2));
  EXPECT_EQ(in[2].As<int16_t>()[0], -32768);
  EXPECT_EQ(in[3].As<int64_t>()[0], -9007199254740993);
  EXPECT_EQ(in[4].As<uint64_t>()[0], UINT64_MAX);
  EXPECT_EQ(in[5].As<double>()[0], 0.1);
  EXPECT_EQ(in[6].data, std::string("\x02\0\0\0ab\0\0\0\0", 10));
}

TEST(V2Codec, RejectsBadRequestsWithInvalidArgument) {
  for (const char* body : {
           "not json",
           "[]",
           R"({})",
           R"({"inputs":{}})",
           R"({"inputs":[{"shape":[1],"datatype":"FP32","data":[1]}]})",
           R"({"inputs":[{"name":"x","datatype":"FP32","data":[1]}]})",
           R"({"inputs":[{"name":"x","shape":[1],"data":[1]}]})",
           R"({"inputs":[{"name":"x","shape":[1],"datatype":"FP32"}]})",
           R"({"inputs":[{"name":"x","shape":[1],"datatype":"FLOAT","data":[1]}]})",
           R"({"inputs":[{"name":"x","shape":[-1],"datatype":"FP32","data":[1]}]})",
           R"({"inputs":[{"name":"x","shape":[1.5],"datatype":"FP32","data":[1]}]})",
           R"({"inputs":[{"name":"x","shape":[3],"datatype":"FP32","data":[1,2]}]})",
           R"({"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":["1"]}]})",
           R"({"inputs":[{"name":"x","shape":[1],"datatype":"INT32","data":[1.5]}]})",
           R"({"inputs":[{"name":"x","shape":[1],"datatype":"UINT8","data":[256]}]})",
           R"({"inputs":[{"name":"x","shape":[1],"datatype":"INT8","data":[-129]}]})",
           R"({"inputs":[{"name":"x","shape":[1],"datatype":"BOOL","data":[1]}]})",
           R"({"inputs":[{"name":"x","shape":[1],"datatype":"FP16","data":[1]}]})",
           R"({"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[null]}]})",
           R"({"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[true]}]})",
           R"({"inputs":[{"name":"x","shape":[1],"datatype":"INT64","data":[false]}]})",
           R"({"inputs":[],"outputs":[{"parameters":{}}]})",
           R"({"inputs":[],"parameters":{"binary_data_output":"yes"}})",
       }) {
    auto r = DecodeV2Request(body, std::nullopt);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << body;
  }
}

std::string RawFloats(std::vector<float> v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

TEST(V2Codec, BinaryInputsComeFromTheBlobInOrder) {
  std::string json =
      R"({"inputs":[{"name":"a","shape":[2],"datatype":"FP32","parameters":{"binary_data_size":8}},)"
      R"({"name":"b","shape":[1],"datatype":"FP32","data":[7]},)"
      R"({"name":"c","shape":[1],"datatype":"FP32","parameters":{"binary_data_size":4}}]})";
  std::string body = json + RawFloats({1, 2}) + RawFloats({3});
  std::string length = std::to_string(json.size());
  auto r = DecodeV2Request(body, length);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Floats(r->inputs[0]), (std::vector<float>{1, 2}));
  EXPECT_EQ(Floats(r->inputs[1]), (std::vector<float>{7}));
  EXPECT_EQ(Floats(r->inputs[2]), (std::vector<float>{3}));

  // Header longer than the body, sizes past the end, leftover bytes, size not matching the shape.
  EXPECT_FALSE(DecodeV2Request(body, std::to_string(body.size() + 1)).ok());
  EXPECT_FALSE(DecodeV2Request(body, "12x").ok());
  EXPECT_FALSE(DecodeV2Request(body.substr(0, body.size() - 1), length).ok());
  EXPECT_FALSE(DecodeV2Request(body + "z", length).ok());
  std::string wrong =
      R"({"inputs":[{"name":"a","shape":[3],"datatype":"FP32","parameters":{"binary_data_size":8}}]})";
  EXPECT_FALSE(DecodeV2Request(wrong + RawFloats({1, 2}), std::to_string(wrong.size())).ok());
  EXPECT_EQ(DecodeV2Request(body, "0").status().code(), StatusCode::kUnimplemented);
}

TEST(V2Codec, RawBinaryRequestIsOneRowOfTheSingleInput) {
  std::vector<TensorSpec> inputs = {{"input-0", DataType::kFp32, {-1, 3}}};
  auto r = DecodeV2RawRequest(RawFloats({1, 2, 3}), inputs);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->inputs[0].shape, (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(Floats(r->inputs[0]), (std::vector<float>{1, 2, 3}));
  EXPECT_TRUE(r->binary_output_default);
  EXPECT_FALSE(DecodeV2RawRequest(RawFloats({1, 2}), inputs).ok());
  EXPECT_FALSE(DecodeV2RawRequest(RawFloats({1, 2, 3}), {{"a", DataType::kFp32, {-1, -1}}}).ok());
  EXPECT_FALSE(DecodeV2RawRequest(RawFloats({1}),
                                  {{"a", DataType::kFp32, {-1}}, {"b", DataType::kFp32, {-1}}})
                   .ok());
}

Tensor Output(std::string name, std::vector<float> v) {
  Tensor t;
  t.name = std::move(name);
  t.shape = {static_cast<int64_t>(v.size())};
  t.data = RawFloats(v);
  return t;
}

TEST(V2Codec, EncodesJsonWithFloat32Precision) {
  V2InferRequest request;
  request.id = "q";
  auto out = EncodeV2Response("m", "3", request, {Output("y", {0.1f, -2.5f, 1e-30f})});
  EXPECT_FALSE(out.header_length.has_value());
  EXPECT_EQ(out.body, R"({"model_name":"m","model_version":"3","id":"q","outputs":[{"name":"y",)"
                      R"("datatype":"FP32","shape":[3],"data":[0.1,-2.5,1e-30]}]})");
}

TEST(V2Codec, EncodesBinaryOutputsWhenAsked) {
  V2InferRequest request;
  request.binary_output_default = true;
  request.outputs = {{"y", std::nullopt}, {"z", false}};
  auto out = EncodeV2Response("m", "1", request, {Output("y", {1.5f, 2}), Output("z", {4})});
  ASSERT_TRUE(out.header_length.has_value());
  std::string json = out.body.substr(0, *out.header_length);
  EXPECT_NE(
      json.find(R"("name":"y","datatype":"FP32","shape":[2],"parameters":{"binary_data_size":8})"),
      std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("name":"z","datatype":"FP32","shape":[1],"data":[4])"), std::string::npos)
      << json;
  EXPECT_EQ(out.body.substr(*out.header_length), RawFloats({1.5f, 2}));
}

}  // namespace
}  // namespace mlhub::serving
