// SPDX-License-Identifier: Apache-2.0
#include "serving/protocol/v2_codec.h"

#include <gtest/gtest.h>

#include <cstring>

#include "common/json_reader.h"

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

// Found by fuzz/v2_json_fuzz in a 4-minute run
// (fuzz/corpus/v2_json/regress_type_error_excerpt_utf8): the message quotes 40 bytes of the bad
// value, which split a three-byte character.
TEST(V2Codec, BadValueExcerptsKeepCharactersWhole) {
  std::string value = "6";
  for (int i = 0; i < 20; ++i) value += "\xe3\x80\x80";  // U+3000
  auto r = DecodeV2Request(
      R"({"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[")" + value + R"("]}]})",
      std::nullopt);
  ASSERT_FALSE(r.ok());
  const std::string& msg = r.status().message();
  EXPECT_TRUE(simdjson::validate_utf8(msg.data(), msg.size())) << msg;
  EXPECT_NE(msg.find("is not a valid FP32 value"), std::string::npos) << msg;
}

// Found by fuzz/v2_json_fuzz (fuzz/corpus/v2_json/regress_reserve_for_huge_shape): the decoder
// reserved room for the declared shape before reading `data`, so a 90-byte request declaring 2^36
// FP64 elements asked for 512 GiB (std::bad_alloc, a crash of the server) instead of a 400.
TEST(V2Codec, HugeShapeWithLittleDataIsRefusedWithoutAllocatingForIt) {
  auto r = DecodeV2Request(
      R"({"inputs":[{"name":"x","shape":[68719476736],"datatype":"FP64","data":[1]}]})",
      std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("1 elements of data for shape [68719476736]"),
            std::string::npos)
      << r.status().message();
}

// Found by fuzz/v2_binary_fuzz (fuzz/corpus/v2_binary/regress_fp64_written_as_bigint): the shortest
// form of 46116860184275976192.0 is all digits, an integer beyond 64 bits that simdjson (and many
// other readers) refuse; large whole numbers are written with an exponent.
TEST(V2Codec, LargeWholeFloatsAreWrittenWithAnExponent) {
  Tensor t;
  t.name = "y";
  t.datatype = DataType::kFp64;
  t.shape = {3};
  const double values[] = {46116860184275976192.0, -1e300, 3.0};
  t.data.assign(reinterpret_cast<const char*>(values), sizeof(values));
  auto out = EncodeV2Response("m", "1", V2InferRequest{}, {t});
  EXPECT_NE(out.body.find(R"("data":[4.611686018427598e+19,-1e+300,3])"), std::string::npos)
      << out.body;
  auto parsed = json::ParseJson(out.body);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
}

}  // namespace
}  // namespace mlhub::serving
