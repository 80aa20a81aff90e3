// SPDX-License-Identifier: Apache-2.0
// HttpServer: HTTP/1.1 on Boost.Beast + Asio with C++20 coroutines. Keep-alive, streamed bodies,
// `Expect: 100-continue`, header/body limits, idle timeouts, graceful drain. Handlers run on a
// bounded blocking pool; I/O threads only move bytes. Thread-safe: Shutdown may be called from any
// thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "http/router.h"

namespace mlhub::http {

class HttpMetrics;

struct HttpServerConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 5000;  // 0 picks a free port; see HttpServer::port()
  int io_threads = 2;
  int blocking_threads = 8;  // pool that runs handlers
  size_t max_header_bytes = 64 * 1024;
  size_t max_body_bytes = 64 * 1024 * 1024;  // buffered (non-upload) routes
  uint64_t max_upload_bytes = UINT64_MAX;    // upload routes
  std::chrono::seconds idle_timeout{60};     // no bytes moving on a connection for this long
                                             // (also bounds a request head trickling in)
  // Open connections at most; one more is answered 503 and closed at once (0: no limit).
  size_t max_connections = 10000;
  // HTTPS: PEM certificate (chain) and private key; both empty for plain HTTP.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;           // PEM CA(s): require and verify client certificates
  std::chrono::seconds shutdown_grace{30};  // in-flight requests get this long to finish
};

class HttpServer {
 public:
  // Binds and listens. `router` and `metrics` must outlive the server; `metrics` may be null.
  static StatusOr<std::unique_ptr<HttpServer>> Create(const HttpServerConfig& config,
                                                      const Router& router, HttpMetrics* metrics);
  virtual ~HttpServer() = default;

  // The bound port (useful when the config asked for port 0).
  virtual uint16_t port() const = 0;
  // Serves until Shutdown() has drained; returns then. Call once.
  virtual void Run() = 0;
  // Stops accepting, lets in-flight requests finish within the grace period, closes idle keep-alive
  // connections, then makes Run() return. Idempotent.
  virtual void Shutdown() = 0;
};

}  // namespace mlhub::http
