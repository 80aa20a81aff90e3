// SPDX-License-Identifier: Apache-2.0
// Cutting UTF-8 text for messages without splitting a character: an error that quotes an excerpt
// of the client's input must stay valid UTF-8, or the JSON it is sent in is not JSON. Pure.
#pragma once

#include <string_view>

namespace mlhub {

// At most `max_bytes` of `s` from `pos`, moved forward off and cut back before any UTF-8
// continuation byte, so that no character of valid UTF-8 is split. (Invalid UTF-8 stays invalid.)
inline std::string_view Utf8Substr(std::string_view s, size_t pos, size_t max_bytes) {
  auto continuation = [](char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; };
  if (pos > s.size()) pos = s.size();
  while (pos < s.size() && continuation(s[pos])) ++pos;
  s.remove_prefix(pos);
  if (s.size() <= max_bytes) return s;
  size_t n = max_bytes;
  while (n > 0 && continuation(s[n])) --n;
  return s.substr(0, n);
}

inline std::string_view Utf8Prefix(std::string_view s, size_t max_bytes) {
  return Utf8Substr(s, 0, max_bytes);
}

}  // namespace mlhub
