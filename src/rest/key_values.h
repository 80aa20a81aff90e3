// SPDX-License-Identifier: Apache-2.0
// MLflow's lists of {"key": ..., "value": ...} objects (tags, params) to and from JSON.
#pragma once

#include <string_view>
#include <vector>

#include "common/json_reader.h"
#include "common/json_writer.h"
#include "common/status.h"
#include "store/tracking_types.h"

namespace mlhub::rest {

// Writes `field: [{key, value}, ...]`; nothing for an empty list (MLflow omits empty lists).
void WriteKeyValues(JsonWriter& w, std::string_view field, const std::vector<store::Tag>& tags);

// Reads the list in `body[field]` (absent: empty); `field` names it in messages.
StatusOr<std::vector<store::Tag>> ReadKeyValues(json::Object body, std::string_view field);

}  // namespace mlhub::rest
