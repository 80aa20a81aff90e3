// SPDX-License-Identifier: Apache-2.0
// QueryParams: a decoded URL query string. Keeps every occurrence of a key, in order, because
// MLflow's GET endpoints carry repeated fields as repeated keys (`order_by=a&order_by=b`), and also
// accepts the `k[]=v` and `k[0]=v` spellings for them. Immutable after Parse; safe to share between
// threads.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace mlhub::http {

class QueryParams {
 public:
  QueryParams() = default;

  // Parses `a=1&b=x%20y&c` ('+' is a space). A malformed percent escape is InvalidArgument.
  static StatusOr<QueryParams> Parse(std::string_view query);

  // The first value of `key` (also matching `key[]` / `key[N]`), if any.
  std::optional<std::string_view> Get(std::string_view key) const;
  // Every value of `key`, `key[]` and `key[N]`, in order of appearance.
  std::vector<std::string_view> GetAll(std::string_view key) const;
  bool Has(std::string_view key) const { return Get(key).has_value(); }

  const std::vector<std::pair<std::string, std::string>>& entries() const { return entries_; }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

}  // namespace mlhub::http
