// SPDX-License-Identifier: Apache-2.0
// The only translation unit that includes Beast (each one costs ~15 s and 750 MB to compile);
// connection_parts.h holds the pieces of an exchange it works with.

#include "http/connection.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

// Beast 1.74 trips -Wmaybe-uninitialized on boost::optional under sanitizers (false positive).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#pragma GCC diagnostic pop

#include "common/ascii.h"
#include "http/async_reply.h"
#include "http/connection_parts.h"
#include "http/metrics.h"
#include "http/response_head.h"

namespace mlhub::http::internal {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Executor = asio::any_io_executor;
using beast::error_code;

// Stream: tcp::socket, or ssl::stream<tcp::socket> for --tls-cert / --tls-key.
template <typename Stream>
class ConnectionImpl final : public Connection {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, tcp::socket>;
  ConnectionImpl(ConnectionOwner* owner, Stream stream);

  static asio::awaitable<void> Run(std::shared_ptr<ConnectionImpl> self);
  Executor executor() override { return stream_.get_executor(); }
  // These run on executor().
  void Close() override;
  void CloseIfIdle() override {
    if (idle_) Close();
  }

 private:
  void ArmTimer(std::shared_ptr<ConnectionImpl> self);
  void OnTick(std::shared_ptr<ConnectionImpl> self, error_code ec);

  // Runs `fn` on the blocking pool and resumes on this connection's executor with its result.
  template <typename R, typename F>
  asio::awaitable<R> OnPool(F fn);
  // Calls an async handler here and resumes on this connection's executor with its answer.
  asio::awaitable<Response> CallAsync(const AsyncHandler& handler, Request& request);

  asio::awaitable<bool> ServeOne();
  asio::awaitable<bool> ServeUpload(bhttp::request_parser<bhttp::string_body>& parser, Exchange& x);
  asio::awaitable<bool> Reply(Exchange& x, Response resp, bool body_consumed);
  asio::awaitable<bool> SendStream(Exchange& x, Response& resp, bool& keep);
  asio::awaitable<bool> WriteHeadAndBody(std::string_view body);
  asio::awaitable<bool> WriteContinue();
  asio::awaitable<void> CloseGracefully(bool drain);
  Response CallHandler(const Handler& handler, Request& request);

