// SPDX-License-Identifier: Apache-2.0
// The pieces of one HTTP exchange that connection.cc's coroutine works with: size constants, error
// and method mapping, the exchange record, the body-sink guard, and the guarded calls into
// upload sinks and body sources. Included by connection.cc only,
// after Beast (it stays the only translation unit that compiles Beast).
#pragma once

#include <algorithm>
#include <chrono>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "common/ascii.h"
#include "http/handler.h"
#include "http/router.h"

namespace mlhub::http::internal {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using beast::error_code;

constexpr size_t kChunkBytes = size_t{256} * 1024;          // download read and write size
constexpr size_t kUploadPieceBytes = size_t{1024} * 1024;   // upload bytes per sink Write
constexpr size_t kReadReserve = size_t{64} * 1024;          // Beast reads at most 64 KiB per recv
constexpr size_t kWriteSlice = size_t{1024} * 1024;         // big string bodies go out in slices
constexpr uint64_t kMaxDrainBytes = uint64_t{1024} * 1024;  // read and dropped before closing
constexpr int kTicksPerTimeout = 4;                         // idle timer granularity

inline auto Await(error_code& ec) { return asio::redirect_error(asio::use_awaitable, ec); }

bool IsParseError(const error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

Method ToMethod(bhttp::verb v) {
  switch (v) {
    case bhttp::verb::get:
      return Method::kGet;
    case bhttp::verb::head:
      return Method::kHead;
    case bhttp::verb::post:
      return Method::kPost;
    case bhttp::verb::put:
      return Method::kPut;
    case bhttp::verb::patch:
      return Method::kPatch;
    case bhttp::verb::delete_:
      return Method::kDelete;
    case bhttp::verb::options:
      return Method::kOptions;
    default:
      return Method::kOther;
  }
}

// Calls into handlers, sinks and sources that run on the blocking pool: an exception becomes an
// error, never an escape from the connection coroutine.
bool SafeAbort(BodySink* sink) {
  try {
    sink->Abort();
  } catch (...) {
  }
  return true;
}

using UploadStart = std::variant<Response, std::unique_ptr<BodySink>>;

UploadStart SafeStartUpload(const Router& router, const Router::Route& route, Request& request) {
  try {
    return route.upload(request);
  } catch (...) {
    return router.TransportError(500, "Internal Server Error");
  }
}

Status SafeWrite(BodySink* sink, std::string_view bytes) {
  try {
    return sink->Write(bytes);
  } catch (const std::exception& e) {
    return InternalError(std::string("upload sink failed: ") + e.what());
  } catch (...) {
    return InternalError("upload sink failed");
  }
}

Response SafeFinish(const Router& router, BodySink* sink) {
  try {
    return sink->Finish();
  } catch (...) {
    return router.TransportError(500, "Internal Server Error");
  }
}

// Aborts the upload and answers the sink's write failure as the route maps it.
Response AbortedUploadResponse(const Router& router, const Router::Route& route, BodySink* sink,
                               const Status& failure) {
  SafeAbort(sink);
  try {
    if (route.upload_error) return route.upload_error(failure);
  } catch (...) {
  }
  return router.TransportError(500, failure.message());
}

// The next piece of a streamed body: lent by the source, or read into `chunk` (kChunkBytes).
StatusOr<std::string_view> SafeNextPiece(BodySource* source, char* chunk) {
  try {
    if (source->lends()) return source->Lend(std::numeric_limits<size_t>::max());
    ASSIGN_OR_RETURN(size_t n, source->Read(chunk, kChunkBytes));
    return std::string_view(chunk, std::min(n, kChunkBytes));
  } catch (...) {
    return InternalError("body source failed");
  }
}

// One request/response exchange, kept in the connection coroutine's frame (stable address: Request
// views point into it).
struct Exchange {
  Request request;
  const Router::Route* route = nullptr;
  unsigned version = 11;
  bool keep_alive = false;
  bool head = false;
  std::string_view method_label = "OTHER";
  std::chrono::steady_clock::time_point start{};
};

// True when the client waits for `100 Continue` before sending the body (never for HTTP/1.0).
bool ExpectsContinue(const Exchange& x) {
  auto expect = x.request.Header("expect");
  return x.version >= 11 && expect && EqualsIgnoreCase(*expect, "100-continue");
}

// Calls Abort() if the sink was neither finished nor aborted (only when a coroutine frame dies
// early).
struct SinkHolder {
  std::unique_ptr<BodySink> sink;
  bool done = false;
  ~SinkHolder() {
    if (sink && !done) {
      try {
        sink->Abort();
      } catch (...) {
      }
    }
  }
};

}  // namespace
}  // namespace mlhub::http::internal
