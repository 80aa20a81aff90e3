// SPDX-License-Identifier: Apache-2.0
#include "common/json_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace mlhub {
namespace {

TEST(JsonWriterTest, PlacesCommasAndNests) {
  std::string out;
  JsonWriter w(&out);
  w.StartObject().Field("a", int64_t{1}).Key("b").StartArray().Int(2).String("x").EndArray();
  w.Key("c").StartObject().EndObject().Field("d", true).EndObject();
  EXPECT_EQ(out, R"({"a":1,"b":[2,"x"],"c":{},"d":true})");
}

TEST(JsonWriterTest, EscapesStrings) {
  std::string out;
  AppendJsonString(&out, "q\"b\\n\n\x01");
  EXPECT_EQ(out, R"("q\"b\\n\n\u0001")");
}

TEST(JsonWriterTest, InvalidUtf8BecomesReplacementCharacters) {
  auto text = [](std::string_view s) {
    std::string out;
    JsonWriter(&out).String(s);
    return out;
  };
  EXPECT_EQ(text("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  EXPECT_EQ(text("\xff\xfe"), "\"\\ufffd\\ufffd\"");  // no such bytes in UTF-8
  EXPECT_EQ(text("a\x80"
                 "b"),
            "\"a\\ufffdb\"");                                    // a stray continuation byte
  EXPECT_EQ(text("\xc0\xaf"), "\"\\ufffd\\ufffd\"");             // an overlong '/'
  EXPECT_EQ(text("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");  // a surrogate
  EXPECT_EQ(text("\xe2\x82"), "\"\\ufffd\\ufffd\"");             // cut short
}

TEST(JsonWriterTest, LargeWholeDoublesKeepAnExponent) {
  std::string out;
  JsonWriter(&out)
      .StartArray()
      .Double(0x1p62 * 10)
      .Double(1e300)
      .Double(-0x1p70)
      .Double(123.0)
      .EndArray();
  EXPECT_EQ(out, "[4.611686018427388e+19,1e+300,-1.1805916207174113e+21,123]");
}

TEST(JsonWriterTest, DoublesFollowProtobufJson) {
  std::string out;
  JsonWriter w(&out);
  w.StartArray()
      .Double(0.5)
      .Double(std::numeric_limits<double>::quiet_NaN())
      .Double(std::numeric_limits<double>::infinity())
      .Double(-std::numeric_limits<double>::infinity())
      .Double(1e300)
      .EndArray();
  EXPECT_EQ(out, R"([0.5,"NaN","Infinity","-Infinity",1e+300])");
}

TEST(JsonWriterTest, Int64ExtremesAreNumbers) {
  std::string out;
  JsonWriter(&out).Int(std::numeric_limits<int64_t>::min());
  EXPECT_EQ(out, "-9223372036854775808");
}

}  // namespace
}  // namespace mlhub
