// SPDX-License-Identifier: Apache-2.0
// Internal to the http module: Connection, one accepted TCP connection of HttpServer, served by a
// coroutine (keep-alive loop, buffered and streamed bodies, idle timer). Shared ownership: the
// coroutine and the owner's connection table each hold it. Close/CloseIfIdle must run on
// executor(). Beast stays out of this header (it is included by connection.cc only).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>

#include "http/http_server.h"

namespace boost::asio::ssl {
class context;
}

namespace mlhub::http {

class HttpMetrics;

namespace internal {

class Connection;

// What a connection needs from its server. Implemented by HttpServer's implementation; every member
// is thread-safe.
class ConnectionOwner {
 public:
  virtual ~ConnectionOwner() = default;
  virtual const HttpServerConfig& config() const = 0;
  virtual const Router& router() const = 0;
  virtual HttpMetrics* metrics() const = 0;      // may be null
  virtual boost::asio::thread_pool& pool() = 0;  // runs every handler and body callback
  virtual bool stopping() const = 0;             // Shutdown() was called
  // The TLS context connections are served over, or null for plain TCP.
  virtual boost::asio::ssl::context* tls_context() = 0;
  // Called once, on the connection's executor, when the connection is done.
  virtual void Remove(Connection* conn) = 0;
};

class Connection {
 public:
  virtual ~Connection() = default;

  // Creates a connection for `socket` (TCP_NODELAY already set) and spawns its coroutine on the
  // socket's executor. `owner` must outlive it.
  static std::shared_ptr<Connection> Start(ConnectionOwner* owner,
                                           boost::asio::ip::tcp::socket socket);

  virtual boost::asio::any_io_executor executor() = 0;
  // Closes the socket; pending I/O fails and the coroutine winds down (after any pool call).
  virtual void Close() = 0;
  // Closes only when waiting for the next request with nothing buffered (graceful shutdown).
  virtual void CloseIfIdle() = 0;
};

}  // namespace internal
}  // namespace mlhub::http
