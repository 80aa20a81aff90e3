// SPDX-License-Identifier: Apache-2.0
#include "rest/mlflow_error.h"

#include "common/json_writer.h"

namespace mlhub::rest {
namespace {

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kOutOfRange:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAborted:
      return 409;
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kUnimplemented:
      return 501;
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded:
      return 503;
    default:
      return 500;
  }
}

}  // namespace

std::string_view MlflowErrorCode(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kOutOfRange:
      return "INVALID_PARAMETER_VALUE";
    case StatusCode::kAlreadyExists:
      return "RESOURCE_ALREADY_EXISTS";
    case StatusCode::kNotFound:
      return "RESOURCE_DOES_NOT_EXIST";
    case StatusCode::kUnauthenticated:
      return "UNAUTHENTICATED";
    case StatusCode::kPermissionDenied:
      return "PERMISSION_DENIED";
    case StatusCode::kAborted:
      return "ABORTED";
    case StatusCode::kResourceExhausted:
      return "RESOURCE_EXHAUSTED";
    case StatusCode::kUnimplemented:
      return "NOT_IMPLEMENTED";
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded:
      return "TEMPORARILY_UNAVAILABLE";
    default:
      return "INTERNAL_ERROR";
  }
}

http::Response ErrorResponse(const Status& status) {
  std::string body;
  JsonWriter(&body)
      .StartObject()
      .Field("error_code", MlflowErrorCode(status.code()))
      .Field("message", status.message())
      .EndObject();
  return http::Response::Json(HttpStatusFor(status.code()), std::move(body));
}

}  // namespace mlhub::rest
