// SPDX-License-Identifier: Apache-2.0
#include "common/uri.h"

#include <cctype>

#include "common/ascii.h"
#include "common/percent_encoding.h"

namespace mlhub {

std::string UriScheme(std::string_view uri) {
  const size_t colon = uri.find(':');
  if (colon == std::string_view::npos || colon < 2 || colon + 1 >= uri.size() ||
      uri[colon + 1] != '/' || !std::isalpha(static_cast<unsigned char>(uri[0]))) {
    return {};
  }
  for (size_t i = 1; i < colon; ++i) {
    const auto c = static_cast<unsigned char>(uri[i]);
    if (!std::isalnum(c) && c != '+' && c != '-' && c != '.') return {};
  }
  return AsciiLower(uri.substr(0, colon));
}

StatusOr<std::string> LocalPathFromFileUri(std::string_view uri) {
  const Status invalid = InvalidArgumentError("invalid file URI '" + std::string(uri) +
                                              "' (expected file:///absolute/path)");
  std::string_view rest = uri.substr(uri.find(':') + 1);
  if (rest.substr(0, 2) == "//") {
    rest.remove_prefix(2);
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return invalid;
    const std::string host = AsciiLower(rest.substr(0, slash));
    if (!host.empty() && host != "localhost") return invalid;
    rest.remove_prefix(slash);
  }
  if (rest.empty() || rest.front() != '/' || rest.find_first_of("?#") != std::string_view::npos) {
    return invalid;
  }
  StatusOr<std::string> path = PercentDecode(rest, /*plus_is_space=*/false);
  if (!path.ok() || path->find('\0') != std::string::npos) return invalid;
  return path;
}

}  // namespace mlhub
