// SPDX-License-Identifier: Apache-2.0
// Tensors as they travel between the protocols, the batcher and the backends: a name, a V2
// datatype, a shape and the elements as raw little-endian, row-major bytes (the binary-extension
// layout; BYTES elements are each a 4-byte little-endian length then the bytes). One byte layout
// for every path means JSON, binary and gRPC requests batch together and no backend sees JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mlhub::serving {

enum class DataType : uint8_t {
  kBool,
  kUint8,
  kUint16,
  kUint32,
  kUint64,
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kFp16,
  kFp32,
  kFp64,
  kBf16,
  kBytes,
};

// "FP32", "INT64", ... as the V2 protocol spells them.
std::string_view DataTypeName(DataType type);
std::optional<DataType> ParseDataType(std::string_view name);
// Bytes per element; 0 for BYTES (variable length).
size_t ElementSize(DataType type);
// True for the types whose elements are numbers (all but BYTES).
inline bool IsNumeric(DataType type) { return type != DataType::kBytes; }

// Calls `fn(T{})` with the C++ type of a numeric datatype's elements (uint8_t for BOOL) and returns
// true; false for FP16, BF16 and BYTES, which have no C++ arithmetic type here. For code that
// converts elements of whatever numeric type a request brings.
template <typename Fn>
bool VisitArithmetic(DataType type, Fn&& fn) {
  switch (type) {
    case DataType::kBool:
    case DataType::kUint8:
      fn(uint8_t{});
      return true;
    case DataType::kUint16:
      fn(uint16_t{});
      return true;
    case DataType::kUint32:
      fn(uint32_t{});
      return true;
    case DataType::kUint64:
      fn(uint64_t{});
      return true;
    case DataType::kInt8:
      fn(int8_t{});
      return true;
    case DataType::kInt16:
      fn(int16_t{});
      return true;
    case DataType::kInt32:
      fn(int32_t{});
      return true;
    case DataType::kInt64:
      fn(int64_t{});
      return true;
    case DataType::kFp32:
      fn(float{});
      return true;
    case DataType::kFp64:
      fn(double{});
      return true;
    default:
      return false;
  }
}

// A shape's element count, or InvalidArgument for a negative dimension or an overflow.
StatusOr<int64_t> ElementCount(const std::vector<int64_t>& shape);
// "[2, 13]": for messages.
std::string ShapeString(const std::vector<int64_t>& shape);

struct Tensor {
  std::string name;
  DataType datatype = DataType::kFp32;
  std::vector<int64_t> shape;
  std::string data;  // raw bytes, see the file comment

  // The elements as T (no bounds or type check: the caller matched the datatype).
  template <typename T>
  const T* As() const {
    return reinterpret_cast<const T*>(data.data());
  }
  template <typename T>
  T* MutableAs() {
    return reinterpret_cast<T*>(data.data());
  }
};

// Checks that `tensor.data` holds exactly the elements its shape and datatype call for (for BYTES:
// that the length prefixes tile the data and there are as many elements as the shape says).
Status ValidateTensorData(const Tensor& tensor);

// What a model accepts or returns, for metadata and validation. -1 marks a variable dimension.
struct TensorSpec {
  std::string name;
  DataType datatype = DataType::kFp32;
  std::vector<int64_t> shape;
};

}  // namespace mlhub::serving
