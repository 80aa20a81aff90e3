// SPDX-License-Identifier: Apache-2.0
// Tests for the MLflow search filter / order_by parser: per-entity identifiers and comparators,
// quoting, numbers, IN lists, AND/OR precedence, error positions, and a mutation fuzz loop.
#include "tracking/search_filter.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace mlhub::tracking {
namespace {

using store::Comparator;
using store::EntityType;
using store::FilterExpr;

constexpr SearchEntity kRuns = SearchEntity::kRuns;
constexpr SearchEntity kExperiments = SearchEntity::kExperiments;
constexpr SearchEntity kModels = SearchEntity::kRegisteredModels;
constexpr SearchEntity kVersions = SearchEntity::kModelVersions;

std::string Show(const FilterExpr& e) {
  if (e.kind != FilterExpr::Kind::kComparison) {
    std::string out = e.kind == FilterExpr::Kind::kAnd ? "AND[" : "OR[";
    for (size_t i = 0; i < e.children.size(); ++i) out += (i ? "; " : "") + Show(e.children[i]);
    return out + "]";
  }
  static const char* kTypes[] = {"metrics", "params", "tags", "attributes", "datasets"};
  static const char* kOps[] = {"=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE", "IN", "NOT IN"};
  const store::Comparison& c = e.comparison;
  std::string out = std::string(kTypes[static_cast<int>(c.type)]) + "." + c.key + " " +
                    kOps[static_cast<int>(c.op)] + " ";
  if (const double* d = std::get_if<double>(&c.value)) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%g", *d);
    return out + buf;
  }
  if (const std::string* s = std::get_if<std::string>(&c.value)) return out + "<" + *s + ">";
  out += "(";
  const auto& list = std::get<std::vector<std::string>>(c.value);
  for (size_t i = 0; i < list.size(); ++i) out += (i ? "," : "") + ("<" + list[i] + ">");
  return out + ")";
}

// Parses and renders; failures render as "ERROR: <message>".
std::string P(SearchEntity entity, std::string_view filter) {
  auto parsed = ParseFilter(entity, filter);
  if (!parsed.ok()) return "ERROR: " + parsed.status().message();
  return parsed->has_value() ? Show(**parsed) : "<none>";
}

std::string O(SearchEntity entity, const std::vector<std::string>& order_by) {
  auto parsed = ParseOrderBy(entity, order_by);
  if (!parsed.ok()) return "ERROR: " + parsed.status().message();
  static const char* kTypes[] = {"metrics", "params", "tags", "attributes", "datasets"};
  std::string out;
  for (const store::OrderBy& o : *parsed) {
    out += (out.empty() ? "" : ", ") + std::string(kTypes[static_cast<int>(o.type)]) + "." + o.key +
           (o.ascending ? " ASC" : " DESC");
  }
  return out;
}

bool IsError(const std::string& s) { return s.rfind("ERROR: ", 0) == 0; }

TEST(SearchFilterTest, EmptyFilterIsNullopt) {
  EXPECT_EQ(P(kRuns, ""), "<none>");
  EXPECT_EQ(P(kRuns, "  \t\n "), "<none>");
  EXPECT_EQ(P(kModels, ""), "<none>");
}

TEST(SearchFilterTest, MetricComparators) {
  EXPECT_EQ(P(kRuns, "metrics.acc = 1"), "metrics.acc = 1");
  EXPECT_EQ(P(kRuns, "metrics.acc != 1"), "metrics.acc != 1");
  EXPECT_EQ(P(kRuns, "metrics.acc < 1"), "metrics.acc < 1");
  EXPECT_EQ(P(kRuns, "metrics.acc <= 1"), "metrics.acc <= 1");
  EXPECT_EQ(P(kRuns, "metrics.acc > 0.9"), "metrics.acc > 0.9");
  EXPECT_EQ(P(kRuns, "metric.acc >= 0.9"), "metrics.acc >= 0.9");
  EXPECT_TRUE(IsError(P(kRuns, "metrics.acc LIKE 1")));
  EXPECT_TRUE(IsError(P(kRuns, "metrics.acc IN ('1')")));
}

