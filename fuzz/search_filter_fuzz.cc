// SPDX-License-Identifier: Apache-2.0
// The search filter and order_by parser (tracking/search_filter.h), as every search endpoint calls
// it. Input: one byte choosing the entity ('r' runs, 'e' experiments, 'm' registered models, 'v'
// model versions; other bytes by value), then the filter up to the first newline, then one
// order_by clause per line.
//
// Properties: no crash or UB; a refusal is InvalidArgument (and UTF-8 when the input is); a parsed
// filter is a well-formed tree (AND/OR nodes have two or more children, none of their own kind; a
// leaf's value has the type its comparator needs); a parsed order_by has one key per clause.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fuzz_check.h"
#include "tracking/search_filter.h"

namespace mlhub::fuzz {
namespace {

using store::Comparator;
using store::EntityType;
using store::FilterExpr;
using tracking::SearchEntity;

SearchEntity EntityFor(uint8_t byte) {
  switch (byte) {
    case 'r':
      return SearchEntity::kRuns;
    case 'e':
      return SearchEntity::kExperiments;
    case 'm':
      return SearchEntity::kRegisteredModels;
    case 'v':
      return SearchEntity::kModelVersions;
    default:
      return static_cast<SearchEntity>(byte % 4);
  }
}

size_t CheckTree(const FilterExpr& e, int depth) {
  FUZZ_CHECK(depth < 1000);
  if (e.kind == FilterExpr::Kind::kComparison) {
    FUZZ_CHECK(e.children.empty());
    const store::Comparison& c = e.comparison;
    FUZZ_CHECK(!c.key.empty());
    bool list = c.op == Comparator::kIn || c.op == Comparator::kNotIn;
    bool pattern = c.op == Comparator::kLike || c.op == Comparator::kILike;
    bool ordering = c.op == Comparator::kLt || c.op == Comparator::kLe || c.op == Comparator::kGt ||
                    c.op == Comparator::kGe;
    if (list) {
      const auto* items = std::get_if<std::vector<std::string>>(&c.value);
      FUZZ_CHECK(items != nullptr && !items->empty());
    } else {
      FUZZ_CHECK(!std::holds_alternative<std::vector<std::string>>(c.value));
    }
    if (pattern) FUZZ_CHECK(std::holds_alternative<std::string>(c.value));
    if (ordering) FUZZ_CHECK(std::holds_alternative<double>(c.value));
    if (c.type == EntityType::kMetric) FUZZ_CHECK(std::holds_alternative<double>(c.value));
    if (c.type == EntityType::kParam || c.type == EntityType::kTag ||
        c.type == EntityType::kDataset) {
      FUZZ_CHECK(!std::holds_alternative<double>(c.value));
    }
    return 1;
  }
  FUZZ_CHECK(e.children.size() >= 2);
  size_t leaves = 0;
  for (const FilterExpr& child : e.children) {
    FUZZ_CHECK(child.kind != e.kind);
    leaves += CheckTree(child, depth + 1);
  }
  return leaves;
}

}  // namespace
}  // namespace mlhub::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlhub;
  using namespace mlhub::fuzz;
  if (size == 0) return 0;
  SearchEntity entity = EntityFor(data[0]);
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string_view rest_all = rest;
  size_t newline = rest.find('\n');
  std::string_view filter = rest.substr(0, newline);
  std::vector<std::string> order_by;
  while (newline != std::string_view::npos) {
    rest.remove_prefix(newline + 1);
    newline = rest.find('\n');
    order_by.emplace_back(rest.substr(0, newline));
  }

  auto parsed = tracking::ParseFilter(entity, filter);
  if (!parsed.ok()) {
    CheckRefusal(parsed.status(), filter);
  } else if (parsed->has_value()) {
    CheckTree(**parsed, 0);
  } else {
    FUZZ_CHECK(filter.find_first_not_of(" \t\n\r\f\v") == std::string_view::npos);
  }

  auto sorted = tracking::ParseOrderBy(entity, order_by);
  if (!sorted.ok()) {
    CheckRefusal(sorted.status(), rest_all);
  } else {
    FUZZ_CHECK(sorted->size() == order_by.size());
    for (const store::OrderBy& o : *sorted) FUZZ_CHECK(!o.key.empty());
  }

  if (parsed.ok() && sorted.ok()) {
    Status size_check = tracking::CheckSearchSize(*parsed, *sorted);
    if (!size_check.ok()) CheckRefusal(size_check);
  }
  return 0;
}
