// SPDX-License-Identifier: Apache-2.0
// JsonWriter: appends compact JSON to a std::string, with commas placed automatically. Numbers use
// std::to_chars (shortest round-trip form). Doubles follow protobuf's JSON rules as MLflow does:
// NaN and ±Infinity are written as the strings "NaN", "Infinity" and "-Infinity".
// Not thread-safe; one writer per response.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mlhub {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  JsonWriter& StartObject();
  JsonWriter& EndObject();
  JsonWriter& StartArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // Appends already-encoded JSON as one value.
  JsonWriter& Raw(std::string_view json);

  // Shorthands for `Key(k).String(v)` etc.
  JsonWriter& Field(std::string_view key, std::string_view value) { return Key(key).String(value); }
  JsonWriter& Field(std::string_view key, const char* value) { return Key(key).String(value); }
  JsonWriter& Field(std::string_view key, int64_t value) { return Key(key).Int(value); }
  JsonWriter& Field(std::string_view key, double value) { return Key(key).Double(value); }
  JsonWriter& Field(std::string_view key, bool value) { return Key(key).Bool(value); }

  std::string* out() { return out_; }

 private:
  void BeforeValue();

  std::string* out_;
  // One entry per open container: true once it has a first element.
  std::vector<bool> has_element_;
  bool after_key_ = false;
};

// Appends `value` to `out` as a quoted, escaped JSON string.
void AppendJsonString(std::string* out, std::string_view value);

}  // namespace mlhub
