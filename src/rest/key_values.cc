// SPDX-License-Identifier: Apache-2.0
#include "rest/key_values.h"

#include <fmt/format.h>

namespace mlhub::rest {

void WriteKeyValues(JsonWriter& w, std::string_view field, const std::vector<store::Tag>& tags) {
  if (tags.empty()) return;
  w.Key(field).StartArray();
  for (const auto& tag : tags)
    w.StartObject().Field("key", tag.key).Field("value", tag.value).EndObject();
  w.EndArray();
}

StatusOr<std::vector<store::Tag>> ReadKeyValues(json::Object body, std::string_view field) {
  std::vector<store::Tag> out;
  auto list = json::Find(body, field);
  if (!list) return out;
  ASSIGN_OR_RETURN(json::Array items, json::AsArray(*list, field));
  for (json::Element item : items) {
    ASSIGN_OR_RETURN(json::Object object, json::AsObject(item, field));
    auto key = json::Find(object, "key");
    if (!key) return InvalidArgumentError(fmt::format("Missing 'key' in an entry of '{}'", field));
    store::Tag tag;
    ASSIGN_OR_RETURN(std::string_view key_text, json::AsString(*key, "key"));
    tag.key = key_text;
    if (auto value = json::Find(object, "value")) {
      ASSIGN_OR_RETURN(std::string_view value_text, json::AsString(*value, "value"));
      tag.value = value_text;
    }
    out.push_back(std::move(tag));
  }
  return out;
}

}  // namespace mlhub::rest
