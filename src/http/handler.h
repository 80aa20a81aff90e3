// SPDX-License-Identifier: Apache-2.0
// The contract between the HTTP transport and the code that answers requests.
//
// A Handler runs on the server's blocking pool (never on an I/O thread), so it may do SQL or file
// I/O. Bodies are buffered for ordinary routes (bounded by HttpServerConfig::max_body_bytes);
// upload routes stream the request body into a BodySink, and any response may stream its body from
// a BodySource.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/status.h"
#include "http/query_params.h"

namespace mlhub::http {

enum class Method { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions, kOther };

struct Request {
  Method method = Method::kGet;
  std::string target;            // as sent: path plus query
  std::string path;              // target before '?', NOT percent-decoded
  std::string_view path_suffix;  // for prefix routes: `path` after the route's prefix
  QueryParams query;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;  // the whole body, for buffered routes only
  std::string user;  // who sent it, once a RouteFilter authenticated it (else empty)

  // First header with this (lower-case) name.
  std::optional<std::string_view> Header(std::string_view lower_name) const;
};

// A pull source for a streamed response body. Read is called repeatedly on the blocking pool until
// it returns 0 (end of body) or an error (the connection is then closed: the status line is already
// out).
class BodySource {
 public:
  virtual ~BodySource() = default;
  virtual StatusOr<size_t> Read(char* buffer, size_t capacity) = 0;
  // A source that holds the body in buffers of its own can lend them instead: when lends() is
  // true, Lend is called instead of Read, and returns the next bytes (at most `max`), valid until
  // the next call; empty at the end. The connection then writes them without a copy and needs
  // the blocking pool only once per lent piece.
  virtual bool lends() const { return false; }
  virtual StatusOr<std::string_view> Lend(size_t max) {
    (void)max;
    return UnimplementedError("this body source does not lend its buffers");
  }
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::string body;
  // When set, the body is streamed from here instead of `body`. With `content_length` the response
  // carries Content-Length, otherwise it is sent chunked.
  std::unique_ptr<BodySource> stream;
  std::optional<uint64_t> content_length;

  static Response Text(int status, std::string text) {
    Response r;
    r.status = status;
    r.content_type = "text/plain; charset=utf-8";
    r.body = std::move(text);
    return r;
  }
  static Response Json(int status, std::string json) {
    Response r;
    r.status = status;
    r.body = std::move(json);
    return r;
  }
};

// Receives a streamed request body, chunk by chunk, on the blocking pool. Exactly one of Finish or
// Abort is called last. Abort means the body did not arrive whole (client gone, limit, timeout):
// the sink must leave no partial data visible.
class BodySink {
 public:
  virtual ~BodySink() = default;
  // A Write error ends the upload: Abort is called next and the error is answered with
  // ErrorResponse.
  virtual Status Write(std::string_view chunk) = 0;
  virtual Response Finish() = 0;
  virtual void Abort() = 0;
};

using Handler = std::function<Response(Request&)>;

// Answers an async request: call it exactly once, from any thread. If every copy is destroyed
// uncalled, the client gets a 500 (a bug, but never a hung connection).
using Responder = std::function<void(Response)>;

// A handler that does not need the blocking pool (inference: the work runs on the model's own
// threads). It runs on an I/O thread, so it must not block; it answers through `respond`, now or
// later. `request` stays valid until `respond` is called.
using AsyncHandler = std::function<void(Request& request, Responder respond)>;

// Called once the headers of an upload are in, before `100 Continue` is sent and before any body
// byte is read: return a Response to reject the upload at once, or a sink to receive the body.
using UploadHandler = std::function<std::variant<Response, std::unique_ptr<BodySink>>(Request&)>;

// Maps a failed Status from a BodySink::Write to the response for it. Installed per upload route.
using ErrorMapper = std::function<Response(const Status&)>;

}  // namespace mlhub::http
