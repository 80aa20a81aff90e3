// SPDX-License-Identifier: Apache-2.0
#include "common/utf8.h"

#include <gtest/gtest.h>

namespace mlhub {
namespace {

TEST(Utf8Test, PrefixNeverEndsInsideACharacter) {
  const std::string_view s = "a\xc3\xa9\xe2\x9c\x93z";  // a é ✓ z
  EXPECT_EQ(Utf8Prefix(s, 100), s);
  EXPECT_EQ(Utf8Prefix(s, 1), "a");
  EXPECT_EQ(Utf8Prefix(s, 2), "a");
  EXPECT_EQ(Utf8Prefix(s, 3), "a\xc3\xa9");
  EXPECT_EQ(Utf8Prefix(s, 4), "a\xc3\xa9");
  EXPECT_EQ(Utf8Prefix(s, 5), "a\xc3\xa9");
  EXPECT_EQ(Utf8Prefix(s, 6), "a\xc3\xa9\xe2\x9c\x93");
  EXPECT_EQ(Utf8Prefix(s, 0), "");
}

TEST(Utf8Test, SubstrStartsOnACharacter) {
  const std::string_view s = "a\xc3\xa9\xe2\x9c\x93z";
  EXPECT_EQ(Utf8Substr(s, 2, 100), "\xe2\x9c\x93z");  // 2 is inside the é
  EXPECT_EQ(Utf8Substr(s, 4, 2), "z");                // 4 is inside the ✓
  EXPECT_EQ(Utf8Substr(s, 3, 2), "");                 // the ✓ takes 3 bytes
  EXPECT_EQ(Utf8Substr(s, 99, 5), "");
}

}  // namespace
}  // namespace mlhub