TEST(SearchFilterTest, ParamAndTagComparators) {
  for (std::string type : {"params", "param", "parameter", "parameters"}) {
    EXPECT_EQ(P(kRuns, type + ".lr = '0.1'"), "params.lr = <0.1>");
  }
  EXPECT_EQ(P(kRuns, "params.lr != '0.1'"), "params.lr != <0.1>");
  EXPECT_EQ(P(kRuns, "params.model LIKE 'Log%'"), "params.model LIKE <Log%>");
  EXPECT_EQ(P(kRuns, "params.model ILIKE '%reg_'"), "params.model ILIKE <%reg_>");
  EXPECT_EQ(P(kRuns, "tags.team = \"ml\""), "tags.team = <ml>");
  EXPECT_EQ(P(kRuns, "tag.team != 'x'"), "tags.team != <x>");
  EXPECT_EQ(P(kRuns, "tags.team LIKE 'a%'"), "tags.team LIKE <a%>");
  EXPECT_EQ(P(kRuns, "tags.team ILIKE 'A%'"), "tags.team ILIKE <A%>");
  for (const char* bad : {"params.x > 'a'", "params.x < 'a'", "params.x >= 'a'", "tags.x <= 'a'",
                          "params.x IN ('a')", "tags.x NOT IN ('a')", "params.x = 1"}) {
    EXPECT_TRUE(IsError(P(kRuns, bad))) << bad;
  }
}

TEST(SearchFilterTest, RunAttributes) {
  for (std::string prefix : {"attributes.", "attribute.", "attr.", "run.", ""}) {
    EXPECT_EQ(P(kRuns, prefix + "status = 'FINISHED'"), "attributes.status = <FINISHED>");
  }
  for (const char* key : {"run_id", "run_name", "status", "user_id", "artifact_uri"}) {
    std::string k = key;
    EXPECT_EQ(P(kRuns, k + " = 'a'"), "attributes." + k + " = <a>");
    EXPECT_EQ(P(kRuns, k + " != 'a'"), "attributes." + k + " != <a>");
    EXPECT_EQ(P(kRuns, k + " LIKE 'a'"), "attributes." + k + " LIKE <a>");
    EXPECT_EQ(P(kRuns, k + " ILIKE 'a'"), "attributes." + k + " ILIKE <a>");
    EXPECT_EQ(P(kRuns, k + " IN ('a')"), "attributes." + k + " IN (<a>)");
    EXPECT_EQ(P(kRuns, k + " NOT IN ('a', 'b')"), "attributes." + k + " NOT IN (<a>,<b>)");
    EXPECT_TRUE(IsError(P(kRuns, k + " > 'a'")));
    EXPECT_TRUE(IsError(P(kRuns, k + " = 5")));
  }
  for (const char* key : {"start_time", "end_time"}) {
    std::string k = key;
    for (const char* op : {"=", "!=", "<", "<=", ">", ">="}) {
      EXPECT_EQ(P(kRuns, k + " " + op + " 100"), "attributes." + k + " " + op + " 100");
    }
    EXPECT_TRUE(IsError(P(kRuns, k + " LIKE '1'")));
    EXPECT_TRUE(IsError(P(kRuns, "attributes." + k + " = '100'")));
  }
  EXPECT_EQ(P(kRuns, "created > 5"), "attributes.start_time > 5");
  EXPECT_EQ(P(kRuns, "attributes.Created > 5"), "attributes.start_time > 5");
  EXPECT_EQ(P(kRuns, "attributes.`run name` = 'x'"), "attributes.run_name = <x>");
  EXPECT_EQ(P(kRuns, "attributes.\"Run Name\" = 'x'"), "attributes.run_name = <x>");
  EXPECT_EQ(P(kRuns, "`run name` = 'x'"), "attributes.run_name = <x>");
  EXPECT_EQ(P(kRuns, "\"run name\" = 'x'"), "attributes.run_name = <x>");
  EXPECT_TRUE(IsError(P(kRuns, "lifecycle_stage = 'active'")));
  EXPECT_TRUE(IsError(P(kRuns, "attributes.lifecycle_stage = 'active'")));
  EXPECT_TRUE(IsError(P(kRuns, "attributes.STATUS = 'x'")));
}

