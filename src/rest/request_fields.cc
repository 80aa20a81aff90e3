// SPDX-License-Identifier: Apache-2.0
#include "rest/request_fields.h"

#include <fmt/format.h>

#include "common/ascii.h"

namespace mlhub::rest {

Status MissingField(std::string_view key) {
  return InvalidArgumentError(fmt::format(
      "Missing value for required parameter '{}'. See the API docs for more information about "
      "request parameters.",
      key));
}

StatusOr<RequestFields> RequestFields::FromRequest(const http::Request& request) {
  RequestFields fields(&request);
  if (request.method == http::Method::kGet || request.method == http::Method::kHead) {
    return fields;
  }
  auto content_type = request.Header("content-type");
  // The media type itself (parameters such as charset aside), as MLflow compares it.
  bool is_json = false;
  if (content_type) {
    std::string_view media = content_type->substr(0, content_type->find(';'));
    while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
    while (!media.empty() && (media.front() == ' ' || media.front() == '\t'))
      media.remove_prefix(1);
    is_json = EqualsIgnoreCase(media, "application/json");
  }
  if (!is_json && (request.method == http::Method::kPost || request.method == http::Method::kPut)) {
    return InvalidArgumentError(
        "Bad Request. Content-Type must be 'application/json' for this request.");
  }
  std::string_view body = request.body;
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) body = "{}";
  ASSIGN_OR_RETURN(json::Element root, json::ParseJson(body));
  json::Object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    return InvalidArgumentError("Request body must be a JSON object.");
  }
  fields.json_ = object;
  return fields;
}

StatusOr<std::optional<std::string_view>> RequestFields::String(std::string_view key) const {
  if (json_) {
    auto value = json::Find(*json_, key);
    if (!value) return std::optional<std::string_view>();
    ASSIGN_OR_RETURN(std::string_view text, json::AsString(*value, key));
    return std::optional<std::string_view>(text);
  }
  return request_->query.Get(key);
}

StatusOr<std::string_view> RequestFields::RequiredString(std::string_view key) const {
  ASSIGN_OR_RETURN(auto value, String(key));
  if (!value) return MissingField(key);
  return *value;
}

StatusOr<std::optional<int64_t>> RequestFields::Int64(std::string_view key) const {
  if (json_) {
    auto value = json::Find(*json_, key);
    if (!value) return std::optional<int64_t>();
    ASSIGN_OR_RETURN(int64_t number, json::AsInt64(*value, key));
    return std::optional<int64_t>(number);
  }
  auto text = request_->query.Get(key);
  if (!text) return std::optional<int64_t>();
  ASSIGN_OR_RETURN(int64_t number, json::ParseInt64(*text, key));
  return std::optional<int64_t>(number);
}

StatusOr<std::optional<double>> RequestFields::Double(std::string_view key) const {
  if (json_) {
    auto value = json::Find(*json_, key);
    if (!value) return std::optional<double>();
    ASSIGN_OR_RETURN(double number, json::AsDouble(*value, key));
    return std::optional<double>(number);
  }
  auto text = request_->query.Get(key);
  if (!text) return std::optional<double>();
  ASSIGN_OR_RETURN(double number, json::ParseDouble(*text, key));
  return std::optional<double>(number);
}

StatusOr<std::optional<bool>> RequestFields::Bool(std::string_view key) const {
  if (json_) {
    auto value = json::Find(*json_, key);
    if (!value) return std::optional<bool>();
    ASSIGN_OR_RETURN(bool flag, json::AsBool(*value, key));
    return std::optional<bool>(flag);
  }
  auto text = request_->query.Get(key);
  if (!text) return std::optional<bool>();
  ASSIGN_OR_RETURN(bool flag, json::ParseBool(*text, key));
  return std::optional<bool>(flag);
}

StatusOr<std::optional<std::string>> RequestFields::EnumText(std::string_view key) const {
  if (json_) {
    if (auto value = json::Find(*json_, key); value && value->is_int64()) {
      return std::optional<std::string>(std::to_string(value->get_int64().value_unsafe()));
    }
  }
  ASSIGN_OR_RETURN(auto text, String(key));
  if (!text) return std::optional<std::string>();
  return std::optional<std::string>(std::string(*text));
}

StatusOr<std::vector<std::string>> RequestFields::StringList(std::string_view key) const {
  std::vector<std::string> out;
  if (json_) {
    auto value = json::Find(*json_, key);
    if (!value) return out;
    if (value->is_string()) {  // a single value where a list is expected
      out.emplace_back(value->get_string().value_unsafe());
      return out;
    }
    ASSIGN_OR_RETURN(json::Array array, json::AsArray(*value, key));
    for (json::Element item : array) {
      ASSIGN_OR_RETURN(std::string_view text, json::AsString(item, key));
      out.emplace_back(text);
    }
    return out;
  }
  for (std::string_view text : request_->query.GetAll(key)) out.emplace_back(text);
  return out;
}

}  // namespace mlhub::rest
