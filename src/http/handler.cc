// SPDX-License-Identifier: Apache-2.0
#include "http/handler.h"

namespace mlhub::http {

std::optional<std::string_view> Request::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return std::string_view(value);
  }
  return std::nullopt;
}

}  // namespace mlhub::http
