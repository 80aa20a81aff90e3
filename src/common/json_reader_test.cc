// SPDX-License-Identifier: Apache-2.0
#include "common/json_reader.h"

#include <gtest/gtest.h>

#include <cmath>

namespace mlhub::json {
namespace {

Object Root(std::string_view text) {
  auto doc = ParseJson(text);
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  return doc->get_object().value();
}

TEST(JsonReaderTest, Int64AcceptsNumbersAndNumericStrings) {
  auto root = Root(R"({"a": 12, "b": "34", "c": "x", "d": 1.5, "e": true})");
  EXPECT_EQ(*AsInt64(*Find(root, "a"), "a"), 12);
  EXPECT_EQ(*AsInt64(*Find(root, "b"), "b"), 34);
  EXPECT_EQ(AsInt64(*Find(root, "c"), "c").status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(AsInt64(*Find(root, "d"), "d").ok());
  EXPECT_FALSE(AsInt64(*Find(root, "e"), "e").ok());
}

TEST(JsonReaderTest, DoubleAcceptsSpecialStringsButNotBools) {
  auto root = Root(R"({"n": "NaN", "p": "Infinity", "m": "-Infinity", "s": "2.5", "b": false})");
  EXPECT_TRUE(std::isnan(*AsDouble(*Find(root, "n"), "n")));
  EXPECT_EQ(*AsDouble(*Find(root, "p"), "p"), INFINITY);
  EXPECT_EQ(*AsDouble(*Find(root, "m"), "m"), -INFINITY);
  EXPECT_EQ(*AsDouble(*Find(root, "s"), "s"), 2.5);
  auto bad = AsDouble(*Find(root, "b"), "value");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'value'"), std::string::npos);
}

TEST(JsonReaderTest, NullCountsAsAbsent) {
  auto root = Root(R"({"a": null})");
  EXPECT_FALSE(Find(root, "a").has_value());
  EXPECT_FALSE(Find(root, "zz").has_value());
}

TEST(JsonReaderTest, MalformedIsInvalidArgument) {
  EXPECT_EQ(ParseJson("{\"a\": ").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseJson("").status().code(), StatusCode::kInvalidArgument);
}

// Messages quote at most 100 bytes of the value, cut between characters (a UTF-8 request must get
// a UTF-8 answer; found by the fuzz targets in fuzz/).
TEST(JsonReaderTest, QuotedValuesAreCutBetweenCharacters) {
  std::string text = "a";
  for (int i = 0; i < 80; ++i) text += "\xc3\xa9";  // é
  auto root = Root(R"({"list": [")" + text + R"("], "text": ")" + text + R"("})");
  auto not_string = AsString(*Find(root, "list"), "list");
  auto not_number = AsInt64(*Find(root, "text"), "text");
  for (const auto* result : {&not_string.status(), &not_number.status()}) {
    const std::string& msg = result->message();
    EXPECT_EQ(result->code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(simdjson::validate_utf8(msg.data(), msg.size())) << msg;
    EXPECT_NE(msg.find("a\xc3\xa9\xc3\xa9"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace mlhub::json
