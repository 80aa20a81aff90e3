// SPDX-License-Identifier: Apache-2.0
#include "rest/json_route.h"

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
                  JsonHandler handler) {
  AddResponseRoute(router, method, path, JsonResponse(std::move(handler)));
}

void AddJsonPrefixRoute(http::Router& router, http::Method method, std::string_view prefix,
                        JsonPrefixHandler handler) {
  http::Handler wrapped = [handler = std::move(handler)](http::Request& request) {
    auto fields = RequestFields::FromRequest(request);
    if (!fields.ok()) return ErrorResponse(fields.status());
    auto body = handler(*fields, request.path_suffix);
    if (!body.ok()) return ErrorResponse(body.status());
    return http::Response::Json(200, std::move(body).value());
  };
  for (std::string_view api : {kApiPrefix, kAjaxPrefix}) {
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
