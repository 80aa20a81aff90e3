// SPDX-License-Identifier: Apache-2.0
// Hand-written scanner + recursive-descent parser for MLflow search filters and order_by clauses.
// The grammar is generic; per-entity schemas (tables below) decide which identifiers, value kinds
// and comparators are legal. Stateless apart from a per-call Parser object.
#include "tracking/search_filter.h"

#include <fmt/format.h>

#include <charconv>
#include <cstddef>
#include <set>
#include <span>
#include <system_error>
#include <utility>

#include "common/ascii.h"
#include "common/utf8.h"
#include "tracking/search_schema.h"

namespace mlhub::tracking {
namespace {

using internal::AttributeSpec;
using internal::DatasetFields;
using internal::ListNames;
using internal::Schema;
using internal::SchemaFor;
using internal::ValueKind;
using store::Comparator;
using store::Comparison;
using store::EntityType;
using store::FilterExpr;

constexpr int kMaxNesting = 64;

bool IsWordChar(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || u >= 0x80;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::optional<EntityType> EntityTypeFromPrefix(std::string_view p, const Schema& schema) {
  auto any = [&](std::initializer_list<std::string_view> names) {
    for (std::string_view n : names) {
      if (EqualsIgnoreCase(p, n)) return true;
    }
    return false;
  };
  if (any({"tags", "tag"})) return EntityType::kTag;
  if (any({"attributes", "attribute", "attr"})) return EntityType::kAttribute;
  if (schema.traces_like) {
    if (any({"trace"})) return EntityType::kAttribute;
    if (any({"metadata", "request_metadata"})) return EntityType::kParam;
  }
  if (!schema.runs_like) return std::nullopt;
  if (any({"run"})) return EntityType::kAttribute;
  if (any({"metrics", "metric"})) return EntityType::kMetric;
  if (any({"params", "param", "parameters", "parameter"})) return EntityType::kParam;
  if (any({"datasets", "dataset"})) return EntityType::kDataset;
  return std::nullopt;
}

// Indexed by the enum values of store::Comparator / store::EntityType.
constexpr std::string_view kComparatorText[] = {"=",  "!=",   "<",     "<=", ">",
                                                ">=", "LIKE", "ILIKE", "IN", "NOT IN"};
static_assert(std::size(kComparatorText) == static_cast<size_t>(Comparator::kNotIn) + 1);
constexpr std::string_view kTypeName[] = {"metrics", "params", "tags", "attributes", "datasets"};
constexpr std::string_view kSingular[] = {"metric", "param", "tag", "attribute", "dataset field"};

std::string_view ComparatorText(Comparator op) { return kComparatorText[static_cast<int>(op)]; }

// A validated, normalised left-hand side.
struct Resolved {
  EntityType type = EntityType::kAttribute;
  std::string key;
  ValueKind kind = ValueKind::kString;
  bool allows_in = false;
  std::string label;  // "metric 'acc'", for messages
};

class Parser {
 public:
  Parser(const Schema& schema, std::string_view text, std::string_view what)
      : schema_(schema), text_(text), what_(what) {}

  StatusOr<FilterExpr> ParseWholeFilter() {
    ASSIGN_OR_RETURN(FilterExpr expr, ParseChain(FilterExpr::Kind::kOr, 0));
    SkipSpace();
    if (!AtEnd()) {
      if (Peek() == ')') return Error(pos_, "unbalanced ')' with no matching '('");
      return Error(pos_, "expected AND, OR or the end of the filter, found " + Describe(pos_));
    }
    return expr;
  }

  StatusOr<store::OrderBy> ParseOrderByElement() {
    SkipSpace();
    if (AtEnd()) return Error(pos_, "expected an identifier to order by");
    ASSIGN_OR_RETURN(Resolved r, ParseAndResolveIdentifier(/*for_order_by=*/true));
    store::OrderBy out{r.type, std::move(r.key), true};
    SkipSpace();
    if (ConsumeKeyword("DESC")) {
      out.ascending = false;
    } else if (!ConsumeKeyword("ASC") && !AtEnd()) {
      return Error(pos_, "expected ASC, DESC or the end of the clause, found " + Describe(pos_));
    }
    SkipSpace();
    if (!AtEnd()) return Error(pos_, "unexpected " + Describe(pos_) + " after the sort direction");
    return out;
  }

 private:
  // ---- scanning primitives ----
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  void SkipSpace() {
    while (!AtEnd() && IsSpace(text_[pos_])) ++pos_;
  }

  // True (and consumes) if a case-insensitive keyword starts here and is not part of a longer word.
  bool ConsumeKeyword(std::string_view kw) {
    if (text_.size() - pos_ < kw.size()) return false;
    if (!EqualsIgnoreCase(text_.substr(pos_, kw.size()), kw)) return false;
    size_t end = pos_ + kw.size();
    if (end < text_.size() && IsWordChar(text_[end])) return false;
    pos_ = end;
    return true;
  }

  std::string_view ScanWord() {
    size_t start = pos_;
    while (!AtEnd() && IsWordChar(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  // Scans a string delimited by the quote at pos_. Backslash escapes the quote or a backslash
  // (other backslashes are kept verbatim, e.g. LIKE patterns); a doubled quote is one quote.
  StatusOr<std::string> ScanQuoted() {
    size_t start = pos_;
    char q = text_[pos_++];
    std::string out;
    while (!AtEnd()) {
      char c = text_[pos_];
      if (c == '\\' && pos_ + 1 < text_.size() &&
          (text_[pos_ + 1] == q || text_[pos_ + 1] == '\\')) {
        out += text_[pos_ + 1];
        pos_ += 2;
      } else if (c == q) {
        if (Peek(1) == q) {
          out += q;
          pos_ += 2;
        } else {
          ++pos_;
          return out;
        }
      } else {
        out += c;
        ++pos_;
      }
    }
    return Error(start, std::string("unterminated quoted string: no closing quote (") + q + ")");
  }

  // ---- errors ----
  // Where `part`, a piece of text_, ends in text_.
  size_t EndOf(std::string_view part) const { return part.data() - text_.data() + part.size(); }

  std::string Describe(size_t pos) const {
    if (pos >= text_.size()) return "the end of the filter";
    std::string_view rest = Utf8Substr(text_, pos, 20);  // whole characters only
    return "'" + std::string(rest) + (EndOf(rest) < text_.size() ? "...'" : "'");
  }

  Status Error(size_t pos, std::string_view message) const {
    std::string shown;
    if (text_.size() <= 120) {
      shown = std::string(text_);
    } else {
      size_t from = pos > 50 ? pos - 50 : 0;
      std::string_view excerpt = Utf8Substr(text_, from, 100);  // whole characters only
      shown = (from > 0 ? "..." : "") + std::string(excerpt) +
              (EndOf(excerpt) < text_.size() ? "..." : "");
    }
    return InvalidArgumentError("Invalid " + std::string(what_) + " '" + shown + "' at position " +
                                std::to_string(pos) + ": " + std::string(message));
  }

  // ---- grammar ----
  static FilterExpr Combine(FilterExpr::Kind kind, std::vector<FilterExpr> parts) {
    if (parts.size() == 1) return std::move(parts.front());
    FilterExpr out;
    out.kind = kind;
    for (FilterExpr& p : parts) {
      if (p.kind == kind) {
        for (FilterExpr& c : p.children) out.children.push_back(std::move(c));
      } else {
        out.children.push_back(std::move(p));
      }
    }
    return out;
  }

  // expr := and_expr (OR and_expr)*;  and_expr := primary (AND primary)*.
  StatusOr<FilterExpr> ParseChain(FilterExpr::Kind kind, int depth) {
    bool is_or = kind == FilterExpr::Kind::kOr;
    std::vector<FilterExpr> parts;
    do {
      ASSIGN_OR_RETURN(FilterExpr part,
                       is_or ? ParseChain(FilterExpr::Kind::kAnd, depth) : ParsePrimary(depth));
      parts.push_back(std::move(part));
      SkipSpace();
    } while (ConsumeKeyword(is_or ? "OR" : "AND"));
    return Combine(kind, std::move(parts));
  }

  StatusOr<FilterExpr> ParsePrimary(int depth) {
    SkipSpace();
    if (Peek() == '(') {
      size_t open = pos_++;
      if (depth + 1 > kMaxNesting) return Error(open, "parentheses are nested too deeply");
      ASSIGN_OR_RETURN(FilterExpr inner, ParseChain(FilterExpr::Kind::kOr, depth + 1));
      SkipSpace();
      if (Peek() != ')') {
        return Error(pos_, "expected ')' to close the '(' at position " + std::to_string(open) +
                               ", found " + Describe(pos_));
      }
      ++pos_;
      return inner;
    }
    FilterExpr leaf;
    ASSIGN_OR_RETURN(leaf.comparison, ParseComparison());
    return leaf;
  }

  // Reads `[type.]key` (parts optionally quoted) and validates it against the schema.
  StatusOr<Resolved> ParseAndResolveIdentifier(bool for_order_by) {
    size_t start = pos_;
    std::optional<std::string> prefix;
    std::optional<std::string> key;
    size_t key_pos = start;
    char c = Peek();
    if (c == '`' || c == '"') {
      ASSIGN_OR_RETURN(std::string first, ScanQuoted());
      if (Peek() == '.') {
        ++pos_;
        prefix = std::move(first);
      } else {
        key = std::move(first);
      }
    } else {
      std::string_view word = ScanWord();
      if (word.empty()) {
        return Error(start,
                     "expected an identifier (e.g. metrics.<key>, params.<key>, "
                     "tags.<key> or an attribute name), found " +
                         Describe(start));
      }
      size_t dot = word.find('.');
      if (dot == std::string_view::npos) {
        key = std::string(word);
      } else {
        prefix = std::string(word.substr(0, dot));
        key_pos = start + dot + 1;
        if (dot + 1 < word.size()) key = std::string(word.substr(dot + 1));
      }
    }
    if (!key) {  // `type.` was read; the key follows, quoted or plain.
      key_pos = pos_;
      if (IsQuote(Peek())) {
        ASSIGN_OR_RETURN(key, ScanQuoted());
      } else {
        key = std::string(ScanWord());
        if (key->empty()) return Error(key_pos, "expected a key after '" + *prefix + ".'");
      }
    }
    if (key->empty()) return Error(key_pos, "identifier keys must not be empty");
    if (IsQuote(Peek())) {
      return Error(pos_, "unexpected quote in identifier; quote the whole key, e.g. tags.`a b`");
    }
    return Resolve(prefix, start, std::move(*key), key_pos, for_order_by);
  }

  static bool IsQuote(char c) { return c == '`' || c == '"' || c == '\''; }

  StatusOr<Resolved> Resolve(const std::optional<std::string>& prefix, size_t start,
                             std::string key, size_t key_pos, bool for_order_by) {
    Resolved r;
    if (prefix) {
      std::optional<EntityType> type = EntityTypeFromPrefix(*prefix, schema_);
      if (!type) {
        return Error(start, "unknown identifier type '" + *prefix + "'; expected " +
                                (schema_.runs_like ? "metrics, params, tags, attributes or datasets"
                                 : schema_.traces_like ? "attributes, tags or metadata"
                                                       : "tags or attributes") +
                                " for " + std::string(schema_.noun));
      }
      r.type = *type;
    }
    if (for_order_by && (r.type == EntityType::kDataset ||
                         (!schema_.runs_like && r.type != EntityType::kAttribute))) {
      return Error(start, "only attributes" +
                              std::string(schema_.runs_like ? ", metrics, params and tags" : "") +
                              " can be used in order_by for " + std::string(schema_.noun));
    }
    bool dataset = r.type == EntityType::kDataset;
    if (dataset || r.type == EntityType::kAttribute) {
      std::span<const AttributeSpec> specs =
          dataset ? DatasetFields()
                  : (for_order_by ? schema_.order_attributes : schema_.filter_attributes);
      const AttributeSpec* found = nullptr;
      for (const AttributeSpec& s : specs) {
        if (s.name == key) found = &s;
      }
      if (found == nullptr) {
        return Error(key_pos, "unknown " + std::string(dataset ? "dataset field" : "attribute") +
                                  " '" + key + "' for " + std::string(schema_.noun) +
                                  (for_order_by ? " in order_by" : "") + "; expected one of " +
                                  ListNames(specs));
      }
      r.kind = found->kind;
      r.allows_in = found->allows_in;
      key = std::string(found->canonical);
    } else if (r.type == EntityType::kMetric) {
      r.kind = ValueKind::kNumber;
    }
    r.label = std::string(schema_.traces_like && r.type == EntityType::kParam
                              ? "metadata"
                              : kSingular[static_cast<int>(r.type)]) +
              " '" + key + "'";
    r.key = std::move(key);
    return r;
  }

  StatusOr<Comparator> ParseComparatorToken() {
    SkipSpace();
    char c = Peek();
    if (c == '=') {
      if (Peek(1) == '=') return Error(pos_, "'==' is not supported; use '='");
      ++pos_;
      return Comparator::kEq;
    }
    if (c == '!' && Peek(1) == '=') {
      pos_ += 2;
      return Comparator::kNe;
    }
    if (c == '<' || c == '>') {
      if (c == '<' && Peek(1) == '>') return Error(pos_, "'<>' is not supported; use '!='");
      bool eq = Peek(1) == '=';
      pos_ += eq ? 2 : 1;
      if (c == '<') return eq ? Comparator::kLe : Comparator::kLt;
      return eq ? Comparator::kGe : Comparator::kGt;
    }
    if (ConsumeKeyword("LIKE")) return Comparator::kLike;
    if (ConsumeKeyword("ILIKE")) return Comparator::kILike;
    if (ConsumeKeyword("IN")) return Comparator::kIn;
    size_t not_pos = pos_;
    if (ConsumeKeyword("NOT")) {
      SkipSpace();
      if (ConsumeKeyword("IN")) return Comparator::kNotIn;
      return Error(not_pos, "NOT must be followed by IN (only NOT IN is supported)");
    }
    return Error(pos_,
                 "expected a comparison operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, "
                 "NOT IN), found " +
                     Describe(pos_) +
                     (AtEnd() ? ""
                              : "; keys with special characters must be quoted, "
                                "e.g. params.`my-key`"));
  }

  bool AllowedComparator(const Resolved& r, Comparator op) const {
    bool ordering = op == Comparator::kLt || op == Comparator::kLe || op == Comparator::kGt ||
                    op == Comparator::kGe;
    bool pattern = op == Comparator::kLike || op == Comparator::kILike;
    bool list = op == Comparator::kIn || op == Comparator::kNotIn;
    if (r.kind == ValueKind::kNumber) return !pattern && !list;
    if (ordering) return false;
    return !list || r.allows_in;
  }

  std::string AllowedList(const Resolved& r) const {
    if (r.kind == ValueKind::kNumber) return "=, !=, <, <=, >, >=";
    return r.allows_in ? "=, !=, LIKE, ILIKE, IN, NOT IN" : "=, !=, LIKE, ILIKE";
  }

  StatusOr<double> ScanNumber() {
    size_t start = pos_;
    size_t i = pos_;
    auto sign = [&] { i += (i < text_.size() && (text_[i] == '+' || text_[i] == '-')) ? 1 : 0; };
    auto digits = [&] {
      size_t n = 0;
      while (i < text_.size() && text_[i] >= '0' && text_[i] <= '9') ++i, ++n;
      return n;
    };
    sign();
    size_t mantissa = digits();
    if (i < text_.size() && text_[i] == '.') ++i, mantissa += digits();
    if (mantissa > 0 && i < text_.size() && (text_[i] == 'e' || text_[i] == 'E')) {
      ++i;
      sign();
      if (digits() == 0) return Error(start, "malformed number: exponent has no digits");
    }
    if (mantissa == 0 || (i < text_.size() && (IsWordChar(text_[i]) || IsQuote(text_[i])))) {
      return Error(start, "malformed number " + Describe(start));
    }
    std::string_view num = text_.substr(start, i - start);
    if (num.front() == '+') num.remove_prefix(1);
    double value = 0;
    auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), value);
    if (ec != std::errc() || ptr != num.data() + num.size()) {
      return Error(start, "number " + Describe(start) + " is out of range");
    }
    pos_ = i;
    return value;
  }

  StatusOr<std::vector<std::string>> ScanStringList(const Resolved& r) {
    size_t open = pos_++;
    std::vector<std::string> items;
    while (true) {
      SkipSpace();
      if (Peek() == ')' && items.empty()) return Error(pos_, "the IN list must not be empty");
      if (Peek() != '\'' && Peek() != '"') {
        return Error(pos_, "expected a quoted string in the IN list of " + r.label + ", found " +
                               Describe(pos_));
      }
      ASSIGN_OR_RETURN(std::string item, ScanQuoted());
      items.push_back(std::move(item));
      SkipSpace();
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() == ')') {
        ++pos_;
        return items;
      }
      return Error(pos_, "expected ',' or ')' in the IN list opened at position " +
                             std::to_string(open) + ", found " + Describe(pos_));
    }
  }

  StatusOr<Comparison> ParseComparison() {
    SkipSpace();
    if (AtEnd()) return Error(pos_, "expected a comparison such as metrics.acc > 0.9");
    ASSIGN_OR_RETURN(Resolved r, ParseAndResolveIdentifier(/*for_order_by=*/false));
    SkipSpace();
    size_t op_pos = pos_;
    ASSIGN_OR_RETURN(Comparator op, ParseComparatorToken());
    if (!AllowedComparator(r, op)) {
      return Error(op_pos, "comparator '" + std::string(ComparatorText(op)) +
                               "' is not supported for " + r.label + "; use one of " +
                               AllowedList(r));
    }
    SkipSpace();
    size_t value_pos = pos_;
    Comparison out;
    out.type = r.type;
    out.op = op;
    char c = Peek();
    bool list_op = op == Comparator::kIn || op == Comparator::kNotIn;
    if (list_op) {
      if (c != '(') {
        return Error(value_pos, "expected a parenthesised list of quoted strings after " +
                                    std::string(ComparatorText(op)) + ", e.g. ('a', 'b'), found " +
                                    Describe(value_pos));
      }
      ASSIGN_OR_RETURN(out.value, ScanStringList(r));
    } else if (AtEnd()) {
      return Error(value_pos, "expected a value");
    } else if (c == '(') {
      return Error(value_pos, "a parenthesised list is only allowed after IN / NOT IN");
    } else if (c == '\'' || c == '"') {
      ASSIGN_OR_RETURN(std::string s, ScanQuoted());
      if (r.kind == ValueKind::kNumber) {
        return Error(value_pos, "expected a numeric value for " + r.label + ", found a string");
      }
      out.value = std::move(s);
    } else if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.') {
      ASSIGN_OR_RETURN(double d, ScanNumber());
      if (r.kind == ValueKind::kString) {
        return Error(value_pos, "expected a quoted string value for " + r.label +
                                    " (e.g. 'my-value'), found a number");
      }
      out.value = d;
    } else {
      return Error(value_pos, std::string("expected a value (") +
                                  (r.kind == ValueKind::kNumber ? "a number" : "a quoted string") +
                                  " for " + r.label + "), found " + Describe(value_pos));
    }
    out.key = std::move(r.key);
    return out;
  }

  const Schema& schema_;
  std::string_view text_;
  std::string_view what_;
  size_t pos_ = 0;
};

}  // namespace

StatusOr<std::optional<store::FilterExpr>> ParseFilter(SearchEntity entity,
                                                       std::string_view filter) {
  bool blank = true;
  for (char c : filter) blank = blank && IsSpace(c);
  if (blank) return std::optional<store::FilterExpr>();
  Parser parser(SchemaFor(entity), filter, "filter");
  ASSIGN_OR_RETURN(store::FilterExpr expr, parser.ParseWholeFilter());
  return std::optional<store::FilterExpr>(std::move(expr));
}

StatusOr<std::vector<store::OrderBy>> ParseOrderBy(SearchEntity entity,
                                                   const std::vector<std::string>& order_by) {
  std::vector<store::OrderBy> out;
  std::set<std::pair<EntityType, std::string>> seen;
  for (const std::string& element : order_by) {
    Parser parser(SchemaFor(entity), element, "order_by clause");
    ASSIGN_OR_RETURN(store::OrderBy parsed, parser.ParseOrderByElement());
    if (!seen.emplace(parsed.type, parsed.key).second) {
      return InvalidArgumentError("Invalid order_by clause '" + element +
                                  "': " + std::string(kTypeName[static_cast<int>(parsed.type)]) +
                                  "." + parsed.key + " is a duplicate order_by key");
    }
    out.push_back(std::move(parsed));
  }
  return out;
}

namespace {

// Bounds on search complexity. Each clause and order key becomes a join or subquery; past these the
// database refuses the statement, and that must be the client's 400, not a server error.
constexpr size_t kMaxFilterClauses = 50;
constexpr size_t kMaxOrderByKeys = 20;

size_t CountClauses(const store::FilterExpr& expr) {
  if (expr.kind == store::FilterExpr::Kind::kComparison) return 1;
  size_t count = 0;
  for (const auto& child : expr.children) count += CountClauses(child);
  return count;
}

}  // namespace

Status CheckSearchSize(const std::optional<store::FilterExpr>& filter,
                       const std::vector<store::OrderBy>& order_by) {
  size_t clauses = filter ? CountClauses(*filter) : 0;
  if (clauses > kMaxFilterClauses) {
    return InvalidArgumentError(
        fmt::format("Invalid filter: it has {} comparisons; at most {} are allowed.", clauses,
                    kMaxFilterClauses));
  }
  if (order_by.size() > kMaxOrderByKeys) {
    return InvalidArgumentError(
        fmt::format("Invalid order_by: {} keys given; at most {} are allowed.", order_by.size(),
                    kMaxOrderByKeys));
  }
  return OkStatus();
}

}  // namespace mlhub::tracking
