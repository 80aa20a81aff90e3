// SPDX-License-Identifier: Apache-2.0
#include "http/response_head.h"

#include <charconv>

#include "common/ascii.h"

namespace mlhub::http {
namespace {

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

void AppendHeader(std::string* out, std::string_view name, std::string_view value) {
  out->append(name);
  out->append(": ");
  out->append(value);
  out->append("\r\n");
}

}  // namespace

std::string_view MethodLabel(Method method) {
  switch (method) {
    case Method::kGet:
      return "GET";
    case Method::kHead:
      return "HEAD";
    case Method::kPost:
      return "POST";
    case Method::kPut:
      return "PUT";
    case Method::kPatch:
      return "PATCH";
    case Method::kDelete:
      return "DELETE";
    case Method::kOptions:
      return "OPTIONS";
    case Method::kOther:
      break;
  }
  return "OTHER";
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 507:
      return "Insufficient Storage";
    default:
      return "Unknown";
  }
}

void AppendResponseHead(std::string* out, const Response& resp, Framing framing, uint64_t length,
                        bool keep_alive, unsigned version) {
  char num[24];
  int status = resp.status >= 100 && resp.status <= 999 ? resp.status : 500;
  out->append("HTTP/1.1 ");
  out->append(num, std::to_chars(num, num + sizeof(num), status).ptr);
  out->push_back(' ');
  out->append(ReasonPhrase(status));
  out->append("\r\nServer: mlhub\r\n");
  if (!resp.content_type.empty() && !HasLineBreak(resp.content_type)) {
    AppendHeader(out, "Content-Type", resp.content_type);
  }
  for (const auto& [name, value] : resp.headers) {
    if (name.empty() || HasLineBreak(name) || HasLineBreak(value) ||
        EqualsIgnoreCase(name, "content-length") || EqualsIgnoreCase(name, "transfer-encoding") ||
        EqualsIgnoreCase(name, "connection")) {
      continue;
    }
    AppendHeader(out, name, value);
  }
  if (framing == Framing::kLength) {
    AppendHeader(out, "Content-Length",
                 std::string_view(num, std::to_chars(num, num + sizeof(num), length).ptr - num));
  } else if (framing == Framing::kChunked) {
    out->append("Transfer-Encoding: chunked\r\n");
  }
  if (!keep_alive) {
    out->append("Connection: close\r\n");
  } else if (version < 11) {
    out->append("Connection: keep-alive\r\n");
  }
  out->append("\r\n");
}

size_t FormatChunkSize(size_t size, char* out) {
  char* end = std::to_chars(out, out + 16, size, 16).ptr;
  *end++ = '\r';
  *end++ = '\n';
  return static_cast<size_t>(end - out);
}

}  // namespace mlhub::http
