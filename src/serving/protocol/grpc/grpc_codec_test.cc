// SPDX-License-Identifier: Apache-2.0
#include "serving/protocol/grpc/grpc_codec.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <vector>

namespace mlhub::serving {
namespace {

using inference::InferTensorContents;
using inference::ModelInferRequest;
using inference::ModelInferResponse;

// The little-endian bytes of `values` as T: the Tensor layout every decode must produce.
template <typename T>
std::string Bytes(std::initializer_list<T> values) {
  std::string out(values.size() * sizeof(T), '\0');
  std::memcpy(out.data(), std::data(values), out.size());
  return out;
}

std::string LengthPrefixed(std::initializer_list<std::string> values) {
  std::string out;
  for (const std::string& value : values) {
    uint32_t length = static_cast<uint32_t>(value.size());
    out.append(reinterpret_cast<const char*>(&length), sizeof(length));
    out.append(value);
  }
  return out;
}

ModelInferRequest::InferInputTensor* AddInput(ModelInferRequest* request, std::string datatype,
                                              std::vector<int64_t> shape, std::string name = "x") {
  auto* input = request->add_inputs();
  input->set_name(std::move(name));
  input->set_datatype(std::move(datatype));
  for (int64_t dim : shape) input->add_shape(dim);
  return input;
}

// One typed input of shape [n] decoded; fails the test when decoding fails.
Tensor DecodeOneTyped(const std::string& datatype, int64_t n,
                      const std::function<void(InferTensorContents*)>& fill) {
  ModelInferRequest request;
  fill(AddInput(&request, datatype, {n})->mutable_contents());
  auto decoded = DecodeInferInputs(request);
  EXPECT_TRUE(decoded.ok()) << datatype << ": " << decoded.status().ToString();
  if (!decoded.ok()) return {};
  EXPECT_EQ(decoded->size(), 1u);
  EXPECT_EQ(DataTypeName((*decoded)[0].datatype), datatype);
  EXPECT_EQ((*decoded)[0].shape, std::vector<int64_t>{n});
  return (*decoded)[0];
}

TEST(GrpcCodecTest, TypedContentsOfEveryDatatypeBecomeTensorBytes) {
  auto fill_int = [](std::initializer_list<int32_t> v) {
    return [v](InferTensorContents* c) {
      for (int32_t x : v) c->add_int_contents(x);
    };
  };
  auto fill_uint = [](std::initializer_list<uint32_t> v) {
    return [v](InferTensorContents* c) {
      for (uint32_t x : v) c->add_uint_contents(x);
    };
  };
  EXPECT_EQ(DecodeOneTyped("BOOL", 3,
                           [](InferTensorContents* c) {
                             c->add_bool_contents(true);
                             c->add_bool_contents(false);
                             c->add_bool_contents(true);
                           })
                .data,
            std::string("\x01\x00\x01", 3));
  EXPECT_EQ(DecodeOneTyped("INT8", 3, fill_int({-128, 0, 127})).data,
            Bytes<int8_t>({-128, 0, 127}));
  EXPECT_EQ(DecodeOneTyped("INT16", 2, fill_int({-32768, 32767})).data,
            Bytes<int16_t>({-32768, 32767}));
  EXPECT_EQ(DecodeOneTyped("INT32", 2, fill_int({-2147483647 - 1, 7})).data,
            Bytes<int32_t>({-2147483647 - 1, 7}));
  EXPECT_EQ(DecodeOneTyped("INT64", 2,
                           [](InferTensorContents* c) {
                             c->add_int64_contents(-(int64_t{1} << 40));
                             c->add_int64_contents(3);
                           })
                .data,
            Bytes<int64_t>({-(int64_t{1} << 40), 3}));
  EXPECT_EQ(DecodeOneTyped("UINT8", 2, fill_uint({0, 255})).data, Bytes<uint8_t>({0, 255}));
  EXPECT_EQ(DecodeOneTyped("UINT16", 2, fill_uint({1, 65535})).data, Bytes<uint16_t>({1, 65535}));
  EXPECT_EQ(DecodeOneTyped("UINT32", 2, fill_uint({0, 4294967295u})).data,
            Bytes<uint32_t>({0, 4294967295u}));
  EXPECT_EQ(DecodeOneTyped("UINT64", 1,
                           [](InferTensorContents* c) { c->add_uint64_contents(~uint64_t{0}); })
                .data,
            Bytes<uint64_t>({~uint64_t{0}}));
  EXPECT_EQ(DecodeOneTyped("FP32", 2,
                           [](InferTensorContents* c) {
                             c->add_fp32_contents(1.5f);
                             c->add_fp32_contents(-0.1f);
                           })
                .data,
            Bytes<float>({1.5f, -0.1f}));
  EXPECT_EQ(DecodeOneTyped("FP64", 2,
                           [](InferTensorContents* c) {
                             c->add_fp64_contents(0.1);
                             c->add_fp64_contents(-1e300);
                           })
                .data,
            Bytes<double>({0.1, -1e300}));
  EXPECT_EQ(DecodeOneTyped("BYTES", 3,
                           [](InferTensorContents* c) {
                             c->add_bytes_contents("ab");
                             c->add_bytes_contents("");
                             c->add_bytes_contents(std::string("\0z", 2));
                           })
                .data,
            LengthPrefixed({"ab", "", std::string("\0z", 2)}));
}

TEST(GrpcCodecTest, RawContentsOfEveryDatatypeAreTakenAsTheyAre) {
  struct Case {
    std::string datatype;
    std::vector<int64_t> shape;
    std::string blob;
  };
  const std::vector<Case> cases = {
      {"BOOL", {2}, std::string("\x01\x00", 2)},
      {"INT8", {2}, Bytes<int8_t>({-1, 1})},
      {"INT16", {1, 2}, Bytes<int16_t>({-300, 300})},
      {"INT32", {2}, Bytes<int32_t>({-70000, 70000})},
      {"INT64", {2}, Bytes<int64_t>({-(int64_t{1} << 50), 1})},
      {"UINT8", {2}, Bytes<uint8_t>({200, 1})},
      {"UINT16", {2}, Bytes<uint16_t>({60000, 1})},
      {"UINT32", {2}, Bytes<uint32_t>({4000000000u, 1})},
      {"UINT64", {2}, Bytes<uint64_t>({uint64_t{1} << 63, 1})},
      {"FP16", {2}, Bytes<uint16_t>({0x3c00, 0xc000})},  // 1.0, -2.0
      {"BF16", {2}, Bytes<uint16_t>({0x3f80, 0x4000})},  // 1.0, 2.0
      {"FP32", {2, 1}, Bytes<float>({0.25f, -8.0f})},
      {"FP64", {2}, Bytes<double>({0.1, 0.2})},
      {"BYTES", {2}, LengthPrefixed({"hello", "é"})},
  };
  for (const Case& c : cases) {
    ModelInferRequest request;
    AddInput(&request, c.datatype, c.shape);
    request.add_raw_input_contents(c.blob);
    auto decoded = DecodeInferInputs(request);
    ASSERT_TRUE(decoded.ok()) << c.datatype << ": " << decoded.status().ToString();
    ASSERT_EQ(decoded->size(), 1u);
    EXPECT_EQ(DataTypeName((*decoded)[0].datatype), c.datatype);
    EXPECT_EQ((*decoded)[0].shape, c.shape);
    EXPECT_EQ((*decoded)[0].data, c.blob) << c.datatype;
  }
}

TEST(GrpcCodecTest, SeveralRawInputsKeepTheirOrderAndNames) {
  ModelInferRequest request;
  AddInput(&request, "FP32", {1, 2}, "a");
  AddInput(&request, "INT64", {1}, "b");
  request.add_raw_input_contents(Bytes<float>({1, 2}));
  request.add_raw_input_contents(Bytes<int64_t>({9}));
  auto decoded = DecodeInferInputs(request);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->size(), 2u);
  EXPECT_EQ((*decoded)[0].name, "a");
  EXPECT_EQ((*decoded)[0].data, Bytes<float>({1, 2}));
  EXPECT_EQ((*decoded)[1].name, "b");
  EXPECT_EQ((*decoded)[1].data, Bytes<int64_t>({9}));
}

TEST(GrpcCodecTest, AnEmptyBatchNeedsNoContents) {
  ModelInferRequest request;
  AddInput(&request, "FP32", {0, 13});
  auto decoded = DecodeInferInputs(request);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE((*decoded)[0].data.empty());
  EXPECT_EQ((*decoded)[0].shape, (std::vector<int64_t>{0, 13}));
}

// Decoding `request` fails InvalidArgument with a message containing `needle`.
void ExpectRefused(const ModelInferRequest& request, const std::string& needle) {
  auto decoded = DecodeInferInputs(request);
  ASSERT_FALSE(decoded.ok()) << "accepted, expected: " << needle;
  EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(decoded.status().message().find(needle), std::string::npos)
      << decoded.status().message();
}

TEST(GrpcCodecTest, RefusesBadDatatypesAndShapes) {
  ModelInferRequest unknown;
  AddInput(&unknown, "FLOAT32", {1})->mutable_contents()->add_fp32_contents(1);
  ExpectRefused(unknown, "unknown datatype 'FLOAT32'");

  ModelInferRequest negative;
  AddInput(&negative, "FP32", {-1, 2});
  negative.add_raw_input_contents(Bytes<float>({1, 2}));
  ExpectRefused(negative, "negative dimension");

  ModelInferRequest overflow;
  AddInput(&overflow, "FP32", {int64_t{1} << 40, int64_t{1} << 40});
  overflow.add_raw_input_contents("");
  ExpectRefused(overflow, "too large");
}

TEST(GrpcCodecTest, RefusesRawSizesThatDoNotMatchTheShape) {
  ModelInferRequest short_blob;
  AddInput(&short_blob, "FP32", {2, 3});
  short_blob.add_raw_input_contents(std::string(20, '\0'));  // 24 needed
  ExpectRefused(short_blob, "20 bytes of FP32 data do not match shape [2, 3]");

  ModelInferRequest long_blob;
  AddInput(&long_blob, "INT64", {1});
  long_blob.add_raw_input_contents(std::string(9, '\0'));
  ExpectRefused(long_blob, "9 bytes of INT64");

  ModelInferRequest bad_prefix;
  AddInput(&bad_prefix, "BYTES", {1});
  bad_prefix.add_raw_input_contents(
      std::string("\x09\x00\x00\x00"
                  "abc",
                  7));
  ExpectRefused(bad_prefix, "length-prefixed");

  ModelInferRequest too_few_elements;
  AddInput(&too_few_elements, "BYTES", {3});
  too_few_elements.add_raw_input_contents(LengthPrefixed({"a", "b"}));
  ExpectRefused(too_few_elements, "length-prefixed");
}

TEST(GrpcCodecTest, RefusesRawBlobCountsThatDoNotMatchTheInputs) {
  ModelInferRequest request;
  AddInput(&request, "FP32", {1}, "a");
  AddInput(&request, "FP32", {1}, "b");
  request.add_raw_input_contents(Bytes<float>({1}));
  ExpectRefused(request, "raw_input_contents has 1 entries for 2 inputs");
}

TEST(GrpcCodecTest, RefusesRawAndTypedContentsMixed) {
  ModelInferRequest request;
  AddInput(&request, "FP32", {1}, "a");
  AddInput(&request, "FP32", {1}, "b")->mutable_contents()->add_fp32_contents(1);
  request.add_raw_input_contents(Bytes<float>({1}));
  request.add_raw_input_contents(Bytes<float>({2}));
  ExpectRefused(request, "input 'b': the request has raw_input_contents");
}

TEST(GrpcCodecTest, RefusesTypedContentsOfTheWrongCountOrField) {
  ModelInferRequest few;
  auto* contents = AddInput(&few, "FP32", {2, 2})->mutable_contents();
  for (float v : {1.f, 2.f, 3.f}) contents->add_fp32_contents(v);
  ExpectRefused(few, "contents.fp32_contents has 3 values, shape [2, 2] needs 4");

  ModelInferRequest missing;
  AddInput(&missing, "INT32", {2});
  ExpectRefused(missing, "contents.int_contents has 0 values");

  ModelInferRequest wrong_field;
  AddInput(&wrong_field, "FP32", {1})->mutable_contents()->add_fp64_contents(1.0);
  ExpectRefused(wrong_field, "FP32 data go in contents.fp32_contents, not fp64_contents");

  ModelInferRequest int64_in_int;
  AddInput(&int64_in_int, "INT64", {1})->mutable_contents()->add_int_contents(1);
  ExpectRefused(int64_in_int, "INT64 data go in contents.int64_contents, not int_contents");

  ModelInferRequest bytes_count;
  AddInput(&bytes_count, "BYTES", {2})->mutable_contents()->add_bytes_contents("one");
  ExpectRefused(bytes_count, "contents.bytes_contents has 1 values");
}

TEST(GrpcCodecTest, RefusesHalfPrecisionTyped) {
  for (const char* type : {"FP16", "BF16"}) {
    ModelInferRequest request;
    AddInput(&request, type, {1})->mutable_contents()->add_fp32_contents(1);
    ExpectRefused(request, std::string(type) + " data travel only in raw_input_contents");
  }
}

TEST(GrpcCodecTest, RefusesNarrowIntegersOutOfRange) {
  struct Case {
    const char* datatype;
    int64_t value;
  };
  for (Case c : {Case{"INT8", 128}, Case{"INT8", -129}, Case{"INT16", 32768}, Case{"UINT8", 256},
                 Case{"UINT16", 65536}}) {
    ModelInferRequest request;
    auto* contents = AddInput(&request, c.datatype, {2})->mutable_contents();
    if (c.datatype[0] == 'U') {
      contents->add_uint_contents(0);
      contents->add_uint_contents(static_cast<uint32_t>(c.value));
    } else {
      contents->add_int_contents(0);
      contents->add_int_contents(static_cast<int32_t>(c.value));
    }
    ExpectRefused(request,
                  fmt::format("value {} at index 1 is out of range for {}", c.value, c.datatype));
  }
}

TEST(GrpcCodecTest, EncodesEveryDatatypeAsRawOutputs) {
  std::vector<Tensor> outputs;
  for (DataType type :
       {DataType::kBool, DataType::kUint8, DataType::kUint16, DataType::kUint32, DataType::kUint64,
        DataType::kInt8, DataType::kInt16, DataType::kInt32, DataType::kInt64, DataType::kFp16,
        DataType::kFp32, DataType::kFp64, DataType::kBf16, DataType::kBytes}) {
    Tensor tensor;
    tensor.name = fmt::format("out_{}", DataTypeName(type));
    tensor.datatype = type;
    tensor.shape = {2, 1};
    tensor.data = type == DataType::kBytes ? LengthPrefixed({"p", "qr"})
                                           : std::string(2 * ElementSize(type), '\x5a');
    outputs.push_back(tensor);
  }
  const std::vector<Tensor> expected = outputs;
  ModelInferResponse response;
  EncodeInferOutputs(outputs, &response);
  ASSERT_EQ(response.outputs_size(), static_cast<int>(expected.size()));
  ASSERT_EQ(response.raw_output_contents_size(), static_cast<int>(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i) {
    const auto& header = response.outputs(static_cast<int>(i));
    EXPECT_EQ(header.name(), expected[i].name);
    EXPECT_EQ(header.datatype(), DataTypeName(expected[i].datatype));
    EXPECT_EQ(std::vector<int64_t>(header.shape().begin(), header.shape().end()),
              expected[i].shape);
    // Raw only: a client reading typed contents too would otherwise see the data twice.
    EXPECT_EQ(header.contents().ByteSizeLong(), 0u);
    EXPECT_EQ(response.raw_output_contents(static_cast<int>(i)), expected[i].data);
  }
}

TEST(GrpcCodecTest, RequestedOutputsKeepTheRequestOrder) {
  ModelInferRequest request;
  EXPECT_TRUE(RequestedOutputs(request).empty());
  request.add_outputs()->set_name("b");
  request.add_outputs()->set_name("a");
  EXPECT_EQ(RequestedOutputs(request), (std::vector<std::string>{"b", "a"}));
}

TEST(GrpcCodecTest, MapsStatusCodes) {
  EXPECT_TRUE(ToGrpcStatus(OkStatus()).ok());
  struct Case {
    Status status;
    grpc::StatusCode code;
  };
  for (const Case& c : {Case{InvalidArgumentError("bad"), grpc::StatusCode::INVALID_ARGUMENT},
                        Case{NotFoundError("bad"), grpc::StatusCode::NOT_FOUND},
                        Case{UnavailableError("bad"), grpc::StatusCode::UNAVAILABLE},
                        Case{UnimplementedError("bad"), grpc::StatusCode::UNIMPLEMENTED},
                        Case{InternalError("bad"), grpc::StatusCode::INTERNAL},
                        Case{Status(StatusCode::kUnknown, "bad"), grpc::StatusCode::INTERNAL},
                        Case{ResourceExhaustedError("bad"), grpc::StatusCode::RESOURCE_EXHAUSTED},
                        Case{AlreadyExistsError("bad"), grpc::StatusCode::ALREADY_EXISTS}}) {
    grpc::Status mapped = ToGrpcStatus(c.status);
    EXPECT_EQ(mapped.error_code(), c.code) << c.status.ToString();
    EXPECT_EQ(mapped.error_message(), "bad");
  }
}

}  // namespace
}  // namespace mlhub::serving