  ConnectionOwner* owner_;
  const HttpServerConfig& config_;
  Stream stream_;
  asio::steady_timer timer_;
  beast::flat_buffer buf_;
  std::string head_;            // response head scratch, reused
  uint64_t progress_ = 0;       // bumped whenever bytes move or a pool call returns
  uint64_t seen_progress_ = 0;  // progress_ at the last idle tick
  int quiet_ticks_ = 0;
  bool busy_ = false;       // a pool call is running: never idle
  bool idle_ = false;       // waiting for the next request with nothing buffered
  bool lingering_ = false;  // draining input before close
  bool closed_ = false;
};

template <typename Stream>
ConnectionImpl<Stream>::ConnectionImpl(ConnectionOwner* owner, Stream stream)
    : owner_(owner),
      config_(owner->config()),
      stream_(std::move(stream)),
      timer_(stream_.get_executor()) {}

template <typename Stream>
void ConnectionImpl<Stream>::Close() {
  if (closed_) return;
  closed_ = true;
  error_code ec;
  beast::get_lowest_layer(stream_).close(ec);
  timer_.cancel();
}

template <typename Stream>
void ConnectionImpl<Stream>::ArmTimer(std::shared_ptr<ConnectionImpl> self) {
  if (config_.idle_timeout.count() <= 0) return;
  timer_.expires_after(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(config_.idle_timeout) /
      kTicksPerTimeout);
  timer_.async_wait([self = std::move(self)](error_code ec) mutable {
    ConnectionImpl* c = self.get();
    c->OnTick(std::move(self), ec);
  });
}

template <typename Stream>
void ConnectionImpl<Stream>::OnTick(std::shared_ptr<ConnectionImpl> self, error_code ec) {
  if (ec || closed_) return;
  if (busy_ || progress_ != seen_progress_) {
    seen_progress_ = progress_;
    quiet_ticks_ = 0;
  } else if (lingering_ || ++quiet_ticks_ >= kTicksPerTimeout) {
    Close();
    return;
  }
  ArmTimer(std::move(self));
}

template <typename Stream>
template <typename R, typename F>
asio::awaitable<R> ConnectionImpl<Stream>::OnPool(F fn) {
  busy_ = true;
  auto initiate = [this](auto handler, F f) {
    auto work = asio::make_work_guard(stream_.get_executor());  // Run() must not return meanwhile
    asio::post(owner_->pool(), [handler = std::move(handler), f = std::move(f),
                                work = std::move(work)]() mutable {
      R result = f();
      Executor ex = asio::get_associated_executor(handler);
      asio::post(ex, [handler = std::move(handler), result = std::move(result)]() mutable {
        std::move(handler)(std::move(result));
      });
    });
  };
  R result = co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(R)>(
      std::move(initiate), asio::use_awaitable, std::move(fn));
  busy_ = false;
  ++progress_;
  co_return result;
}

template <typename Stream>
asio::awaitable<Response> ConnectionImpl<Stream>::CallAsync(const AsyncHandler& handler,
                                                            Request& request) {
  busy_ = true;
  auto initiate = [this, &handler, &request](auto completion) {
    using State = AsyncReply<decltype(completion)>;
    auto state = std::make_shared<State>(
        std::move(completion), asio::make_work_guard(stream_.get_executor()), &owner_->router());
    try {
      handler(request, [state](Response response) { state->Complete(std::move(response)); });
    } catch (...) {
      state->Complete(owner_->router().TransportError(500, "Internal Server Error"));
    }
  };
  Response response = co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(Response)>(
      std::move(initiate), asio::use_awaitable);
  busy_ = false;
  ++progress_;
  co_return response;
}

template <typename Stream>
Response ConnectionImpl<Stream>::CallHandler(const Handler& handler, Request& request) {
  try {
    return handler(request);
  } catch (...) {
    return owner_->router().TransportError(500, "Internal Server Error");
  }
}

// Note: g++ 12 miscompiles `while (co_await ...)` (the frame is resumed at a bogus state), so this
// file never puts co_await in a loop or if condition.
template <typename Stream>
asio::awaitable<void> ConnectionImpl<Stream>::Run(std::shared_ptr<ConnectionImpl> self) {
  self->ArmTimer(self);
  try {
    if constexpr (kTls) {
      // A handshake that stalls is cut off by the idle timer like any other silence.
      error_code ec;
      co_await self->stream_.async_handshake(asio::ssl::stream_base::server, Await(ec));
      if (ec) {
        self->Close();
        self->owner_->Remove(self.get());
        co_return;
      }
      ++self->progress_;
    }
    for (;;) {
      bool more = co_await self->ServeOne();
      if (!more) break;
    }
  } catch (...) {
    // Out of memory or similar: drop this connection, keep the server.
  }
  self->Close();
  self->owner_->Remove(self.get());
}

template <typename Stream>
asio::awaitable<bool> ConnectionImpl<Stream>::ServeOne() {
  if (owner_->stopping() || closed_) co_return false;
  idle_ = buf_.size() == 0;
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(
      std::min<size_t>(config_.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
  // Never boost::none (Boost 1.74 bug); per-route limits are checked after the header.
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  error_code ec;
  co_await bhttp::async_read_header(stream_, buf_, parser, Await(ec));
  idle_ = false;
  ++progress_;

  Exchange x;
  if (ec) {
    if (ec == bhttp::error::header_limit) {
      co_return co_await Reply(
          x, owner_->router().TransportError(431, "Request Header Fields Too Large"), false);
    }
    if (IsParseError(ec))
      co_return co_await Reply(x, owner_->router().TransportError(400, "Bad Request"), false);
    co_return false;
  }
  if (owner_->metrics() != nullptr) x.start = std::chrono::steady_clock::now();
  auto& msg = parser.get();
  // A Transfer-Encoding other than chunked (last) gives no way to find the body's end: reading
  // on would take the body for the next request (smuggling). RFC 9112 6.3: 400 and close.
  if (msg.find(bhttp::field::transfer_encoding) != msg.end() && !parser.chunked()) {
    co_return co_await Reply(
        x, owner_->router().TransportError(400, "Bad Request: unsupported Transfer-Encoding"),
        false);
  }
  Request& req = x.request;
  req.method = ToMethod(msg.method());
  x.method_label = MethodLabel(req.method);
  x.version = msg.version();
  x.keep_alive = msg.keep_alive();
  x.head = req.method == Method::kHead;
  req.target.assign(msg.target());
  size_t qmark = req.target.find('?');
  req.path.assign(req.target, 0, qmark);
  req.headers.reserve(std::distance(msg.begin(), msg.end()));
  for (const auto& field : msg) {
    std::string name = AsciiLower(field.name_string());
    req.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  if (qmark != std::string::npos) {
    auto query = QueryParams::Parse(std::string_view(req.target).substr(qmark + 1));
    if (!query.ok()) {
      co_return co_await Reply(x, owner_->router().TransportError(400, query.status().message()),
                               parser.is_done());
    }
    req.query = std::move(query).value();
  }
  x.route = owner_->router().Match(req.method, req.path, &req.path_suffix);
  if (x.route != nullptr && x.route->upload) co_return co_await ServeUpload(parser, x);

  // Buffered route: read the whole body.
  if (auto length = parser.content_length(); length && *length > config_.max_body_bytes) {
    co_return co_await Reply(x, owner_->router().TransportError(413, "Request body too large"),
                             false);
  }
  if (!parser.is_done()) {
    if (ExpectsContinue(x)) {
      bool sent = co_await WriteContinue();
      if (!sent) co_return false;
    }
    parser.body_limit(config_.max_body_bytes);  // counts down chunked bodies
    parser.eager(true);
    // Beast reads only into free capacity, at least 512 bytes: without room for the body a 17 KB
    // body took 34 recv calls. Room for what is left of it, up to 64 KiB (chunked: 64 KiB).
    auto length = parser.content_length();
    buf_.reserve(std::min(kReadReserve, buf_.size() + (length ? *length : kReadReserve)));
    while (!parser.is_done()) {
      co_await bhttp::async_read_some(stream_, buf_, parser, Await(ec));
      ++progress_;
      if (ec == bhttp::error::body_limit) {
        co_return co_await Reply(x, owner_->router().TransportError(413, "Request body too large"),
                                 false);
      }
      if (IsParseError(ec))
        co_return co_await Reply(x, owner_->router().TransportError(400, "Bad Request"), false);
      if (ec) co_return false;
    }
  }
  req.body = std::move(parser.get().body());
  if (x.route != nullptr && x.route->async) {
    Response resp = co_await CallAsync(x.route->async, req);
    co_return co_await Reply(x, std::move(resp), true);
  }
  const Handler& handler = x.route != nullptr ? x.route->handler : owner_->router().not_found();
  Response resp =
      co_await OnPool<Response>([this, &handler, &req] { return CallHandler(handler, req); });
  co_return co_await Reply(x, std::move(resp), true);
}

template <typename Stream>
asio::awaitable<bool> ConnectionImpl<Stream>::ServeUpload(
    bhttp::request_parser<bhttp::string_body>& parser, Exchange& x) {
  const Router::Route& route = *x.route;
  if (auto length = parser.content_length(); length && *length > config_.max_upload_bytes) {
    co_return co_await Reply(x, owner_->router().TransportError(413, "Request body too large"),
                             false);
  }
  const Router& router = owner_->router();
  UploadStart started = co_await OnPool<UploadStart>(
      [&router, &route, &x] { return SafeStartUpload(router, route, x.request); });
  if (auto* rejected = std::get_if<Response>(&started)) {
    co_return co_await Reply(x, std::move(*rejected), parser.is_done());
  }
  SinkHolder holder{std::move(std::get<std::unique_ptr<BodySink>>(started))};
  if (!holder.sink) {
    co_return co_await Reply(x, owner_->router().TransportError(500, "Internal Server Error"),
                             parser.is_done());
  }
  BodySink* sink = holder.sink.get();
  if (!parser.is_done() && ExpectsContinue(x)) {
    bool sent = co_await WriteContinue();
    if (!sent) {
      holder.done = true;
      co_await OnPool<bool>([sink] { return SafeAbort(sink); });
      co_return false;
    }
  }

  // A Content-Length body is read straight into the piece: as much per recv as the socket has,
  // and no copy out of the parser's buffer. A chunked one goes through Beast's parser.
  std::optional<uint64_t> length;
  if (!parser.chunked() && parser.content_length()) length = *parser.content_length();
  bhttp::request_parser<bhttp::buffer_body> body_parser(std::move(parser));
  body_parser.body_limit(config_.max_upload_bytes);  // counts down chunked bodies
  body_parser.eager(true);
  buf_.reserve(kReadReserve);  // Beast reads only into free capacity
  std::unique_ptr<char[]> piece(new char[kUploadPieceBytes]);
  size_t filled = 0;
  uint64_t remaining = length.value_or(0);
  bool body_done = length ? remaining == 0 : body_parser.is_done();
  if (length) {  // what the header's reads took in already
    const size_t early = static_cast<size_t>(std::min<uint64_t>(buf_.size(), remaining));
    std::memcpy(piece.get(), buf_.data().data(), early);
    buf_.consume(early);
    filled = early;
    remaining -= early;
    body_done = remaining == 0;
  }
  error_code ec;
  Status write_status;
  while (!body_done || filled > 0) {
    if (!body_done && filled < kUploadPieceBytes) {
      if (length) {
        const size_t want =
            static_cast<size_t>(std::min<uint64_t>(kUploadPieceBytes - filled, remaining));
        size_t n =
            co_await stream_.async_read_some(asio::buffer(piece.get() + filled, want), Await(ec));
        ++progress_;
        if (ec) break;
        filled += n;
        remaining -= n;
        body_done = remaining == 0;
      } else {
        auto& body = body_parser.get().body();
        body.data = piece.get() + filled;
        body.size = kUploadPieceBytes - filled;
        co_await bhttp::async_read_some(stream_, buf_, body_parser, Await(ec));
        ++progress_;
        filled = kUploadPieceBytes - body_parser.get().body().size;
        if (ec == bhttp::error::need_buffer) ec = {};
        if (ec) break;
        body_done = body_parser.is_done();
      }
    }
    if (filled == kUploadPieceBytes || (body_done && filled > 0)) {
      std::string_view bytes(piece.get(), filled);
      write_status = co_await OnPool<Status>([sink, bytes] { return SafeWrite(sink, bytes); });
      filled = 0;
      if (!write_status.ok()) break;
    }
  }
  piece.reset();
  buf_.shrink_to_fit();
  holder.done = true;
  if (!write_status.ok()) {
    Response error = co_await OnPool<Response>([&router, &route, sink, &write_status] {
      return AbortedUploadResponse(router, route, sink, write_status);
    });
    co_return co_await Reply(x, std::move(error), false);
  }
  if (ec) {
    co_await OnPool<bool>([sink] { return SafeAbort(sink); });
    if (ec == bhttp::error::body_limit) {
      co_return co_await Reply(x, owner_->router().TransportError(413, "Request body too large"),
                               false);
    }
    if (IsParseError(ec))
      co_return co_await Reply(x, owner_->router().TransportError(400, "Bad Request"), false);
    co_return false;  // client gone, timed out or force-closed
  }
  Response done = co_await OnPool<Response>([&router, sink] { return SafeFinish(router, sink); });
  co_return co_await Reply(x, std::move(done), true);
}

template <typename Stream>
asio::awaitable<bool> ConnectionImpl<Stream>::WriteContinue() {
  static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  error_code ec;
  co_await asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()), Await(ec));
  ++progress_;
  co_return !ec;
}

template <typename Stream>
asio::awaitable<bool> ConnectionImpl<Stream>::Reply(Exchange& x, Response resp,
                                                    bool body_consumed) {
  bool keep = x.keep_alive && body_consumed && !owner_->stopping() && !closed_;
  const int status = resp.status;
  // Counted once the response is decided and before any byte of it is sent, so that a client that
  // has its response always finds the request in /metrics (latency is the time to the response).
  if (HttpMetrics* metrics = owner_->metrics()) {
    double seconds =
        x.start == std::chrono::steady_clock::time_point()
            ? 0.0
            : std::chrono::duration<double>(std::chrono::steady_clock::now() - x.start).count();
    metrics->Record(
        x.method_label,
        x.route != nullptr ? std::string_view(x.route->pattern) : std::string_view("unmatched"),
        status, seconds);
  }
  // An access log for debugging (--log-level debug); one level check otherwise.
  if (spdlog::should_log(spdlog::level::debug)) {
    spdlog::debug("{} {} -> {}", x.method_label, x.request.path, status);
  }
  bool ok;
  if (resp.stream && !x.head && !HasNoBody(status)) {
    ok = co_await SendStream(x, resp, keep);
  } else {
    head_.clear();
    uint64_t length = resp.stream ? resp.content_length.value_or(0) : resp.body.size();
    Framing framing = HasNoBody(status)                     ? Framing::kNone
                      : resp.stream && !resp.content_length ? Framing::kChunked
                                                            : Framing::kLength;
    AppendResponseHead(&head_, resp, framing, length, keep, x.version);
    bool send_body = !x.head && !resp.stream && framing == Framing::kLength;
    ok = co_await WriteHeadAndBody(send_body ? std::string_view(resp.body) : std::string_view());
  }
  resp.stream.reset();
  if (ok && keep) co_return true;
  co_await CloseGracefully(ok && !body_consumed);
  co_return false;
}

template <typename Stream>
asio::awaitable<bool> ConnectionImpl<Stream>::SendStream(Exchange& x, Response& resp, bool& keep) {
  Framing framing = resp.content_length ? Framing::kLength : Framing::kChunked;
  if (framing == Framing::kChunked && x.version < 11) {
    framing = Framing::kNone;  // HTTP/1.0: the body ends when the connection closes
    keep = false;
  }
  head_.clear();
  AppendResponseHead(&head_, resp, framing, resp.content_length.value_or(0), keep, x.version);
  bool head_sent = co_await WriteHeadAndBody({});
  if (!head_sent) co_return false;

  BodySource* source = resp.stream.get();
  // A lending source hands out its own buffers (a piece per pool trip, however large); others
  // are read into a chunk of ours.
  std::unique_ptr<char[]> chunk(source->lends() ? nullptr : new char[kChunkBytes]);
  char* data = chunk.get();
  uint64_t sent = 0;
  error_code ec;
  for (;;) {
    StatusOr<std::string_view> next = co_await OnPool<StatusOr<std::string_view>>(
        [source, data] { return SafeNextPiece(source, data); });
    if (!next.ok() || closed_) co_return false;
    std::string_view piece = *next;
    if (piece.empty()) break;
    if (resp.content_length && sent + piece.size() > *resp.content_length) co_return false;
    // Written kChunkBytes at a time: each write completed is progress for the idle timeout.
    while (!piece.empty()) {
      const size_t len = std::min(piece.size(), kChunkBytes);
      if (framing == Framing::kChunked) {
        char size_line[24];
        size_t size_len = FormatChunkSize(len, size_line);
        std::array<asio::const_buffer, 3> bufs = {asio::buffer(size_line, size_len),
                                                  asio::buffer(piece.data(), len),
                                                  asio::buffer("\r\n", 2)};
        co_await asio::async_write(stream_, bufs, Await(ec));
      } else {
        co_await asio::async_write(stream_, asio::buffer(piece.data(), len), Await(ec));
      }
      ++progress_;
      if (ec) co_return false;
      sent += len;
      piece.remove_prefix(len);
    }
  }
  if (resp.content_length && sent != *resp.content_length) co_return false;  // truncated
  if (framing == Framing::kChunked) {
    co_await asio::async_write(stream_, asio::buffer("0\r\n\r\n", 5), Await(ec));
    ++progress_;
    if (ec) co_return false;
  }
  co_return true;
}

template <typename Stream>
asio::awaitable<bool> ConnectionImpl<Stream>::WriteHeadAndBody(std::string_view body) {
  error_code ec;
  std::string_view first = body.substr(0, kWriteSlice);
  std::array<asio::const_buffer, 2> bufs = {asio::buffer(head_),
                                            asio::buffer(first.data(), first.size())};
  co_await asio::async_write(stream_, bufs, Await(ec));
  ++progress_;
  body.remove_prefix(first.size());
  while (!ec && !body.empty()) {
    std::string_view slice = body.substr(0, kWriteSlice);
    co_await asio::async_write(stream_, asio::buffer(slice.data(), slice.size()), Await(ec));
    ++progress_;
    body.remove_prefix(slice.size());
  }
  co_return !ec;
}

template <typename Stream>
asio::awaitable<void> ConnectionImpl<Stream>::CloseGracefully(bool drain) {
  error_code ec;
  beast::get_lowest_layer(stream_).shutdown(tcp::socket::shutdown_send, ec);
  // Reading what the client still sends before closing avoids a reset that could destroy the
  // response in flight. The idle timer closes a lingering connection after one quiet tick.
  if (drain && !ec && !closed_ && !owner_->stopping()) {
    lingering_ = true;
    idle_ = true;  // Shutdown may close it at once
    buf_.clear();
    uint64_t total = 0;
    while (total < kMaxDrainBytes) {
      size_t n = co_await stream_.async_read_some(buf_.prepare(kReadReserve), Await(ec));
      if (ec) break;
      total += n;
      ++progress_;
    }
  }
  Close();
}

}  // namespace

namespace {

template <typename Stream>
std::shared_ptr<Connection> Spawn(std::shared_ptr<ConnectionImpl<Stream>> conn) {
  asio::co_spawn(
      conn->executor(), [conn]() mutable { return ConnectionImpl<Stream>::Run(std::move(conn)); },
      asio::detached);
  return conn;
}

}  // namespace

std::shared_ptr<Connection> Connection::Start(ConnectionOwner* owner, tcp::socket socket) {
  if (asio::ssl::context* tls = owner->tls_context()) {
    using TlsStream = asio::ssl::stream<tcp::socket>;
    return Spawn(
        std::make_shared<ConnectionImpl<TlsStream>>(owner, TlsStream(std::move(socket), *tls)));
  }
  return Spawn(std::make_shared<ConnectionImpl<tcp::socket>>(owner, std::move(socket)));
}

}  // namespace mlhub::http::internal
