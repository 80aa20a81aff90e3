// SPDX-License-Identifier: Apache-2.0
// MlModel: what an MLflow model directory's `MLmodel` file says, as far as serving needs it: the
// flavors (name → their scalar settings) and the signature. Parsed with yaml-cpp; the signature's
// `inputs`/`outputs` are JSON strings inside the YAML, parsed with simdjson.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "serving/backends/tensor.h"

namespace mlhub::serving {

// One entry of an MLflow signature. Column-based entries have a `type` such as "double" and
// usually a name; tensor-based ones have type "tensor" and a dtype + shape.
struct SignatureField {
  std::string name;  // may be empty
  bool is_tensor = false;
  std::string type;            // column type ("double", "long", ...) or numpy dtype ("float32")
  std::vector<int64_t> shape;  // tensor fields only
  bool required = true;
};

struct MlModel {
  std::filesystem::path dir;  // the model directory (where `MLmodel` is)
  std::map<std::string, std::map<std::string, std::string>> flavors;
  std::optional<std::string> run_id;
  std::optional<std::string> model_uuid;
  bool has_signature = false;
  std::vector<SignatureField> signature_inputs;
  std::vector<SignatureField> signature_outputs;

  // A flavor's scalar setting, or nullopt.
  std::optional<std::string> FlavorValue(const std::string& flavor, const std::string& key) const;
};

// Reads `dir/MLmodel`. InvalidArgument when it is missing or malformed (named in the message).
StatusOr<MlModel> ReadMlModel(const std::filesystem::path& dir);
// Parses MLmodel YAML text (for tests and for ReadMlModel).
StatusOr<MlModel> ParseMlModel(const std::string& yaml_text, const std::filesystem::path& dir);

// The V2 datatype for a signature column type or numpy dtype ("double" → FP64, "float32" → FP32),
// or nullopt for types V2 has no numeric form for (string, datetime, ...).
std::optional<DataType> SignatureDataType(const SignatureField& field);

}  // namespace mlhub::serving
