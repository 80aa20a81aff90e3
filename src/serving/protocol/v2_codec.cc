// SPDX-License-Identifier: Apache-2.0
#include "serving/protocol/v2_codec.h"

#include <fmt/format.h>

#include <charconv>

#include "common/json_reader.h"
#include "common/json_writer.h"
#include "serving/protocol/tensor_json.h"

namespace mlhub::serving {
namespace {

// parameters.<key> as a bool, when present (V2 allows only bool/number/string parameter values).
StatusOr<std::optional<bool>> BoolParameter(json::Object object, std::string_view key) {
  auto parameters = json::Find(object, "parameters");
  if (!parameters) return std::optional<bool>();
  ASSIGN_OR_RETURN(json::Object params, json::AsObject(*parameters, "parameters"));
  auto value = json::Find(params, key);
  if (!value) return std::optional<bool>();
  if (!value->is_bool()) {
    return InvalidArgumentError(fmt::format("parameter '{}' must be a boolean", key));
  }
  return std::optional<bool>(bool(*value));
}

StatusOr<std::optional<int64_t>> BinarySize(json::Object input) {
  auto parameters = json::Find(input, "parameters");
  if (!parameters) return std::optional<int64_t>();
  ASSIGN_OR_RETURN(json::Object params, json::AsObject(*parameters, "parameters"));
  auto value = json::Find(params, "binary_data_size");
  if (!value) return std::optional<int64_t>();
  auto size = value->get_int64();
  if (size.error() || size.value() < 0) {
    return InvalidArgumentError("binary_data_size must be a non-negative integer");
  }
  return std::optional<int64_t>(size.value());
}

// One entry of `inputs`; binary data are taken from `blob` at `*blob_pos`. `json_size`: the
// length of the JSON text, which bounds how many elements its data can hold.
StatusOr<Tensor> DecodeInput(json::Element item, std::string_view blob, size_t* blob_pos,
                             size_t json_size) {
  ASSIGN_OR_RETURN(json::Object input, json::AsObject(item, "inputs"));
  Tensor tensor;
  auto name = json::Find(input, "name");
  if (!name) return InvalidArgumentError("an input has no 'name'");
  ASSIGN_OR_RETURN(std::string_view name_text, json::AsString(*name, "name"));
  tensor.name = name_text;
  auto datatype = json::Find(input, "datatype");
  if (!datatype)
    return InvalidArgumentError(fmt::format("input '{}' has no 'datatype'", name_text));
  ASSIGN_OR_RETURN(std::string_view type_text, json::AsString(*datatype, "datatype"));
  auto type = ParseDataType(type_text);
  if (!type) {
    return InvalidArgumentError(
        fmt::format("input '{}': unknown datatype '{}'", tensor.name, type_text));
  }
  tensor.datatype = *type;
  auto shape = json::Find(input, "shape");
  if (!shape) return InvalidArgumentError(fmt::format("input '{}' has no 'shape'", tensor.name));
  if (!shape->is_array()) {
    return InvalidArgumentError(fmt::format("input '{}': 'shape' must be an array", tensor.name));
  }
  json::Array dims = shape->get_array().value_unsafe();
  for (json::Element dim : dims) {
    auto value = dim.get_int64();
    if (value.error() || value.value() < 0) {
      return InvalidArgumentError(
          fmt::format("input '{}': shape {} must hold non-negative integers", tensor.name,
                      json::ToJson(*shape)));
    }
    tensor.shape.push_back(value.value());
  }
  ASSIGN_OR_RETURN(int64_t expected, ElementCount(tensor.shape));
  ASSIGN_OR_RETURN(std::optional<int64_t> binary_size, BinarySize(input));
  if (binary_size) {
    if (json::Find(input, "data")) {
      return InvalidArgumentError(
          fmt::format("input '{}' has both 'data' and binary_data_size", tensor.name));
    }
    if (static_cast<uint64_t>(*binary_size) > blob.size() - *blob_pos) {
      return InvalidArgumentError(
          fmt::format("input '{}': binary_data_size {} runs past the end of the body", tensor.name,
                      *binary_size));
    }
    tensor.data.assign(blob.substr(*blob_pos, *binary_size));
    *blob_pos += *binary_size;
    RETURN_IF_ERROR(ValidateTensorData(tensor));
    return tensor;
  }
  auto data = json::Find(input, "data");
  if (!data) return InvalidArgumentError(fmt::format("input '{}' has no 'data'", tensor.name));
  // Reserve only what the JSON can really hold (every element takes at least one byte of it): a
  // small body declaring a huge shape must not allocate for that shape. It fails the count check.
  if (size_t size = ElementSize(tensor.datatype);
      size != 0 && expected > 0 && static_cast<uint64_t>(expected) <= json_size) {
    tensor.data.reserve(expected * size);
  }
  int64_t count = 0;
  RETURN_IF_ERROR(AppendJsonElements(*data, &tensor, &count));
  if (count != expected) {
    return InvalidArgumentError(fmt::format("input '{}': {} elements of data for shape {} ({})",
                                            tensor.name, count, ShapeString(tensor.shape),
                                            expected));
  }
  return tensor;
}

}  // namespace

StatusOr<V2InferRequest> DecodeV2Request(std::string_view body,
                                         std::optional<std::string_view> header_length) {
  std::string_view json_text = body;
  std::string_view blob;
  if (header_length) {
    size_t length = 0;
    auto [end, ec] = std::from_chars(header_length->data(),
                                     header_length->data() + header_length->size(), length);
    if (ec != std::errc() || end != header_length->data() + header_length->size()) {
      return InvalidArgumentError("Inference-Header-Content-Length is not a number");
    }
    if (length > body.size()) {
      return InvalidArgumentError(fmt::format(
          "Inference-Header-Content-Length {} exceeds the body's {} bytes", length, body.size()));
    }
    if (length == 0) {
      return UnimplementedError(
          "raw binary requests (Inference-Header-Content-Length: 0) are not supported; send a "
          "JSON header");
    }
    json_text = body.substr(0, length);
    blob = body.substr(length);
  }
  ASSIGN_OR_RETURN(json::Element root, json::ParseJson(json_text));
  ASSIGN_OR_RETURN(json::Object object, json::AsObject(root, "request"));
  V2InferRequest request;
  if (auto id = json::Find(object, "id")) {
    ASSIGN_OR_RETURN(std::string_view id_text, json::AsString(*id, "id"));
    request.id = std::string(id_text);
  }
  ASSIGN_OR_RETURN(std::optional<bool> binary_output, BoolParameter(object, "binary_data_output"));
  request.binary_output_default = binary_output.value_or(false);
  auto inputs = json::Find(object, "inputs");
  if (!inputs || !inputs->is_array()) {
    return InvalidArgumentError("the request needs an 'inputs' array");
  }
  size_t blob_pos = 0;
  json::Array input_list = inputs->get_array().value_unsafe();
  for (json::Element item : input_list) {
    ASSIGN_OR_RETURN(Tensor tensor, DecodeInput(item, blob, &blob_pos, json_text.size()));
    request.inputs.push_back(std::move(tensor));
  }
  if (blob_pos != blob.size()) {
    return InvalidArgumentError(
        fmt::format("{} bytes of binary data follow the JSON header but the inputs use {}",
                    blob.size(), blob_pos));
  }
  if (auto outputs = json::Find(object, "outputs")) {
    ASSIGN_OR_RETURN(json::Array list, json::AsArray(*outputs, "outputs"));
    for (json::Element item : list) {
      ASSIGN_OR_RETURN(json::Object output, json::AsObject(item, "outputs"));
      auto name = json::Find(output, "name");
      if (!name) return InvalidArgumentError("a requested output has no 'name'");
      ASSIGN_OR_RETURN(std::string_view name_text, json::AsString(*name, "name"));
      ASSIGN_OR_RETURN(std::optional<bool> binary, BoolParameter(output, "binary_data"));
      request.outputs.push_back({std::string(name_text), binary});
    }
  }
  return request;
}

StatusOr<V2InferRequest> DecodeV2RawRequest(std::string_view body,
                                            const std::vector<TensorSpec>& inputs) {
  if (inputs.size() != 1) {
    return InvalidArgumentError(
        "a raw binary request (Inference-Header-Content-Length: 0) needs a single-input model");
  }
  const TensorSpec& spec = inputs[0];
  Tensor tensor;
  tensor.name = spec.name;
  tensor.datatype = spec.datatype;
  tensor.shape = spec.shape;
  if (tensor.shape.empty()) tensor.shape.push_back(1);
  tensor.shape[0] = 1;
  for (size_t d = 1; d < tensor.shape.size(); ++d) {
    if (tensor.shape[d] < 0) {
      return InvalidArgumentError(
          fmt::format("a raw binary request needs fixed input dimensions; the model's are {}",
                      ShapeString(spec.shape)));
    }
  }
  tensor.data.assign(body);
  RETURN_IF_ERROR(ValidateTensorData(tensor));
  V2InferRequest request;
  request.inputs.push_back(std::move(tensor));
  request.binary_output_default = true;
  return request;
}

V2Response EncodeV2Response(std::string_view model_name, std::string_view model_version,
                            const V2InferRequest& request, const std::vector<Tensor>& outputs) {
  V2Response response;
  std::string& out = response.body;
  out.reserve(128 + outputs.size() * 64);
  std::string blob;
  bool any_binary = false;
  JsonWriter w(&out);
  w.StartObject().Field("model_name", model_name).Field("model_version", model_version);
  if (request.id) w.Field("id", *request.id);
  w.Key("outputs").StartArray();
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& tensor = outputs[i];
    bool binary = request.binary_output_default;
    for (const V2RequestedOutput& wanted : request.outputs) {
      if (wanted.name == tensor.name && wanted.binary) binary = *wanted.binary;
    }
    // FP16/BF16 have no JSON form: they always travel binary.
    if (tensor.datatype == DataType::kFp16 || tensor.datatype == DataType::kBf16) binary = true;
    w.StartObject().Field("name", tensor.name).Field("datatype", DataTypeName(tensor.datatype));
    w.Key("shape").StartArray();
    for (int64_t dim : tensor.shape) w.Int(dim);
    w.EndArray();
    if (binary) {
      w.Key("parameters").StartObject();
      w.Field("binary_data_size", static_cast<int64_t>(tensor.data.size())).EndObject();
      blob.append(tensor.data);
      any_binary = true;
    } else {
      std::string data;
      AppendJsonData(tensor, &data);
      w.Key("data").Raw(data);
    }
    w.EndObject();
  }
  w.EndArray().EndObject();
  if (any_binary) {
    response.header_length = out.size();
    out.append(blob);
  }
  return response;
}

}  // namespace mlhub::serving
