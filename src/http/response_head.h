// SPDX-License-Identifier: Apache-2.0
// Internal to the http module: writes HTTP/1.1 response heads for HttpServer, kept out of the Beast
// translation unit so it compiles fast and is unit-testable. Stateless free functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/handler.h"

namespace mlhub::http {

// How the length of a response body is conveyed.
enum class Framing {
  kNone,     // no body (204, 304, HEAD) or, for HTTP/1.0 streams, ends when the connection closes
  kLength,   // Content-Length
  kChunked,  // Transfer-Encoding: chunked
};

// "GET", "POST", ...; "OTHER" for kOther (bounded metric label cardinality).
std::string_view MethodLabel(Method method);

// The standard reason phrase, or "Unknown".
std::string_view ReasonPhrase(int status);

// 1xx, 204 and 304 responses never carry a body.
inline bool HasNoBody(int status) { return status < 200 || status == 204 || status == 304; }

// Appends the status line and headers, up to and including the blank line. Extra headers from
// `resp` that would break framing (Content-Length, Transfer-Encoding, Connection) or contain CR/LF
// are dropped. HTTP/1.0 keep-alive responses get `Connection: keep-alive`.
void AppendResponseHead(std::string* out, const Response& resp, Framing framing, uint64_t length,
                        bool keep_alive, unsigned version);

// Writes the chunk-size line "<hex>\r\n" for a chunk of `size` bytes into `out` (at least 20
// bytes); returns its length.
size_t FormatChunkSize(size_t size, char* out);

}  // namespace mlhub::http
