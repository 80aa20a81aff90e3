// SPDX-License-Identifier: Apache-2.0
#include "serving/protocol/grpc/grpc_codec.h"

#include <fmt/format.h>

#include <array>
#include <bit>
#include <cstring>
#include <type_traits>
#include <utility>

namespace mlhub::serving {
namespace {

// Raw blobs and Tensor bytes are both little-endian; on such a host they are the same bytes and
// typed values can be copied as they are.
static_assert(std::endian::native == std::endian::little, "the tensor codec assumes little-endian");

using inference::InferTensorContents;
using inference::ModelInferRequest;

// The typed fields of InferTensorContents, by field number - 1.
constexpr std::array<std::string_view, 8> kFieldNames = {
    "bool_contents",   "int_contents",  "int64_contents", "uint_contents",
    "uint64_contents", "fp32_contents", "fp64_contents",  "bytes_contents"};

std::array<int, 8> FieldSizes(const InferTensorContents& c) {
  return {c.bool_contents_size(), c.int_contents_size(),    c.int64_contents_size(),
          c.uint_contents_size(), c.uint64_contents_size(), c.fp32_contents_size(),
          c.fp64_contents_size(), c.bytes_contents_size()};
}

// The field a datatype travels in; -1 for the types that travel only raw.
int FieldFor(DataType type) {
  switch (type) {
    case DataType::kBool:
      return 0;
    case DataType::kInt8:
    case DataType::kInt16:
    case DataType::kInt32:
      return 1;
    case DataType::kInt64:
      return 2;
    case DataType::kUint8:
    case DataType::kUint16:
    case DataType::kUint32:
      return 3;
    case DataType::kUint64:
      return 4;
    case DataType::kFp32:
      return 5;
    case DataType::kFp64:
      return 6;
    case DataType::kBytes:
      return 7;
    case DataType::kFp16:
    case DataType::kBf16:
      return -1;
  }
  return -1;
}

bool HasAnyContents(const InferTensorContents& contents) {
  for (int size : FieldSizes(contents)) {
    if (size > 0) return true;
  }
  return false;
}

// Copies wire values into `tensor` as Elem, refusing values Elem cannot hold (the 8- and 16-bit
// types arrive widened to 32 bits, so a client can send 300 for a UINT8).
template <typename Elem, typename Wire>
Status CopyValues(const google::protobuf::RepeatedField<Wire>& values, Tensor* tensor) {
  tensor->data.resize(values.size() * sizeof(Elem));
  if constexpr (std::is_same_v<Elem, Wire>) {
    if (!values.empty()) std::memcpy(tensor->data.data(), values.data(), tensor->data.size());
  } else {
    char* out = tensor->data.data();
    for (int i = 0; i < values.size(); ++i) {
      Wire value = values.Get(i);
      if (!std::in_range<Elem>(value)) {
        return InvalidArgumentError(
            fmt::format("input '{}': value {} at index {} is out of range "
                        "for {}",
                        tensor->name, value, i, DataTypeName(tensor->datatype)));
      }
      Elem narrow = static_cast<Elem>(value);
      std::memcpy(out + i * sizeof(Elem), &narrow, sizeof(Elem));
    }
  }
  return OkStatus();
}

Status CopyBytes(const google::protobuf::RepeatedPtrField<std::string>& values, Tensor* tensor) {
  size_t total = 0;
  for (const std::string& value : values) total += sizeof(uint32_t) + value.size();
  tensor->data.reserve(total);
  for (const std::string& value : values) {
    // gRPC messages are limited to 2 GiB, so every element's length fits the 4-byte prefix.
    uint32_t length = static_cast<uint32_t>(value.size());
    tensor->data.append(reinterpret_cast<const char*>(&length), sizeof(length));
    tensor->data.append(value);
  }
  return OkStatus();
}

Status DecodeTyped(const InferTensorContents& contents, int64_t count, Tensor* tensor) {
  const int field = FieldFor(tensor->datatype);
  if (field < 0) {
    return InvalidArgumentError(fmt::format("input '{}': {} data travel only in raw_input_contents",
                                            tensor->name, DataTypeName(tensor->datatype)));
  }
  const std::array<int, 8> sizes = FieldSizes(contents);
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (static_cast<int>(i) != field && sizes[i] > 0) {
      return InvalidArgumentError(fmt::format("input '{}': {} data go in contents.{}, not {}",
                                              tensor->name, DataTypeName(tensor->datatype),
                                              kFieldNames[field], kFieldNames[i]));
    }
  }
  if (sizes[field] != count) {
    return InvalidArgumentError(
        fmt::format("input '{}': contents.{} has {} values, shape {} needs {}", tensor->name,
                    kFieldNames[field], sizes[field], ShapeString(tensor->shape), count));
  }
  switch (tensor->datatype) {
    case DataType::kBool:
      return CopyValues<bool>(contents.bool_contents(), tensor);
    case DataType::kInt8:
      return CopyValues<int8_t>(contents.int_contents(), tensor);
    case DataType::kInt16:
      return CopyValues<int16_t>(contents.int_contents(), tensor);
    case DataType::kInt32:
      return CopyValues<int32_t>(contents.int_contents(), tensor);
    case DataType::kInt64:
      return CopyValues<int64_t>(contents.int64_contents(), tensor);
    case DataType::kUint8:
      return CopyValues<uint8_t>(contents.uint_contents(), tensor);
    case DataType::kUint16:
      return CopyValues<uint16_t>(contents.uint_contents(), tensor);
    case DataType::kUint32:
      return CopyValues<uint32_t>(contents.uint_contents(), tensor);
    case DataType::kUint64:
      return CopyValues<uint64_t>(contents.uint64_contents(), tensor);
    case DataType::kFp32:
      return CopyValues<float>(contents.fp32_contents(), tensor);
    case DataType::kFp64:
      return CopyValues<double>(contents.fp64_contents(), tensor);
    case DataType::kBytes:
      return CopyBytes(contents.bytes_contents(), tensor);
    case DataType::kFp16:
    case DataType::kBf16:
      break;  // refused above
  }
  return InternalError("unreachable datatype");
}

}  // namespace

