// SPDX-License-Identifier: Apache-2.0
// HttpServer: listener, I/O threads, blocking pool and graceful drain. Asio only; the
// per-connection HTTP work (Beast) is in connection.cc.
//
// One io_context per I/O thread, connections dealt to them in turn: a connection's handlers then
// never need a strand, and the threads share no reactor lock (with one io_context run by every
// thread, that lock and the strands were measurable at tens of thousands of requests/s).

#include "http/http_server.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "http/connection.h"
#include "http/tls_certificate.h"

namespace mlhub::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using internal::Connection;

inline auto Await(error_code& ec) { return asio::redirect_error(asio::use_awaitable, ec); }

class ServerImpl final : public HttpServer, public internal::ConnectionOwner {
 public:
  ServerImpl(const HttpServerConfig& config, const Router& router, HttpMetrics* metrics)
      : config_(config),
        router_(router),
        metrics_(metrics),
        iocs_(MakeContexts(std::max(1, config.io_threads))),
        pool_(static_cast<size_t>(std::max(1, config.blocking_threads))),
        strand_(asio::make_strand(*iocs_[0])),
        acceptor_(strand_),
        grace_timer_(strand_) {
    // Contexts other than the acceptor's have no work of their own until a connection arrives:
    // these guards keep their threads running until the drain is over.
    for (size_t i = 1; i < iocs_.size(); ++i) keep_running_.emplace_back(iocs_[i]->get_executor());
  }

  ~ServerImpl() override {
    pool_.join();
    std::lock_guard<std::mutex> lock(mu_);
    conns_.clear();
  }

  Status Listen();
  Status LoadTls();
  uint16_t port() const override { return port_; }
  void Run() override;
  void Shutdown() override;

  // internal::ConnectionOwner
  const HttpServerConfig& config() const override { return config_; }
  const Router& router() const override { return router_; }
  HttpMetrics* metrics() const override { return metrics_; }
  asio::thread_pool& pool() override { return pool_; }
  bool stopping() const override { return stopping_.load(std::memory_order_relaxed); }
  asio::ssl::context* tls_context() override { return tls_.get(); }
  void Remove(Connection* conn) override;

 private:
  static std::vector<std::unique_ptr<asio::io_context>> MakeContexts(int n) {
    std::vector<std::unique_ptr<asio::io_context>> iocs;
    for (int i = 0; i < n; ++i) iocs.push_back(std::make_unique<asio::io_context>(1));
    return iocs;
  }
  asio::awaitable<void> Accept();
  void BeginDrain();
  void FinishDrain();  // on strand_: lets the I/O threads return
  std::vector<std::shared_ptr<Connection>> Snapshot();

  const HttpServerConfig config_;
  const Router& router_;
  HttpMetrics* const metrics_;
  std::vector<std::unique_ptr<asio::io_context>> iocs_;  // one per I/O thread
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>>
      keep_running_;     // used on strand_ only
  size_t next_ioc_ = 0;  // used by Accept only
  asio::thread_pool pool_;
  asio::strand<asio::io_context::executor_type> strand_;  // acceptor and grace timer
  tcp::acceptor acceptor_;
  asio::steady_timer grace_timer_;
  uint16_t port_ = 0;
  std::unique_ptr<TlsCertificate> certificate_;  // set by LoadTls; outlives tls_
  std::unique_ptr<asio::ssl::context> tls_;      // set by LoadTls, then read-only
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::unordered_map<Connection*, std::shared_ptr<Connection>> conns_;  // GUARDED_BY(mu_)
};

Status ServerImpl::Listen() {
  error_code ec;
  tcp::endpoint endpoint;
  auto address = asio::ip::make_address(config_.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, config_.port);
  } else {
    tcp::resolver resolver(*iocs_[0]);
    auto results = resolver.resolve(config_.host, std::to_string(config_.port), ec);
    if (ec || results.empty()) {
      return UnavailableError("cannot resolve " + config_.host + ": " + ec.message());
    }
    endpoint = results.begin()->endpoint();
  }
  auto fail = [&](const error_code& e) {
    bool v6 = config_.host.find(':') != std::string::npos;
    return UnavailableError("cannot listen on " + (v6 ? "[" + config_.host + "]" : config_.host) +
                            ":" + std::to_string(config_.port) + ": " + e.message());
  };
  if (acceptor_.open(endpoint.protocol(), ec); ec) return fail(ec);
  if (acceptor_.set_option(tcp::acceptor::reuse_address(true), ec); ec) return fail(ec);
  if (acceptor_.bind(endpoint, ec); ec) return fail(ec);
  if (acceptor_.listen(asio::socket_base::max_listen_connections, ec); ec) return fail(ec);
  port_ = acceptor_.local_endpoint(ec).port();
  if (ec) return fail(ec);
  return OkStatus();
}

