// SPDX-License-Identifier: Apache-2.0
#include "serving/backends/mlmodel.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "common/json_reader.h"

namespace mlhub::serving {
namespace {

// One signature list (`inputs` or `outputs`), a JSON string such as
// [{"type": "double", "name": "f0", "required": true}] or
// [{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 13]}}].
StatusOr<std::vector<SignatureField>> ParseSignatureList(std::string_view json_text,
                                                         std::string_view which) {
  std::vector<SignatureField> fields;
  ASSIGN_OR_RETURN(json::Element root, json::ParseJson(json_text));
  ASSIGN_OR_RETURN(json::Array list, json::AsArray(root, which));
  for (json::Element item : list) {
    ASSIGN_OR_RETURN(json::Object object, json::AsObject(item, which));
    SignatureField field;
    if (auto name = json::Find(object, "name")) {
      ASSIGN_OR_RETURN(std::string_view text, json::AsString(*name, "name"));
      field.name = text;
    }
    if (auto required = json::Find(object, "required")) {
      ASSIGN_OR_RETURN(field.required, json::AsBool(*required, "required"));
    }
    auto type = json::Find(object, "type");
    if (!type)
      return InvalidArgumentError(fmt::format("signature {}: an entry has no type", which));
    ASSIGN_OR_RETURN(std::string_view type_text, json::AsString(*type, "type"));
    if (type_text == "tensor") {
      field.is_tensor = true;
      auto spec = json::Find(object, "tensor-spec");
      if (!spec)
        return InvalidArgumentError(fmt::format("signature {}: tensor without spec", which));
      ASSIGN_OR_RETURN(json::Object spec_object, json::AsObject(*spec, "tensor-spec"));
      auto dtype = json::Find(spec_object, "dtype");
      if (!dtype)
        return InvalidArgumentError(fmt::format("signature {}: tensor without dtype", which));
      ASSIGN_OR_RETURN(std::string_view dtype_text, json::AsString(*dtype, "dtype"));
      field.type = dtype_text;
      if (auto shape = json::Find(spec_object, "shape")) {
        ASSIGN_OR_RETURN(json::Array dims, json::AsArray(*shape, "shape"));
        for (json::Element dim : dims) {
          ASSIGN_OR_RETURN(int64_t value, json::AsInt64(dim, "shape"));
          field.shape.push_back(value);
        }
      }
    } else {
      field.type = type_text;
    }
    fields.push_back(std::move(field));
  }
  return fields;
}

}  // namespace

std::optional<std::string> MlModel::FlavorValue(const std::string& flavor,
                                                const std::string& key) const {
  auto f = flavors.find(flavor);
  if (f == flavors.end()) return std::nullopt;
  auto v = f->second.find(key);
  if (v == f->second.end()) return std::nullopt;
  return v->second;
}

StatusOr<MlModel> ParseMlModel(const std::string& yaml_text, const std::filesystem::path& dir) {
  MlModel model;
  model.dir = dir;
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(fmt::format("MLmodel is not valid YAML: {}", e.what()));
  }
  if (!root.IsMap()) return InvalidArgumentError("MLmodel is not a YAML mapping");
  try {
    YAML::Node flavors = root["flavors"];
    if (!flavors || !flavors.IsMap()) return InvalidArgumentError("MLmodel has no flavors");
    for (const auto& flavor : flavors) {
      auto& settings = model.flavors[flavor.first.as<std::string>()];
      if (!flavor.second.IsMap()) continue;
      for (const auto& setting : flavor.second) {
        if (setting.second.IsScalar())
          settings[setting.first.as<std::string>()] = setting.second.as<std::string>();
      }
    }
    if (root["run_id"] && root["run_id"].IsScalar())
      model.run_id = root["run_id"].as<std::string>();
    if (root["model_uuid"] && root["model_uuid"].IsScalar())
      model.model_uuid = root["model_uuid"].as<std::string>();
    YAML::Node signature = root["signature"];
    if (signature && signature.IsMap()) {
      model.has_signature = true;
      // yaml-cpp's as<std::string> copies; the JSON parse below reuses this thread's parser, so
      // each list is parsed and converted before the next.
      if (signature["inputs"] && signature["inputs"].IsScalar()) {
        std::string text = signature["inputs"].as<std::string>();
        ASSIGN_OR_RETURN(model.signature_inputs, ParseSignatureList(text, "inputs"));
      }
      if (signature["outputs"] && signature["outputs"].IsScalar()) {
        std::string text = signature["outputs"].as<std::string>();
        ASSIGN_OR_RETURN(model.signature_outputs, ParseSignatureList(text, "outputs"));
      }
    }
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(fmt::format("MLmodel: {}", e.what()));
  }
  return model;
}

StatusOr<MlModel> ReadMlModel(const std::filesystem::path& dir) {
  std::filesystem::path file = dir / "MLmodel";
  std::ifstream in(file, std::ios::binary);
  if (!in) return InvalidArgumentError(fmt::format("no MLmodel file in {}", dir.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return ParseMlModel(text.str(), dir);
}

std::optional<DataType> SignatureDataType(const SignatureField& field) {
  static const std::pair<std::string_view, DataType> kTypes[] = {
      // column types
      {"boolean", DataType::kBool},
      {"integer", DataType::kInt32},
      {"long", DataType::kInt64},
      {"float", DataType::kFp32},
      {"double", DataType::kFp64},
      {"string", DataType::kBytes},
      {"binary", DataType::kBytes},
      // numpy dtypes (tensor specs)
      {"bool", DataType::kBool},
      {"int8", DataType::kInt8},
      {"int16", DataType::kInt16},
      {"int32", DataType::kInt32},
      {"int64", DataType::kInt64},
      {"uint8", DataType::kUint8},
      {"uint16", DataType::kUint16},
      {"uint32", DataType::kUint32},
      {"uint64", DataType::kUint64},
      {"float16", DataType::kFp16},
      {"float32", DataType::kFp32},
      {"float64", DataType::kFp64},
      {"str", DataType::kBytes},
      {"object", DataType::kBytes},
  };
  for (const auto& [name, type] : kTypes) {
    if (field.type == name) return type;
  }
  return std::nullopt;
}

}  // namespace mlhub::serving
