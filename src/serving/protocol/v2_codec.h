// SPDX-License-Identifier: Apache-2.0
// The V2 (Open Inference Protocol) REST inference body, both ways: JSON, and JSON followed by raw
// tensor bytes (the binary tensor extension: `Inference-Header-Content-Length` gives the JSON's
// length; inputs with `parameters.binary_data_size` take their bytes from the blob, in input
// order; outputs asked for as binary are appended the same way).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "serving/backends/tensor.h"

namespace mlhub::serving {

struct V2RequestedOutput {
  std::string name;
  std::optional<bool> binary;  // parameters.binary_data; unset: the request's default
};

struct V2InferRequest {
  std::optional<std::string> id;
  std::vector<Tensor> inputs;
  std::vector<V2RequestedOutput> outputs;  // empty: all
  bool binary_output_default = false;      // parameters.binary_data_output
};

// `header_length`: the value of Inference-Header-Content-Length, if sent (0: see
// DecodeV2RawRequest, which needs the model's inputs; here Unimplemented). InvalidArgument (a
// message for {"error": ...}) for malformed JSON, a missing field, a bad datatype or shape, data
// that do not match the shape, or binary sizes that do not tile the blob.
StatusOr<V2InferRequest> DecodeV2Request(std::string_view body,
                                         std::optional<std::string_view> header_length);

// Triton's raw binary request (`Inference-Header-Content-Length: 0`): the whole body is the bytes
// of the model's single input, one batch row (shape [1, dims...] from `input`, whose non-batch
// dimensions must be fixed); every output is answered binary. InvalidArgument when the model
// has several inputs' worth of metadata or the bytes do not fit the shape.
StatusOr<V2InferRequest> DecodeV2RawRequest(std::string_view body,
                                            const std::vector<TensorSpec>& inputs);

struct V2Response {
  std::string body;
  std::optional<size_t> header_length;  // set when binary outputs follow the JSON
};

// Encodes `outputs` (already selected and ordered). `request` gives the id and which outputs are
// binary.
V2Response EncodeV2Response(std::string_view model_name, std::string_view model_version,
                            const V2InferRequest& request, const std::vector<Tensor>& outputs);

}  // namespace mlhub::serving
