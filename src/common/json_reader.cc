// SPDX-License-Identifier: Apache-2.0
#include "common/json_reader.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <string>

#include "common/utf8.h"

namespace mlhub::json {
namespace {

Status InvalidValue(Element value, std::string_view name, std::string_view expected) {
  std::string text = ToJson(value);
  if (text.size() > 100) text = std::string(Utf8Prefix(text, 100)) + "...";
  return InvalidArgumentError(fmt::format(
      "Invalid value {} for parameter '{}' supplied: expected {}.", text, name, expected));
}

Status InvalidText(std::string_view text, std::string_view name, std::string_view expected) {
  return InvalidArgumentError(
      fmt::format("Invalid value '{}' for parameter '{}' supplied: expected {}.",
                  Utf8Prefix(text, 100), name, expected));
}

}  // namespace

StatusOr<Element> ParseJson(std::string_view text) {
  thread_local simdjson::dom::parser parser;
  Element root;
  auto error = parser.parse(text.data(), text.size(), /*realloc_if_needed=*/true).get(root);
  if (error) {
    return InvalidArgumentError(
        fmt::format("Malformed JSON in request body: {}", simdjson::error_message(error)));
  }
  return root;
}

std::optional<Element> Find(Object object, std::string_view key) {
  Element value;
  if (object.at_key(key).get(value) != simdjson::SUCCESS || value.is_null()) return std::nullopt;
  return value;
}

StatusOr<std::string> OptionalString(Object object, std::string_view key) {
  auto value = Find(object, key);
  if (!value) return std::string();
  ASSIGN_OR_RETURN(std::string_view text, AsString(*value, key));
  return std::string(text);
}

StatusOr<std::string_view> AsString(Element value, std::string_view name) {
  std::string_view out;
  if (value.get_string().get(out) != simdjson::SUCCESS)
    return InvalidValue(value, name, "a string");
  return out;
}

StatusOr<int64_t> AsInt64(Element value, std::string_view name) {
  switch (value.type()) {
    case simdjson::dom::element_type::INT64:
      return value.get_int64().value_unsafe();
    case simdjson::dom::element_type::UINT64:
      break;  // beyond int64
    case simdjson::dom::element_type::DOUBLE: {
      double d = value.get_double().value_unsafe();
      if (std::trunc(d) == d && std::abs(d) < 9.2e18) return static_cast<int64_t>(d);
      break;
    }
    case simdjson::dom::element_type::STRING:
      return ParseInt64(value.get_string().value_unsafe(), name);
    default:
      break;
  }
  return InvalidValue(value, name, "an integer");
}

StatusOr<double> AsDouble(Element value, std::string_view name) {
  switch (value.type()) {
    case simdjson::dom::element_type::INT64:
      return static_cast<double>(value.get_int64().value_unsafe());
    case simdjson::dom::element_type::UINT64:
      return static_cast<double>(value.get_uint64().value_unsafe());
    case simdjson::dom::element_type::DOUBLE:
      return value.get_double().value_unsafe();
    case simdjson::dom::element_type::STRING:
      return ParseDouble(value.get_string().value_unsafe(), name);
    default:
      return InvalidValue(value, name, "a number");
  }
}

StatusOr<bool> AsBool(Element value, std::string_view name) {
  if (value.type() == simdjson::dom::element_type::BOOL) return value.get_bool().value_unsafe();
  if (value.type() == simdjson::dom::element_type::STRING) {
    return ParseBool(value.get_string().value_unsafe(), name);
  }
  return InvalidValue(value, name, "a boolean");
}

StatusOr<Object> AsObject(Element value, std::string_view name) {
  Object out;
  if (value.get_object().get(out) != simdjson::SUCCESS)
    return InvalidValue(value, name, "an object");
  return out;
}

StatusOr<Array> AsArray(Element value, std::string_view name) {
  Array out;
  if (value.get_array().get(out) != simdjson::SUCCESS) return InvalidValue(value, name, "a list");
  return out;
}

StatusOr<int64_t> ParseInt64(std::string_view text, std::string_view name) {
  int64_t out = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (begin != end && *begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, out);
  if (ec != std::errc() || ptr != end || begin == end) return InvalidText(text, name, "an integer");
  return out;
}

StatusOr<double> ParseDouble(std::string_view text, std::string_view name) {
  if (text == "NaN" || text == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (text == "Infinity" || text == "inf") return std::numeric_limits<double>::infinity();
  if (text == "-Infinity" || text == "-inf") return -std::numeric_limits<double>::infinity();
  double out = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (begin != end && *begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, out);
  if (ec != std::errc() || ptr != end || begin == end) return InvalidText(text, name, "a number");
  return out;
}

StatusOr<bool> ParseBool(std::string_view text, std::string_view name) {
  if (text == "true" || text == "True" || text == "1") return true;
  if (text == "false" || text == "False" || text == "0") return false;
  return InvalidText(text, name, "true or false");
}

std::string ToJson(Element value) { return simdjson::minify(value); }

}  // namespace mlhub::json
