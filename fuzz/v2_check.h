// SPDX-License-Identifier: Apache-2.0
// What both V2 fuzz targets check of a decoded request: every input holds exactly the bytes its
// shape and datatype call for, and the response encoder takes those tensors back (as JSON data
// and as binary) into a body whose JSON part parses.
#pragma once

#include <simdjson.h>

#include <string_view>

#include "fuzz_check.h"
#include "serving/protocol/v2_codec.h"

namespace mlhub::fuzz {

inline void CheckEncodes(serving::V2InferRequest request, bool binary) {
  request.binary_output_default = binary;
  serving::V2Response response = serving::EncodeV2Response("model", "1", request, request.inputs);
  std::string_view json = response.body;
  if (response.header_length) {
    FUZZ_CHECK(*response.header_length <= response.body.size());
    json = json.substr(0, *response.header_length);
  }
  // BYTES elements may be any bytes; JSON text is only expected to parse when it is UTF-8.
  if (!simdjson::validate_utf8(json.data(), json.size())) return;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  FUZZ_CHECK(parser.parse(json.data(), json.size()).get(root) == simdjson::SUCCESS);
  simdjson::dom::array outputs;
  FUZZ_CHECK(root["outputs"].get_array().get(outputs) == simdjson::SUCCESS);
  FUZZ_CHECK(outputs.size() == request.inputs.size());
}

// `input`: the request's bytes (a refusal of UTF-8 input must be UTF-8).
inline void CheckDecoded(const StatusOr<serving::V2InferRequest>& request, std::string_view input) {
  if (!request.ok()) {
    // Inference-Header-Content-Length: 0 is a raw request, refused as unimplemented here.
    if (request.status().code() == StatusCode::kUnimplemented) return;
    return CheckRefusal(request.status(), input);
  }
  for (const serving::Tensor& input : request->inputs) {
    FUZZ_CHECK(serving::ValidateTensorData(input).ok());
  }
  CheckEncodes(*request, /*binary=*/false);
  CheckEncodes(*request, /*binary=*/true);
}

}  // namespace mlhub::fuzz