TEST(SearchFilterTest, Datasets) {
  EXPECT_EQ(P(kRuns, "datasets.name = 'd'"), "datasets.name = <d>");
  EXPECT_EQ(P(kRuns, "dataset.digest != 'd'"), "datasets.digest != <d>");
  EXPECT_EQ(P(kRuns, "datasets.context LIKE 'tr%'"), "datasets.context LIKE <tr%>");
  EXPECT_EQ(P(kRuns, "datasets.context ILIKE 'TR%'"), "datasets.context ILIKE <TR%>");
  EXPECT_EQ(P(kRuns, "datasets.name IN ('a','b')"), "datasets.name IN (<a>,<b>)");
  EXPECT_EQ(P(kRuns, "datasets.digest NOT IN ('a')"), "datasets.digest NOT IN (<a>)");
  EXPECT_TRUE(IsError(P(kRuns, "datasets.profile = 'x'")));
  EXPECT_TRUE(IsError(P(kRuns, "datasets.name > 'x'")));
  EXPECT_TRUE(IsError(P(kExperiments, "datasets.name = 'x'")));
}

TEST(SearchFilterTest, Experiments) {
  EXPECT_EQ(P(kExperiments, "name = 'e'"), "attributes.name = <e>");
  EXPECT_EQ(P(kExperiments, "attributes.name != 'e'"), "attributes.name != <e>");
  EXPECT_EQ(P(kExperiments, "name LIKE 'e%'"), "attributes.name LIKE <e%>");
  EXPECT_EQ(P(kExperiments, "name ILIKE 'E%'"), "attributes.name ILIKE <E%>");
  EXPECT_EQ(P(kExperiments, "creation_time > 10"), "attributes.creation_time > 10");
  EXPECT_EQ(P(kExperiments, "last_update_time <= 10"), "attributes.last_update_time <= 10");
  EXPECT_EQ(P(kExperiments, "tags.k = 'v' AND tag.j LIKE '%'"),
            "AND[tags.k = <v>; tags.j LIKE <%>]");
  for (const char* bad :
       {"metrics.a > 1", "params.a = 'x'", "run.name = 'x'", "run_id = 'x'", "name IN ('a')",
        "name > 'a'", "creation_time = 'x'", "creation_timestamp > 1"}) {
    EXPECT_TRUE(IsError(P(kExperiments, bad))) << bad;
  }
}

TEST(SearchFilterTest, RegisteredModels) {
  EXPECT_EQ(P(kModels, "name = 'm'"), "attributes.name = <m>");
  EXPECT_EQ(P(kModels, "name != 'm'"), "attributes.name != <m>");
  EXPECT_EQ(P(kModels, "name LIKE 'm%'"), "attributes.name LIKE <m%>");
  EXPECT_EQ(P(kModels, "name ILIKE 'M%'"), "attributes.name ILIKE <M%>");
  EXPECT_EQ(P(kModels, "tags.`stage x` = 'prod'"), "tags.stage x = <prod>");
  for (const char* bad : {"metrics.a > 1", "run_id = 'x'", "name IN ('a')", "source_path = 'x'",
                          "version_number = 1", "datasets.name = 'x'"}) {
    EXPECT_TRUE(IsError(P(kModels, bad))) << bad;
  }
}

