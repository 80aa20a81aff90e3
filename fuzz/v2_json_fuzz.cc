// SPDX-License-Identifier: Apache-2.0
// The V2 (Open Inference Protocol) JSON request decoder (serving/protocol/v2_codec.h) behind
// POST /v2/models/<name>/infer without the binary extension. Input: the request body.
//
// Properties: no crash or UB; a refusal is InvalidArgument; see v2_check.h for decoded requests.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "v2_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  mlhub::fuzz::CheckDecoded(mlhub::serving::DecodeV2Request(body, std::nullopt), body);
  return 0;
}
