// SPDX-License-Identifier: Apache-2.0
// The V2 binary tensor extension (serving/protocol/v2_codec.h): a JSON header whose length
// Inference-Header-Content-Length gives, followed by the raw bytes of the inputs that declare
// parameters.binary_data_size; and Triton's raw requests (Inference-Header-Content-Length: 0),
// whose body is one input's bytes. Input, by its first byte:
//   'h' (or an even byte): the header's value up to the first newline, then the body;
//   'r' (or an odd byte): a raw request; then the model's input: its datatype (a byte), its rank
//       (a byte, 0-4) and that many dimensions (signed bytes: -1 is variable), then the body.
//
// Properties: no crash or UB; a refusal is InvalidArgument; see v2_check.h for decoded requests.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "v2_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlhub;
  using namespace mlhub::serving;
  if (size == 0) return 0;
  bool raw = data[0] == 'r' || (data[0] != 'h' && data[0] % 2 == 1);
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (!raw) {
    size_t newline = rest.find('\n');
    if (newline == std::string_view::npos) return 0;
    fuzz::CheckDecoded(DecodeV2Request(rest.substr(newline + 1), rest.substr(0, newline)), rest);
    return 0;
  }
  if (rest.size() < 2) return 0;
  TensorSpec spec;
  spec.name = "x";
  spec.datatype = static_cast<DataType>(static_cast<uint8_t>(rest[0]) %
                                        (static_cast<int>(DataType::kBytes) + 1));
  size_t rank = static_cast<uint8_t>(rest[1]) % 5;
  rest.remove_prefix(2);
  if (rest.size() < rank) return 0;
  for (size_t d = 0; d < rank; ++d) spec.shape.push_back(static_cast<int8_t>(rest[d]));
  rest.remove_prefix(rank);
  fuzz::CheckDecoded(DecodeV2RawRequest(rest, {spec}), rest);
  // A model with two inputs cannot take a raw request.
  auto two = DecodeV2RawRequest(rest, {spec, spec});
  FUZZ_CHECK(!two.ok());
  fuzz::CheckRefusal(two.status());
  return 0;
}
