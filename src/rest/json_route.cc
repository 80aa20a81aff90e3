// SPDX-License-Identifier: Apache-2.0
#include "rest/json_route.h"

#include <array>

#include "rest/mlflow_error.h"

namespace mlhub::rest {

namespace {

http::Handler Wrap(ResponseHandler handler) {
  return [handler = std::move(handler)](http::Request& request) {
    auto fields = RequestFields::FromRequest(request);
    if (!fields.ok()) return ErrorResponse(fields.status());
    auto response = handler(*fields);
    if (!response.ok()) return ErrorResponse(response.status());
    return std::move(response).value();
  };
}

ResponseHandler JsonResponse(JsonHandler handler) {
  return [handler = std::move(handler)](const RequestFields& fields) -> StatusOr<http::Response> {
    ASSIGN_OR_RETURN(std::string body, handler(fields));
    return http::Response::Json(200, std::move(body));
  };
}

std::array<std::string_view, 2> Prefixes(ApiVersion version) {
  if (version == ApiVersion::kV3) return {kApiV3Prefix, kAjaxV3Prefix};
  return {kApiPrefix, kAjaxPrefix};
}

}  // namespace

StatusOr<std::string> Empty(const Status& status) {
  if (!status.ok()) return status;
  return std::string("{}");
}

void AddResponseRoute(http::Router& router, http::Method method, std::string_view path,
                      ResponseHandler handler) {
  http::Handler wrapped = Wrap(std::move(handler));
  for (std::string_view prefix : {kApiPrefix, kAjaxPrefix}) {
    router.Add(method, std::string(prefix) + std::string(path), wrapped);
  }
}

void AddJsonRoute(http::Router& router, http::Method method, std::string_view path,
                  JsonHandler handler, ApiVersion version) {
  http::Handler wrapped = Wrap(JsonResponse(std::move(handler)));
  for (std::string_view prefix : Prefixes(version)) {
    router.Add(method, std::string(prefix) + std::string(path), wrapped);
  }
}

void AddJsonPrefixRoute(http::Router& router, http::Method method, std::string_view prefix,
                        JsonPrefixHandler handler, ApiVersion version) {
  http::Handler wrapped = [handler = std::move(handler)](http::Request& request) {
    auto fields = RequestFields::FromRequest(request);
    if (!fields.ok()) return ErrorResponse(fields.status());
    auto body = handler(*fields, request.path_suffix);
    if (!body.ok()) return ErrorResponse(body.status());
    return http::Response::Json(200, std::move(body).value());
  };
  for (std::string_view api : Prefixes(version)) {
    router.AddPrefix(method, std::string(api) + std::string(prefix), wrapped);
  }
}

void AddMlhubJsonRoute(http::Router& router, http::Method method, std::string_view path,
                       JsonHandler handler) {
  http::Handler wrapped = Wrap(JsonResponse(std::move(handler)));
  for (std::string_view prefix : {kMlhubApiPrefix, kMlhubAjaxPrefix}) {
    router.Add(method, std::string(prefix) + std::string(path), wrapped);
  }
}

}  // namespace mlhub::rest
