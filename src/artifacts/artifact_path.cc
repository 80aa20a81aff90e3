// SPDX-License-Identifier: Apache-2.0
#include "artifacts/artifact_path.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/percent_encoding.h"

namespace mlhub::artifacts {
namespace {

constexpr std::string_view kProxyScheme = "mlflow-artifacts:";

bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

Status InvalidPath(std::string_view reason) {
  return InvalidArgumentError("Invalid path: " + std::string(reason));
}

StatusOr<std::string> PercentDecodeOnce(std::string_view raw) {
  StatusOr<std::string> decoded = PercentDecode(raw, /*plus_is_space=*/false);
  if (!decoded.ok()) return InvalidPath("malformed percent escape");
  return decoded;
}

// Length of the well-formed UTF-8 sequence starting at s[i] (no overlongs, surrogates or code
// points above U+10FFFF), or 0 when it is malformed.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t b0 = byte(i);
  if (b0 < 0x80) {
    return 1;
  }
  size_t len = 0;
  uint8_t lo = 0x80;
  uint8_t hi = 0xBF;  // bounds of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) {
      lo = 0xA0;  // overlong
    }
    if (b0 == 0xED) {
      hi = 0x9F;  // surrogates
    }
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) {
      lo = 0x90;  // overlong
    }
    if (b0 == 0xF4) {
      hi = 0x8F;  // above U+10FFFF
    }
  } else {
    return 0;
  }
  if (i + len > s.size()) {
    return 0;
  }
  if (byte(i + 1) < lo || byte(i + 1) > hi) {
    return 0;
  }
  for (size_t k = 2; k < len; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) {
      return 0;
    }
  }
  return len;
}

// Rejects the characters that are never allowed, wherever they are.
Status CheckCharacters(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c == 0) {
      return InvalidPath("NUL characters are not allowed");
    }
    if (c < 0x20 || c == 0x7F) {
      return InvalidPath("control characters are not allowed");
    }
    if (c == '\\') {
      return InvalidPath("backslashes are not allowed");
    }
    if (c == '#') {
      return InvalidPath("'#' is not allowed");
    }
    if (IsPercentEscapeAt(s, i)) {
      return InvalidPath("percent escapes are not allowed after decoding (double encoding)");
    }
    const size_t len = Utf8SequenceLength(s, i);
    if (len == 0) {
      return InvalidPath("not valid UTF-8");
    }
    i += len;
  }
  return OkStatus();
}

}  // namespace

StatusOr<std::string> NormalizeArtifactPath(std::string_view raw) {
  ASSIGN_OR_RETURN(std::string decoded, PercentDecodeOnce(raw));
  return NormalizeDecodedArtifactPath(decoded);
}

StatusOr<std::string> NormalizeDecodedArtifactPath(std::string_view decoded) {
  RETURN_IF_ERROR(CheckCharacters(decoded));
  if (!decoded.empty() && decoded.front() == '/') {
    return InvalidPath("absolute paths are not allowed");
  }
  std::string_view rest = decoded;
  if (!rest.empty() && rest.back() == '/') {
    rest.remove_suffix(1);  // one trailing '/' is fine
  }

  std::string out;
  if (rest.empty()) {
    return out;  // the root
  }
  out.reserve(rest.size());
  for (;;) {
    const size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    if (segment.empty()) {
      return InvalidPath("empty path segments ('//') are not allowed");
    }
    if (segment == "..") {
      return InvalidPath("'..' is not allowed");
    }
    if (segment != ".") {
      if (out.empty() && segment.size() >= 2 && IsAsciiAlpha(segment[0]) && segment[1] == ':') {
        return InvalidPath("drive letters are not allowed");
      }
      if (!out.empty()) {
        out.push_back('/');
      }
      out.append(segment);
    }
    if (slash == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(slash + 1);
  }
  return out;
}

StatusOr<std::string> RunArtifactPathFromUri(std::string_view artifact_uri) {
  if (artifact_uri.empty()) {
    return InvalidArgumentError("empty artifact URI");
  }
  const bool proxied =
      artifact_uri.size() >= kProxyScheme.size() &&
      std::equal(kProxyScheme.begin(), kProxyScheme.end(), artifact_uri.begin(),
                 [](char a, char b) { return a == (b >= 'A' && b <= 'Z' ? b - 'A' + 'a' : b); });
  if (!proxied) {
    return UnimplementedError("artifact URI '" + std::string(artifact_uri) +
                              "' is not served by the mlflow-artifacts proxy");
  }
  std::string_view rest = artifact_uri.substr(kProxyScheme.size());
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return InvalidArgumentError("artifact URI '" + std::string(artifact_uri) +
                                "' must not have a query or fragment");
  }
  if (rest.substr(0, 2) == "//") {  // an authority (host:port), which the path does not depend on
    const size_t slash = rest.find('/', 2);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  }
  if (rest.empty() || rest.front() != '/') {
    return InvalidArgumentError("artifact URI '" + std::string(artifact_uri) +
                                "' has no absolute path (expected mlflow-artifacts:/<path>)");
  }
  rest.remove_prefix(1);
  return NormalizeArtifactPath(rest);
}

}  // namespace mlhub::artifacts
