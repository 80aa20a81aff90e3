// SPDX-License-Identifier: Apache-2.0
#include "serving/backends/tensor.h"

#include <fmt/format.h>

#include <cstring>
#include <limits>

namespace mlhub::serving {
namespace {

struct TypeInfo {
  DataType type;
  std::string_view name;
  size_t size;
};

constexpr TypeInfo kTypes[] = {
    {DataType::kBool, "BOOL", 1},     {DataType::kUint8, "UINT8", 1},
    {DataType::kUint16, "UINT16", 2}, {DataType::kUint32, "UINT32", 4},
    {DataType::kUint64, "UINT64", 8}, {DataType::kInt8, "INT8", 1},
    {DataType::kInt16, "INT16", 2},   {DataType::kInt32, "INT32", 4},
    {DataType::kInt64, "INT64", 8},   {DataType::kFp16, "FP16", 2},
    {DataType::kFp32, "FP32", 4},     {DataType::kFp64, "FP64", 8},
    {DataType::kBf16, "BF16", 2},     {DataType::kBytes, "BYTES", 0},
};

}  // namespace

std::string_view DataTypeName(DataType type) { return kTypes[static_cast<size_t>(type)].name; }

std::optional<DataType> ParseDataType(std::string_view name) {
  for (const TypeInfo& info : kTypes) {
    if (info.name == name) return info.type;
  }
  return std::nullopt;
}

size_t ElementSize(DataType type) { return kTypes[static_cast<size_t>(type)].size; }

StatusOr<int64_t> ElementCount(const std::vector<int64_t>& shape) {
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (dim < 0) {
      return InvalidArgumentError(
          fmt::format("shape {} has a negative dimension", ShapeString(shape)));
    }
    if (dim != 0 && count > std::numeric_limits<int64_t>::max() / dim) {
      return InvalidArgumentError(fmt::format("shape {} is too large", ShapeString(shape)));
    }
    count *= dim;
  }
  return count;
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

Status ValidateTensorData(const Tensor& tensor) {
  ASSIGN_OR_RETURN(int64_t count, ElementCount(tensor.shape));
  if (tensor.datatype != DataType::kBytes) {
    size_t size = ElementSize(tensor.datatype);
    if (static_cast<uint64_t>(count) > std::numeric_limits<uint64_t>::max() / size ||
        tensor.data.size() != static_cast<uint64_t>(count) * size) {
      return InvalidArgumentError(fmt::format(
          "input '{}': {} bytes of {} data do not match shape {} ({} elements of {} bytes)",
          tensor.name, tensor.data.size(), DataTypeName(tensor.datatype), ShapeString(tensor.shape),
          count, size));
    }
    return OkStatus();
  }
  int64_t seen = 0;
  size_t pos = 0;
  while (pos < tensor.data.size()) {
    uint32_t length;
    if (tensor.data.size() - pos < sizeof(length)) break;
    std::memcpy(&length, tensor.data.data() + pos, sizeof(length));
    pos += sizeof(length);
    if (tensor.data.size() - pos < length) {
      pos = std::string::npos;
      break;
    }
    pos += length;
    ++seen;
  }
  if (pos != tensor.data.size() || seen != count) {
    return InvalidArgumentError(fmt::format(
        "input '{}': BYTES data do not hold the {} length-prefixed elements of shape {}",
        tensor.name, count, ShapeString(tensor.shape)));
  }
  return OkStatus();
}

}  // namespace mlhub::serving
