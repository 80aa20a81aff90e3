// SPDX-License-Identifier: Apache-2.0
#include "http/query_params.h"

#include <algorithm>

#include "common/percent_encoding.h"

namespace mlhub::http {
namespace {

// True when `entry_key` is `key`, `key[]` or `key[N]` (N all digits).
bool KeyMatches(std::string_view entry_key, std::string_view key) {
  if (entry_key.size() < key.size() || entry_key.compare(0, key.size(), key) != 0) return false;
  std::string_view rest = entry_key.substr(key.size());
  if (rest.empty()) return true;
  if (rest.size() < 2 || rest.front() != '[' || rest.back() != ']') return false;
  std::string_view index = rest.substr(1, rest.size() - 2);
  return std::all_of(index.begin(), index.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

StatusOr<QueryParams> QueryParams::Parse(std::string_view query) {
  QueryParams params;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string_view raw_key = part.substr(0, eq);
    std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    ASSIGN_OR_RETURN(std::string key, PercentDecode(raw_key, /*plus_is_space=*/true));
    ASSIGN_OR_RETURN(std::string value, PercentDecode(raw_value, /*plus_is_space=*/true));
    params.entries_.emplace_back(std::move(key), std::move(value));
  }
  return params;
}

std::optional<std::string_view> QueryParams::Get(std::string_view key) const {
  for (const auto& [k, v] : entries_) {
    if (KeyMatches(k, key)) return std::string_view(v);
  }
  return std::nullopt;
}

std::vector<std::string_view> QueryParams::GetAll(std::string_view key) const {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : entries_) {
    if (KeyMatches(k, key)) out.emplace_back(v);
  }
  return out;
}

}  // namespace mlhub::http
