// SPDX-License-Identifier: Apache-2.0
// RequestFields: the fields of an MLflow request, read the same way whether they came as a JSON
// body (POST/PATCH/DELETE) or as a query string (GET), following MLflow's conventions: numbers or
// numeric strings for int64, repeated query keys for lists, unknown fields ignored. Lives for one
// request on one thread (it borrows the request and this thread's JSON parser).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json_reader.h"
#include "common/status.h"
#include "http/handler.h"

namespace mlhub::rest {

class RequestFields {
 public:
  // A JSON request must declare Content-Type application/json and hold a JSON object (an empty body
  // counts as `{}`); otherwise kInvalidArgument.
  static StatusOr<RequestFields> FromRequest(const http::Request& request);

  StatusOr<std::optional<std::string_view>> String(std::string_view key) const;
  StatusOr<std::string_view> RequiredString(std::string_view key) const;
  StatusOr<std::optional<int64_t>> Int64(std::string_view key) const;
  StatusOr<std::optional<double>> Double(std::string_view key) const;
  StatusOr<std::optional<bool>> Bool(std::string_view key) const;
  StatusOr<std::vector<std::string>> StringList(std::string_view key) const;
  // An enum field: its name, or its integer value rendered as text (both are valid on the wire).
  StatusOr<std::optional<std::string>> EnumText(std::string_view key) const;
  // The JSON object, for nested structures; nullopt for query-string requests.
  const std::optional<json::Object>& json() const { return json_; }

 private:
  explicit RequestFields(const http::Request* request) : request_(request) {}

  const http::Request* request_;
  std::optional<json::Object> json_;
};

Status MissingField(std::string_view key);

}  // namespace mlhub::rest
