// SPDX-License-Identifier: Apache-2.0
// Page tokens for search endpoints: base64 of `{"offset": N}`, as MLflow's SQL store makes them, so
// tokens stay opaque to clients and compatible in form.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace mlhub::rest {

std::string EncodePageToken(int64_t offset);
// "" decodes to 0; anything malformed is kInvalidArgument.
StatusOr<int64_t> DecodePageToken(std::string_view token);

}  // namespace mlhub::rest
