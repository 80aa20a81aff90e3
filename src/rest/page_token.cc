// SPDX-License-Identifier: Apache-2.0
#include "rest/page_token.h"

#include <fmt/format.h>

#include "common/json_reader.h"
#include "common/utf8.h"

namespace mlhub::rest {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int DecodeChar(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

std::string Base64Encode(std::string_view in) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(n >> s) & 63]);
  }
  if (i < in.size()) {
    uint32_t n = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) n |= uint8_t(in[i + 1]) << 8;
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

bool Base64Decode(std::string_view in, std::string* out) {
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    int v = DecodeChar(c);
    if (v < 0) return false;
    buffer = (buffer << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return true;
}

}  // namespace

std::string EncodePageToken(int64_t offset) {
  return Base64Encode(fmt::format("{{\"offset\": {}}}", offset));
}

StatusOr<int64_t> DecodePageToken(std::string_view token) {
  if (token.empty()) return int64_t{0};
  Status invalid =
      InvalidArgumentError(fmt::format("Invalid page token, could not base64-decode "
                                       "or parse: '{}'",
                                       Utf8Prefix(token, 100)));
  std::string decoded;
  if (!Base64Decode(token, &decoded)) return invalid;
  // Parse with a local parser: the thread's parser may be holding the request document.
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(decoded).get(root) != simdjson::SUCCESS) return invalid;
  int64_t offset = 0;
  if (root["offset"].get_int64().get(offset) != simdjson::SUCCESS || offset < 0) return invalid;
  return offset;
}

}  // namespace mlhub::rest
