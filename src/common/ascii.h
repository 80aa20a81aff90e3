// SPDX-License-Identifier: Apache-2.0
// ASCII case handling for protocol tokens (header names, URI schemes, media types, stage names):
// locale-independent, byte by byte; non-ASCII bytes are left as they are.
#pragma once

#include <string>
#include <string_view>

namespace mlhub {

inline char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

inline std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

}  // namespace mlhub