// TLS 1.2 and 1.3 with OpenSSL's defaults, from PEM files (the certificate file may hold the
// chain: the server's certificate first), reloaded when they change (http/tls_certificate.h).
Status ServerImpl::LoadTls() {
  if (config_.tls_cert_file.empty() && config_.tls_key_file.empty()) {
    if (config_.tls_client_ca_file.empty()) return OkStatus();
    return InvalidArgumentError("--tls-client-ca needs TLS: --tls-cert and --tls-key");
  }
  if (config_.tls_cert_file.empty() || config_.tls_key_file.empty()) {
    return InvalidArgumentError("TLS needs both a certificate (--tls-cert) and a key (--tls-key)");
  }
  ASSIGN_OR_RETURN(certificate_, TlsCertificate::Load(config_.tls_cert_file, config_.tls_key_file,
                                                      config_.tls_client_ca_file));
  auto tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  // Each handshake: the files' current pair (and with mutual TLS, their current client CA).
  certificate_->Attach(tls->native_handle());
  tls_ = std::move(tls);
  return OkStatus();
}

void ServerImpl::Run() {
  asio::co_spawn(strand_, Accept(), asio::detached);
  auto run = [](asio::io_context& ioc) {
    for (;;) {
      try {
        ioc.run();
        return;
      } catch (...) {
        // A handler threw out of the event loop; keep serving.
      }
    }
  };
  std::vector<std::thread> threads;
  for (size_t i = 1; i < iocs_.size(); ++i) {
    threads.emplace_back([&run, ioc = iocs_[i].get()] { run(*ioc); });
  }
  run(*iocs_[0]);
  for (auto& t : threads) t.join();
  pool_.join();
}

asio::awaitable<void> ServerImpl::Accept() {
  for (;;) {
    tcp::socket socket(iocs_[next_ioc_]->get_executor());
    next_ioc_ = (next_ioc_ + 1) % iocs_.size();
    error_code ec;
    co_await acceptor_.async_accept(socket, Await(ec));
    if (stopping() || ec == asio::error::operation_aborted) co_return;
    if (ec) {  // e.g. out of file descriptors: back off instead of spinning
      asio::steady_timer backoff(strand_, std::chrono::milliseconds(50));
      co_await backoff.async_wait(Await(ec));
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    // Registered under the lock before its coroutine can run Remove().
    std::lock_guard<std::mutex> lock(mu_);
    if (config_.max_connections > 0 && conns_.size() >= config_.max_connections) {
      // Over the limit: a short answer in the socket's send buffer (never blocks), then close.
      static constexpr std::string_view kBusy =
          "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 22"
          "\r\nConnection: close\r\n\r\nToo many connections.\n";
      socket.non_blocking(true, ec);
      socket.write_some(asio::buffer(kBusy.data(), kBusy.size()), ec);
      socket.shutdown(tcp::socket::shutdown_send, ec);
      socket.close(ec);
      continue;
    }
    auto conn = Connection::Start(this, std::move(socket));
    conns_.emplace(conn.get(), std::move(conn));
  }
}

void ServerImpl::Shutdown() {
  if (stopping_.exchange(true)) return;
  asio::post(strand_, [this] { BeginDrain(); });
}

std::vector<std::shared_ptr<Connection>> ServerImpl::Snapshot() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::shared_ptr<Connection>> out;
  out.reserve(conns_.size());
  for (const auto& [ptr, conn] : conns_) out.push_back(conn);
  return out;
}

void ServerImpl::BeginDrain() {
  error_code ec;
  acceptor_.close(ec);
  auto conns = Snapshot();
  if (conns.empty()) return FinishDrain();
  for (auto& conn : conns) {
    asio::post(conn->executor(), [conn] { conn->CloseIfIdle(); });
  }
  grace_timer_.expires_after(config_.shutdown_grace);
  grace_timer_.async_wait([this](error_code ec) {
    if (ec) return;
    for (auto& conn : Snapshot()) asio::post(conn->executor(), [conn] { conn->Close(); });
  });
}

void ServerImpl::Remove(Connection* conn) {
  bool last;
  {
    std::lock_guard<std::mutex> lock(mu_);
    conns_.erase(conn);
    last = conns_.empty();
  }
  if (last && stopping()) asio::post(strand_, [this] { FinishDrain(); });
}

void ServerImpl::FinishDrain() {
  grace_timer_.cancel();
  keep_running_.clear();
}

}  // namespace

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Create(const HttpServerConfig& config,
                                                         const Router& router,
                                                         HttpMetrics* metrics) {
  try {
    auto server = std::make_unique<ServerImpl>(config, router, metrics);
    RETURN_IF_ERROR(server->LoadTls());
    RETURN_IF_ERROR(server->Listen());
    return std::unique_ptr<HttpServer>(std::move(server));
  } catch (const std::exception& e) {
    return InternalError(std::string("cannot start HTTP server: ") + e.what());
  }
}

}  // namespace mlhub::http
