// SPDX-License-Identifier: Apache-2.0
#include "serving/protocol/tensor_json.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "common/json_writer.h"
#include "common/utf8.h"

namespace mlhub::serving {
namespace {

template <typename T>
void Put(Tensor* tensor, T value) {
  tensor->data.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

Status TypeError(const Tensor& tensor, json::Element value) {
  std::string text = json::ToJson(value);
  if (text.size() > 40) text = std::string(Utf8Prefix(text, 40)) + "...";
  return InvalidArgumentError(fmt::format("input '{}': {} is not a valid {} value", tensor.name,
                                          text, DataTypeName(tensor.datatype)));
}

template <typename T>
Status PutInteger(json::Element value, Tensor* tensor) {
  int64_t v;
  if (auto i = value.get_int64(); !i.error()) {
    v = i.value();
  } else if (auto u = value.get_uint64(); !u.error() && std::is_same_v<T, uint64_t>) {
    Put<uint64_t>(tensor, u.value());
    return OkStatus();
  } else {
    return TypeError(*tensor, value);
  }
  if (v < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
      (v > 0 && static_cast<uint64_t>(v) > std::numeric_limits<T>::max())) {
    return TypeError(*tensor, value);
  }
  Put<T>(tensor, static_cast<T>(v));
  return OkStatus();
}

template <typename T>
Status PutFloat(json::Element value, Tensor* tensor) {
  double v;
  if (value.is_bool()) {
    return TypeError(*tensor, value);  // a number is required: true is no FP32
  } else if (auto d = value.get_double(); !d.error()) {
    v = d.value();
  } else {
    return TypeError(*tensor, value);
  }
  Put<T>(tensor, static_cast<T>(v));
  return OkStatus();
}

Status PutScalar(json::Element value, Tensor* tensor) {
  switch (tensor->datatype) {
    case DataType::kBool:
      if (!value.is_bool()) return TypeError(*tensor, value);
      Put<uint8_t>(tensor, bool(value) ? 1 : 0);
      return OkStatus();
    case DataType::kUint8:
      return PutInteger<uint8_t>(value, tensor);
    case DataType::kUint16:
      return PutInteger<uint16_t>(value, tensor);
    case DataType::kUint32:
      return PutInteger<uint32_t>(value, tensor);
    case DataType::kUint64:
      return PutInteger<uint64_t>(value, tensor);
    case DataType::kInt8:
      return PutInteger<int8_t>(value, tensor);
    case DataType::kInt16:
      return PutInteger<int16_t>(value, tensor);
    case DataType::kInt32:
      return PutInteger<int32_t>(value, tensor);
    case DataType::kInt64:
      return PutInteger<int64_t>(value, tensor);
    case DataType::kFp32:
      return PutFloat<float>(value, tensor);
    case DataType::kFp64:
      return PutFloat<double>(value, tensor);
    case DataType::kBytes: {
      if (!value.is_string()) return TypeError(*tensor, value);
      std::string_view text = value.get_string().value();
      Put<uint32_t>(tensor, static_cast<uint32_t>(text.size()));
      tensor->data.append(text);
      return OkStatus();
    }
    case DataType::kFp16:
    case DataType::kBf16:
      return InvalidArgumentError(fmt::format(
          "input '{}': {} data have no JSON form; send them with the binary tensor extension",
          tensor->name, DataTypeName(tensor->datatype)));
  }
  return TypeError(*tensor, value);
}

template <typename T>
void AppendInteger(T value, std::string* out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out->append(buf, end);
}

template <typename T>
void AppendFloat(T value, std::string* out) {
  if (!std::isfinite(value)) {
    out->append("null");
    return;
  }
  char buf[32];
  char* end = std::to_chars(buf, buf + sizeof(buf), value).ptr;
  // The shortest form of a large whole number may be all digits (46116860184275976192): valid
  // JSON, but an integer past 64 bits, which many readers (simdjson among them) refuse. Those
  // get an exponent.
  bool whole = std::find_if(buf, end, [](char c) { return c == '.' || c == 'e'; }) == end;
  if (whole && std::fabs(value) >= T(0x1p63)) {
    end = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific).ptr;
  }
  out->append(buf, end);
}

template <typename T>
T Load(const Tensor& tensor, size_t index) {
  T value;
  std::memcpy(&value, tensor.data.data() + index * sizeof(T), sizeof(T));
  return value;
}

}  // namespace

Status AppendJsonElements(json::Element value, Tensor* tensor, int64_t* count) {
  if (value.is_array()) {
    // A named array: iterating the temporary simdjson_result would dangle.
    json::Array items = value.get_array().value_unsafe();
    for (json::Element item : items) {
      RETURN_IF_ERROR(AppendJsonElements(item, tensor, count));
    }
    return OkStatus();
  }
  RETURN_IF_ERROR(PutScalar(value, tensor));
  ++*count;
  return OkStatus();
}

void AppendJsonElement(const Tensor& tensor, size_t index, std::string* out) {
  switch (tensor.datatype) {
    case DataType::kBool:
      out->append(Load<uint8_t>(tensor, index) ? "true" : "false");
      return;
    case DataType::kUint8:
      AppendInteger(Load<uint8_t>(tensor, index), out);
      return;
    case DataType::kUint16:
      AppendInteger(Load<uint16_t>(tensor, index), out);
      return;
    case DataType::kUint32:
      AppendInteger(Load<uint32_t>(tensor, index), out);
      return;
    case DataType::kUint64:
      AppendInteger(Load<uint64_t>(tensor, index), out);
      return;
    case DataType::kInt8:
      AppendInteger(Load<int8_t>(tensor, index), out);
      return;
    case DataType::kInt16:
      AppendInteger(Load<int16_t>(tensor, index), out);
      return;
    case DataType::kInt32:
      AppendInteger(Load<int32_t>(tensor, index), out);
      return;
    case DataType::kInt64:
      AppendInteger(Load<int64_t>(tensor, index), out);
      return;
    case DataType::kFp32:
      AppendFloat(Load<float>(tensor, index), out);
      return;
    case DataType::kFp64:
      AppendFloat(Load<double>(tensor, index), out);
      return;
    default:
      out->append("null");
      return;  // FP16/BF16/BYTES: see AppendJsonData
  }
}

void AppendJsonData(const Tensor& tensor, std::string* out) {
  out->push_back('[');
  if (tensor.datatype == DataType::kBytes) {
    size_t pos = 0;
    bool first = true;
    while (pos + 4 <= tensor.data.size()) {
      uint32_t length;
      std::memcpy(&length, tensor.data.data() + pos, sizeof(length));
      pos += sizeof(length);
      if (!first) out->push_back(',');
      first = false;
      std::string element;
      JsonWriter(&element).String(std::string_view(tensor.data).substr(pos, length));
      out->append(element);
      pos += length;
    }
  } else {
    const size_t size = ElementSize(tensor.datatype);
    const size_t count = size == 0 ? 0 : tensor.data.size() / size;
    for (size_t i = 0; i < count; ++i) {
      if (i != 0) out->push_back(',');
      AppendJsonElement(tensor, i, out);
    }
  }
  out->push_back(']');
}

}  // namespace mlhub::serving