StatusOr<std::vector<Tensor>> DecodeInferInputs(const ModelInferRequest& request) {
  const bool raw = request.raw_input_contents_size() > 0;
  if (raw && request.raw_input_contents_size() != request.inputs_size()) {
    return InvalidArgumentError(
        fmt::format("raw_input_contents has {} entries for {} inputs: give one per input, in order",
                    request.raw_input_contents_size(), request.inputs_size()));
  }
  std::vector<Tensor> tensors;
  tensors.reserve(request.inputs_size());
  for (int i = 0; i < request.inputs_size(); ++i) {
    const ModelInferRequest::InferInputTensor& input = request.inputs(i);
    Tensor tensor;
    tensor.name = input.name();
    std::optional<DataType> type = ParseDataType(input.datatype());
    if (!type) {
      return InvalidArgumentError(
          fmt::format("input '{}': unknown datatype '{}'", input.name(), input.datatype()));
    }
    tensor.datatype = *type;
    tensor.shape.assign(input.shape().begin(), input.shape().end());
    ASSIGN_OR_RETURN(int64_t count, ElementCount(tensor.shape));
    if (raw) {
      if (HasAnyContents(input.contents())) {
        return InvalidArgumentError(fmt::format(
            "input '{}': the request has raw_input_contents, so no input may use contents",
            input.name()));
      }
      tensor.data = request.raw_input_contents(i);
    } else {
      RETURN_IF_ERROR(DecodeTyped(input.contents(), count, &tensor));
    }
    RETURN_IF_ERROR(ValidateTensorData(tensor));
    tensors.push_back(std::move(tensor));
  }
  return tensors;
}

std::vector<std::string> RequestedOutputs(const ModelInferRequest& request) {
  std::vector<std::string> names;
  names.reserve(request.outputs_size());
  for (const auto& output : request.outputs()) names.push_back(output.name());
  return names;
}

void EncodeInferOutputs(std::vector<Tensor> outputs, inference::ModelInferResponse* response) {
  for (Tensor& tensor : outputs) {
    auto* header = response->add_outputs();
    header->set_name(std::move(tensor.name));
    header->set_datatype(std::string(DataTypeName(tensor.datatype)));
    for (int64_t dim : tensor.shape) header->add_shape(dim);
    response->add_raw_output_contents(std::move(tensor.data));
  }
}

grpc::Status ToGrpcStatus(const Status& status) {
  grpc::StatusCode code = grpc::StatusCode::INTERNAL;
  switch (status.code()) {
    case StatusCode::kOk:
      return grpc::Status::OK;
    case StatusCode::kCancelled:
      code = grpc::StatusCode::CANCELLED;
      break;
    case StatusCode::kInvalidArgument:
      code = grpc::StatusCode::INVALID_ARGUMENT;
      break;
    case StatusCode::kDeadlineExceeded:
      code = grpc::StatusCode::DEADLINE_EXCEEDED;
      break;
    case StatusCode::kNotFound:
      code = grpc::StatusCode::NOT_FOUND;
      break;
    case StatusCode::kAlreadyExists:
      code = grpc::StatusCode::ALREADY_EXISTS;
      break;
    case StatusCode::kPermissionDenied:
      code = grpc::StatusCode::PERMISSION_DENIED;
      break;
    case StatusCode::kResourceExhausted:
      code = grpc::StatusCode::RESOURCE_EXHAUSTED;
      break;
    case StatusCode::kFailedPrecondition:
      code = grpc::StatusCode::FAILED_PRECONDITION;
      break;
    case StatusCode::kAborted:
      code = grpc::StatusCode::ABORTED;
      break;
    case StatusCode::kOutOfRange:
      code = grpc::StatusCode::OUT_OF_RANGE;
      break;
    case StatusCode::kUnimplemented:
      code = grpc::StatusCode::UNIMPLEMENTED;
      break;
    case StatusCode::kUnavailable:
      code = grpc::StatusCode::UNAVAILABLE;
      break;
    case StatusCode::kUnauthenticated:
      code = grpc::StatusCode::UNAUTHENTICATED;
      break;
    case StatusCode::kUnknown:
    case StatusCode::kInternal:
      code = grpc::StatusCode::INTERNAL;
      break;
    case StatusCode::kDataLoss:
      code = grpc::StatusCode::DATA_LOSS;
      break;
  }
  return grpc::Status(code, status.message());
}

}  // namespace mlhub::serving
