// SPDX-License-Identifier: Apache-2.0
#include "store/sql_connection.h"

namespace mlhub::store {

std::string SqlDialect::UpsertSuffix(std::string_view conflict_columns,
                                     std::initializer_list<std::string_view> update_columns) const {
  std::string out = " ON CONFLICT (";
  out.append(conflict_columns);
  out.append(") DO UPDATE SET ");
  bool first = true;
  for (std::string_view column : update_columns) {
    if (!first) out.append(", ");
    first = false;
    out.append(column).append(" = excluded.").append(column);
  }
  return out;
}

std::string SqlPlaceholders(size_t count) {
  std::string out;
  out.reserve(count * 3);
  for (size_t i = 0; i < count; ++i) out.append(i == 0 ? "?" : ", ?");
  return out;
}

}  // namespace mlhub::store
