// SPDX-License-Identifier: Apache-2.0
// Router: maps (method, path) to a handler. Exact routes win over prefix routes; among prefix
// routes the longest prefix wins. Built once at startup, then read-only (safe to share between
// threads).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "http/handler.h"

namespace mlhub::http {

// Runs around the handlers of the routes added after Router::SetFilter (the server's
// authentication and authorization). Before runs on the thread of the handler (for upload routes:
// once the headers are in, before any body byte; for async routes: on the I/O thread) and may
// answer instead of it; After may change a buffered handler's response (not a streamed one), and
// may run the route's handler again (`again`, without the filter) on requests of its own: a
// search whose page it cut short asks for the next page.
class RouteFilter {
 public:
  virtual ~RouteFilter() = default;
  virtual std::optional<Response> Before(Request& request) = 0;
  virtual void After(const Request& request, Response& response, const Handler& again) {}
};

class Router {
 public:
  struct Route {
    Method method;
    std::string pattern;  // exact path, or prefix for prefix routes; also the `route` metric label
    bool is_prefix = false;
    Handler handler;           // set for ordinary routes
    UploadHandler upload;      // set for upload routes
    ErrorMapper upload_error;  // set for upload routes
    AsyncHandler async;        // set for async routes
  };

  void Add(Method method, std::string path, Handler handler);
  void AddPrefix(Method method, std::string prefix, Handler handler);
  // Async routes: the handler runs on the I/O thread and answers through a Responder.
  void AddAsync(Method method, std::string path, AsyncHandler handler);
  void AddAsyncPrefix(Method method, std::string prefix, AsyncHandler handler);
  void AddUpload(Method method, std::string prefix, UploadHandler handler, ErrorMapper on_error);
  // Answers requests that match no route (default: plain-text 404, as Flask does). Also used for a
  // known path with another method (405 would be more precise, but MLflow answers 404 there too).
  void SetNotFound(Handler handler);
  // Applies to routes added from now on.
  void SetFilter(std::shared_ptr<RouteFilter> filter) { filter_ = std::move(filter); }

  // The matching route, or nullptr. For prefix routes `*suffix` receives the rest of the path.
  const Route* Match(Method method, std::string_view path, std::string_view* suffix) const;
  const Handler& not_found() const { return not_found_; }

  // Builds the answer to a request the transport itself refuses (malformed: 400, body too large:
  // 413, headers too large: 431, handler crash: 500), so it can use the protocol's error format.
  // Default: plain text with that status.
  using TransportErrorResponder = std::function<Response(int status, std::string_view message)>;
  void SetTransportErrorResponder(TransportErrorResponder responder);
  Response TransportError(int status, std::string_view message) const {
    return transport_error_(status, message);
  }

 private:
  // Lets `exact_` be searched with a string_view (no allocation per lookup).
  struct PathHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  void AddPrefixRoute(Route route);
  Handler Filtered(Handler handler) const;
  AsyncHandler Filtered(AsyncHandler handler) const;
  UploadHandler Filtered(UploadHandler handler) const;
  static Response DefaultNotFound(Request&) { return Response::Text(404, "Not Found"); }

  std::unordered_map<std::string, std::vector<Route>, PathHash, std::equal_to<>> exact_;  // by path
  std::vector<Route> prefixes_;  // sorted, longest prefix first
  Handler not_found_ = DefaultNotFound;
  std::shared_ptr<RouteFilter> filter_;
  TransportErrorResponder transport_error_ = [](int status, std::string_view message) {
    return Response::Text(status, std::string(message));
  };
};

}  // namespace mlhub::http