TEST(SearchFilterTest, ModelVersions) {
  EXPECT_EQ(P(kVersions, "name = 'm'"), "attributes.name = <m>");
  EXPECT_EQ(P(kVersions, "name ILIKE 'm%'"), "attributes.name ILIKE <m%>");
  EXPECT_EQ(P(kVersions, "run_id = 'r'"), "attributes.run_id = <r>");
  EXPECT_EQ(P(kVersions, "run_id IN ('r1', 'r2')"), "attributes.run_id IN (<r1>,<r2>)");
  EXPECT_EQ(P(kVersions, "run_id NOT IN ('r1')"), "attributes.run_id NOT IN (<r1>)");
  EXPECT_EQ(P(kVersions, "source_path LIKE 's3://%'"), "attributes.source_path LIKE <s3://%>");
  EXPECT_EQ(P(kVersions, "version_number >= 2"), "attributes.version_number >= 2");
  EXPECT_EQ(P(kVersions, "creation_timestamp < 5"), "attributes.creation_timestamp < 5");
  EXPECT_EQ(P(kVersions, "last_updated_timestamp != 5"), "attributes.last_updated_timestamp != 5");
  EXPECT_EQ(P(kVersions, "tags.k = 'v'"), "tags.k = <v>");
  for (const char* bad : {"name IN ('a')", "version_number = '1'", "source_path IN ('a')",
                          "metrics.a > 1", "params.a = 'b'", "status = 'READY'"}) {
    EXPECT_TRUE(IsError(P(kVersions, bad))) << bad;
  }
}

