// SPDX-License-Identifier: Apache-2.0
// Reading JSON request bodies with simdjson's DOM API, plus conversions that follow MLflow's wire
// rules: int64 as a number or a numeric string, doubles also as "NaN" / "Infinity" / "-Infinity",
// enums as names or integers. A parsed document lives in a per-thread parser: it stays valid until
// the next ParseJson call on the same thread.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/status.h"

namespace mlhub::json {

using Element = simdjson::dom::element;
using Object = simdjson::dom::object;
using Array = simdjson::dom::array;

// Parses `text` with this thread's parser. InvalidArgument (with simdjson's reason) when malformed.
StatusOr<Element> ParseJson(std::string_view text);

// The member `key` of `object`, or nullopt when it is absent or JSON null.
std::optional<Element> Find(Object object, std::string_view key);

// Typed reads. `name` names the field in error messages, e.g. "Invalid value 5 for parameter
// 'key'".
StatusOr<std::string_view> AsString(Element value, std::string_view name);
StatusOr<int64_t> AsInt64(Element value, std::string_view name);
StatusOr<double> AsDouble(Element value, std::string_view name);
StatusOr<bool> AsBool(Element value, std::string_view name);
StatusOr<Object> AsObject(Element value, std::string_view name);
StatusOr<Array> AsArray(Element value, std::string_view name);
// The string member `key` of `object`; "" when absent or null, kInvalidArgument for another type.
StatusOr<std::string> OptionalString(Object object, std::string_view key);

// The same rules for values that arrive as text (query strings).
StatusOr<int64_t> ParseInt64(std::string_view text, std::string_view name);
StatusOr<double> ParseDouble(std::string_view text, std::string_view name);
StatusOr<bool> ParseBool(std::string_view text, std::string_view name);

// The JSON text of a value (compact), for messages and for storing sub-documents verbatim.
std::string ToJson(Element value);

}  // namespace mlhub::json
