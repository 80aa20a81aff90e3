// SPDX-License-Identifier: Apache-2.0
#include "common/percent_encoding.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

namespace mlhub {
namespace {

TEST(PercentDecodeTest, PlusHandling) {
  EXPECT_EQ(*PercentDecode("a+b%41", true), "a bA");
  EXPECT_EQ(*PercentDecode("a+b%41", false), "a+bA");
  EXPECT_EQ(*PercentDecode("%00x", false), std::string("\0x", 2));
}

TEST(PercentDecodeTest, MalformedEscapesAreInvalid) {
  for (const char* bad : {"%", "%4", "a%zz", "%g1"}) {
    EXPECT_EQ(PercentDecode(bad, false).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(PercentDecodeTest, DecodesOnlyOnce) { EXPECT_EQ(*PercentDecode("%252e", false), "%2e"); }

TEST(PercentDecodeTest, EscapeDetection) {
  EXPECT_TRUE(IsPercentEscapeAt("a%2F", 1));
  EXPECT_FALSE(IsPercentEscapeAt("a%2", 1));
  EXPECT_FALSE(IsPercentEscapeAt("a%2F", 0));
}

TEST(PercentEncodeTest, KeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(PercentEncode("aZ09-._~", false), "aZ09-._~");
  EXPECT_EQ(PercentEncode("a b/c+d&e=f", false), "a%20b%2Fc%2Bd%26e%3Df");
  EXPECT_EQ(PercentEncode("1/run/artifacts/my file", true), "1/run/artifacts/my%20file");
  EXPECT_EQ(PercentEncode("\xc3\xa9", false), "%C3%A9");  // UTF-8, byte by byte
  const std::string all_bytes = [] {
    std::string s;
    for (int c = 0; c < 256; ++c) s.push_back(static_cast<char>(c));
    return s;
  }();
  EXPECT_EQ(*PercentDecode(PercentEncode(all_bytes, false), false), all_bytes);
}

TEST(PercentDecodeTest, MessagesKeepCharactersWhole) {
  std::string in = "a";
  for (int i = 0; i < 150; ++i) in += "\xc3\xa9";  // é: the 200-byte excerpt ends inside one
  in += "%zz";
  auto decoded = PercentDecode(in, true);
  ASSERT_FALSE(decoded.ok());
  const std::string& msg = decoded.status().message();
  EXPECT_TRUE(simdjson::validate_utf8(msg.data(), msg.size())) << msg;
}

}  // namespace
}  // namespace mlhub