TEST(SearchFilterTest, QuotingForms) {
  EXPECT_EQ(P(kRuns, "tags.\"a b\" = 'x'"), "tags.a b = <x>");
  EXPECT_EQ(P(kRuns, "params.`my-key` = 'x'"), "params.my-key = <x>");
  EXPECT_EQ(P(kRuns, "params.'quoted key' = 'x'"), "params.quoted key = <x>");
  EXPECT_EQ(P(kRuns, "`params`.lr = 'x'"), "params.lr = <x>");
  EXPECT_EQ(P(kRuns, "\"metrics\".\"a.b\" > 1"), "metrics.a.b > 1");
  EXPECT_EQ(P(kRuns, "tags.mlflow.parentRunId = 'abc'"), "tags.mlflow.parentRunId = <abc>");
  EXPECT_EQ(P(kRuns, "metrics.1st_loss < 1"), "metrics.1st_loss < 1");
  EXPECT_EQ(P(kRuns, "params.and = 'x'"), "params.and = <x>");
  EXPECT_EQ(P(kRuns, "Metrics.ACC > 1"), "metrics.ACC > 1");
  // String values: both quote kinds, backslash-escaped and doubled quotes.
  EXPECT_EQ(P(kRuns, "params.p = \"x\""), "params.p = <x>");
  EXPECT_EQ(P(kRuns, R"(params.p = 'it\'s')"), "params.p = <it's>");
  EXPECT_EQ(P(kRuns, "params.p = 'it''s'"), "params.p = <it's>");
  EXPECT_EQ(P(kRuns, R"(params.p = "say \"hi\"")"), "params.p = <say \"hi\">");
  EXPECT_EQ(P(kRuns, R"(params.p = "say ""hi""")"), "params.p = <say \"hi\">");
  EXPECT_EQ(P(kRuns, R"(params.p = 'a\\b')"), R"(params.p = <a\b>)");
  EXPECT_EQ(P(kRuns, R"(params.p LIKE 'a\%b')"), R"(params.p LIKE <a\%b>)");
  EXPECT_EQ(P(kRuns, "params.p = ''"), "params.p = <>");
  EXPECT_EQ(P(kRuns, "params.p = 'AND OR ('"), "params.p = <AND OR (>");
}

TEST(SearchFilterTest, Numbers) {
  EXPECT_EQ(P(kRuns, "metrics.a > -1"), "metrics.a > -1");
  EXPECT_EQ(P(kRuns, "metrics.a > +2"), "metrics.a > 2");
  EXPECT_EQ(P(kRuns, "metrics.a > 1.5"), "metrics.a > 1.5");
  EXPECT_EQ(P(kRuns, "metrics.a > .5"), "metrics.a > 0.5");
  EXPECT_EQ(P(kRuns, "metrics.a > 5."), "metrics.a > 5");
  EXPECT_EQ(P(kRuns, "metrics.a > 1e3"), "metrics.a > 1000");
  EXPECT_EQ(P(kRuns, "metrics.a > -2.5E-3"), "metrics.a > -0.0025");
  EXPECT_EQ(P(kRuns, "metrics.a > 1e+2"), "metrics.a > 100");
  EXPECT_EQ(P(kRuns, "start_time >= 1700000000000"), "attributes.start_time >= 1.7e+12");
  auto parsed = ParseFilter(kRuns, "start_time >= 1700000000123");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(std::get<double>((*parsed)->comparison.value), 1700000000123.0);
}

TEST(SearchFilterTest, InLists) {
  EXPECT_EQ(P(kRuns, "run_id IN ('a')"), "attributes.run_id IN (<a>)");
  EXPECT_EQ(P(kRuns, "run_id IN ( 'a' ,\"b\",  'c''d' )"), "attributes.run_id IN (<a>,<b>,<c'd>)");
  EXPECT_EQ(P(kRuns, "run_id in('a')"), "attributes.run_id IN (<a>)");
  EXPECT_EQ(P(kRuns, "run_id not   in ('a')"), "attributes.run_id NOT IN (<a>)");
}

TEST(SearchFilterTest, CaseInsensitiveKeywords) {
  EXPECT_EQ(P(kRuns, "params.a like 'x' and tags.b IlIkE 'y' or metrics.c > 1"),
            "OR[AND[params.a LIKE <x>; tags.b ILIKE <y>]; metrics.c > 1]");
  EXPECT_EQ(P(kRuns, "run_id Not In ('a') AnD status iN ('b')"),
            "AND[attributes.run_id NOT IN (<a>); attributes.status IN (<b>)]");
}

TEST(SearchFilterTest, PrecedenceAndParentheses) {
  const std::string a = "metrics.a > 1", b = "params.b = 'x'", c = "tags.c = 'y'",
                    d = "status = 'd'";
  const std::string sa = "metrics.a > 1", sb = "params.b = <x>", sc = "tags.c = <y>",
                    sd = "attributes.status = <d>";
  EXPECT_EQ(P(kRuns, a + " AND " + b + " OR " + c), "OR[AND[" + sa + "; " + sb + "]; " + sc + "]");
  EXPECT_EQ(P(kRuns, a + " OR " + b + " AND " + c), "OR[" + sa + "; AND[" + sb + "; " + sc + "]]");
  EXPECT_EQ(P(kRuns, "(" + a + " OR " + b + ") AND " + c),
            "AND[OR[" + sa + "; " + sb + "]; " + sc + "]");
  EXPECT_EQ(P(kRuns, a + " AND (" + b + " AND " + c + ")"),
            "AND[" + sa + "; " + sb + "; " + sc + "]");
  EXPECT_EQ(P(kRuns, a + " OR (" + b + " OR " + c + ") OR " + d),
            "OR[" + sa + "; " + sb + "; " + sc + "; " + sd + "]");
  EXPECT_EQ(P(kRuns, "((" + a + "))"), sa);
  EXPECT_EQ(P(kRuns, "(" + a + " AND " + b + ") OR (" + c + " AND " + d + ")"),
            "OR[AND[" + sa + "; " + sb + "]; AND[" + sc + "; " + sd + "]]");
  EXPECT_EQ(P(kRuns, a + " AND " + b + " AND " + c + " AND " + d),
            "AND[" + sa + "; " + sb + "; " + sc + "; " + sd + "]");
  auto parsed = ParseFilter(kRuns, a);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ((*parsed)->kind, FilterExpr::Kind::kComparison);
  EXPECT_TRUE((*parsed)->children.empty());
}

TEST(SearchFilterTest, WhitespaceOddities) {
  EXPECT_EQ(P(kRuns, "\t metrics.a>1\nAND\r\nparams.b='x'  "),
            "AND[metrics.a > 1; params.b = <x>]");
  EXPECT_EQ(P(kRuns, "params.b='x'AND(metrics.a>=1)"), "AND[params.b = <x>; metrics.a >= 1]");
  EXPECT_EQ(P(kRuns, "metrics.a>1 OR(metrics.a<-1)"), "OR[metrics.a > 1; metrics.a < -1]");
}

TEST(SearchFilterTest, ExactErrorMessage) {
  EXPECT_EQ(P(kRuns, "metrics.a > "),
            "ERROR: Invalid filter 'metrics.a > ' at position 12: expected a value");
  auto parsed = ParseFilter(kRuns, "metrics.a = 'x'");
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
}

TEST(SearchFilterTest, MalformedFiltersReportPosition) {
  struct Case {
    SearchEntity entity;
    const char* filter;
    size_t position;
  };
  const Case cases[] = {
      {kRuns, "metrics.a > ", 12},
      {kRuns, "metrics.a", 9},
      {kRuns, "metrics.a > 1 AND", 17},
      {kRuns, "metrics.a > 1 OR", 16},
      {kRuns, "(metrics.a > 1", 14},
      {kRuns, "metrics.a > 1)", 13},
      {kRuns, "params.x = 'abc", 11},
      {kRuns, "params.x > 'a'", 9},
      {kRuns, "metrics.m = 'x'", 12},
      {kRuns, "attributes.start_time = 'x'", 24},
      {kRuns, "foo.bar = 'x'", 0},
      {kRuns, "attributes.nope = 'x'", 11},
      {kRuns, "lifecycle_stage = 'a'", 0},
      {kRuns, "metrics.a > 1 metrics.b > 2", 14},
      {kRuns, "= 1", 0},
      {kRuns, "params.x = abc", 11},
      {kRuns, "params.`x = 'a'", 7},
      {kRuns, "tags. = 'a'", 5},
      {kRuns, "tags.`` = 'a'", 5},
      {kRuns, "metrics.a == 1", 10},
      {kRuns, "metrics.a <> 1", 10},
      {kRuns, "params.a NOT LIKE 'x'", 9},
      {kRuns, "run_id IN ()", 11},
      {kRuns, "run_id IN ('a',)", 15},
      {kRuns, "run_id IN ('a' 'b')", 15},
      {kRuns, "run_id IN 'a'", 10},
      {kRuns, "run_id IN ('a', 1)", 16},
      {kRuns, "run_id = ('a')", 9},
      {kRuns, "metrics.a > 1e", 12},
      {kRuns, "metrics.a > 1.2.3", 12},
      {kRuns, "metrics.a > 12abc", 12},
      {kRuns, "metrics.a > --1", 12},
      {kRuns, "metrics.a > 1e999", 12},
      {kRuns, "()", 1},
      {kRuns, "metrics.a > 1 AND ()", 19},
      {kRuns, "'status' = 'x'", 0},
      {kRuns, "params.my-key = 'x'", 9},
      {kRuns, "metrics.a > 1 AND AND", 18},
      {kRuns, "tags.\"a\"b = 'x'", 8},
      {kRuns, "metrics.a > 1 XOR b", 14},
      {kRuns, "((metrics.a > 1)", 16},
      {kRuns, "metrics.a > 1 ;", 14},
      {kExperiments, "metrics.a > 1", 0},
      {kModels, "name IN ('a')", 5},
      {kVersions, "version_number = 'x'", 17},
  };
  for (const Case& c : cases) {
    auto parsed = ParseFilter(c.entity, c.filter);
    ASSERT_FALSE(parsed.ok()) << c.filter;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << c.filter;
    const std::string& msg = parsed.status().message();
    EXPECT_EQ(msg.rfind("Invalid filter '", 0), 0u) << msg;
    EXPECT_NE(msg.find("at position " + std::to_string(c.position) + ":"), std::string::npos)
        << c.filter << " -> " << msg;
  }
}

TEST(SearchFilterTest, DeepNestingIsRejectedNotCrashing) {
  std::string deep(10000, '(');
  auto parsed = ParseFilter(kRuns, deep + "metrics.a > 1" + std::string(10000, ')'));
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("nested too deeply"), std::string::npos);
  std::string ok = std::string(30, '(') + "metrics.a > 1" + std::string(30, ')');
  EXPECT_EQ(P(kRuns, ok), "metrics.a > 1");
}

TEST(SearchFilterTest, LongFilterErrorIsExcerpted) {
  std::string filter;
  for (int i = 0; i < 50; ++i) filter += "metrics.a > 1 AND ";
  filter += "metrics.b >";
  std::string err = P(kRuns, filter);
  ASSERT_TRUE(IsError(err));
  EXPECT_LT(err.size(), 300u);
  EXPECT_NE(err.find("at position " + std::to_string(filter.size())), std::string::npos);
}

TEST(SearchOrderByTest, Runs) {
  EXPECT_EQ(O(kRuns, {}), "");
  EXPECT_EQ(O(kRuns, {"metrics.acc DESC", "params.p", "tags.`a b` asc", "start_time desc"}),
            "metrics.acc DESC, params.p ASC, tags.a b ASC, attributes.start_time DESC");
  EXPECT_EQ(O(kRuns, {"created"}), "attributes.start_time ASC");
  EXPECT_EQ(O(kRuns, {"attributes.`run name` DESC"}), "attributes.run_name DESC");
  EXPECT_EQ(O(kRuns, {"  end_time   ASC  "}), "attributes.end_time ASC");
  for (const char* key : {"run_name", "status", "run_id", "user_id", "artifact_uri"}) {
    EXPECT_EQ(O(kRuns, {key}), "attributes." + std::string(key) + " ASC");
  }
  EXPECT_EQ(O(kRuns, {"metric.\"my metric\" DeSc"}), "metrics.my metric DESC");
  for (const char* bad : {"", "   ", "datasets.name", "lifecycle_stage", "metrics.a SIDEWAYS",
                          "metrics.a DESC extra", "foo.bar", "metrics.a,", "ASC"}) {
    auto parsed = ParseOrderBy(kRuns, {bad});
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find("'" + std::string(bad) + "'"), std::string::npos)
        << parsed.status().message();
  }
}

TEST(SearchOrderByTest, DuplicatesRejected) {
  EXPECT_TRUE(IsError(O(kRuns, {"start_time", "created DESC"})));
  EXPECT_TRUE(IsError(O(kRuns, {"metrics.a", "metric.a DESC"})));
  EXPECT_EQ(O(kRuns, {"metrics.a", "params.a", "tags.a"}),
            "metrics.a ASC, params.a ASC, tags.a ASC");
  // MLflow sorts registered models' "timestamp" by the last update.
  EXPECT_TRUE(IsError(O(kModels, {"timestamp", "last_updated_timestamp"})));
}

TEST(SearchOrderByTest, OtherEntities) {
  EXPECT_EQ(O(kExperiments, {"name", "experiment_id DESC", "creation_time", "last_update_time"}),
            "attributes.name ASC, attributes.experiment_id DESC, attributes.creation_time ASC, "
            "attributes.last_update_time ASC");
  EXPECT_TRUE(IsError(O(kExperiments, {"tags.x"})));
  EXPECT_TRUE(IsError(O(kExperiments, {"metrics.x"})));
  EXPECT_TRUE(IsError(O(kExperiments, {"start_time"})));
  EXPECT_EQ(O(kModels, {"name DESC", "timestamp", "creation_timestamp"}),
            "attributes.name DESC, attributes.last_updated_timestamp ASC, "
            "attributes.creation_timestamp ASC");
  EXPECT_EQ(O(kModels, {"creation_timestamp desc"}), "attributes.creation_timestamp DESC");
  EXPECT_TRUE(IsError(O(kModels, {"version_number"})));
  EXPECT_EQ(
      O(kVersions, {"version_number DESC", "name", "creation_timestamp", "last_updated_timestamp"}),
      "attributes.version_number DESC, attributes.name ASC, "
      "attributes.creation_timestamp ASC, attributes.last_updated_timestamp ASC");
  EXPECT_TRUE(IsError(O(kVersions, {"tags.x"})));
}

// Random edits of valid filters must never crash; every failure is a positioned InvalidArgument.
TEST(SearchFilterFuzzTest, MutationsNeverCrash) {
  const std::vector<std::string> seeds = {
      "metrics.acc > 0.9 AND params.model = 'lr'",
      "(tags.`a b` LIKE '%x%' OR attributes.status IN ('FINISHED', 'FAILED')) AND start_time > 5",
      "datasets.name NOT IN (\"a\", 'b''c') OR run_name ILIKE 'x\\'y'",
      "name LIKE 'm%' AND tags.k != 'v'",
      "run_id IN ('a') AND version_number >= -1.5e3 AND source_path = 's'",
      "creation_time <= 12 OR last_update_time > 1 AND name = 'e'",
  };
  const std::string alphabet = "()'\"`.,=<>!- \taAnNdDoOrRiIlLkKeE0123456789\\%_+";
  const SearchEntity entities[] = {kRuns, kExperiments, kModels, kVersions};
  std::mt19937 rng(12345);
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  int accepted = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s = seeds[pick(seeds.size())];
    int edits = 1 + static_cast<int>(pick(4));
    for (int e = 0; e < edits && !s.empty(); ++e) {
      size_t at = pick(s.size());
      switch (pick(5)) {
        case 0:
          s.insert(s.begin() + at, alphabet[pick(alphabet.size())]);
          break;
        case 1:
          s.erase(at, 1);
          break;
        case 2:
          s[at] = alphabet[pick(alphabet.size())];
          break;
        case 3:
          s.resize(at);
          break;
        default:
          s.insert(at, s.substr(pick(s.size()), 1 + pick(8)));
          break;
      }
    }
    for (SearchEntity entity : entities) {
      auto parsed = ParseFilter(entity, s);
      if (parsed.ok()) {
        ++accepted;
        continue;
      }
      ASSERT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << s;
      const std::string& msg = parsed.status().message();
      size_t at = msg.find(" at position ");
      ASSERT_NE(at, std::string::npos) << s << " -> " << msg;
      EXPECT_LE(std::stoul(msg.substr(at + 13)), s.size()) << s << " -> " << msg;
    }
    auto order = ParseOrderBy(entities[pick(4)], {s.substr(0, pick(s.size() + 1))});
    if (!order.ok()) {
      ASSERT_EQ(order.status().code(), StatusCode::kInvalidArgument);
    }
  }
  EXPECT_GT(accepted, 0);  // the mutations are not all fatal
}

// Errors quote the filter; excerpts are cut between characters so that a UTF-8 filter gets a UTF-8
// message (found by fuzz/search_filter_fuzz: the 20-byte excerpt split an "é").
TEST(SearchFilter, ErrorExcerptsKeepCharactersWhole) {
  std::string tail;
  for (int i = 0; i < 40; ++i) tail += "\xc3\xa9";  // é
  // Up to 120 bytes the whole filter is quoted, with a 20-byte excerpt at the error; longer ones
  // as 100 bytes from 50 before the error. Both excerpts end inside an "é" here.
  std::string short_filter = "params.a = 'x' z" + tail;
  std::string long_filter = "params.a = 'x'" + std::string(41, ' ') + "z" + tail + tail;
  for (const std::string& filter : {short_filter, long_filter}) {
    auto parsed = ParseFilter(kRuns, filter);
    ASSERT_FALSE(parsed.ok());
    const std::string& msg = parsed.status().message();
    EXPECT_TRUE(simdjson::validate_utf8(msg.data(), msg.size())) << msg;
    EXPECT_NE(msg.find("found 'z\xc3\xa9"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace mlhub::tracking
