// SPDX-License-Identifier: Apache-2.0
#include "rest/page_token.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

namespace mlhub::rest {
namespace {

TEST(PageTokenTest, RoundTrips) {
  for (int64_t offset : {0, 1, 99, 1000, 123456789}) {
    auto decoded = DecodePageToken(EncodePageToken(offset));
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, offset);
  }
}

TEST(PageTokenTest, MatchesMlflowsForm) {
  // base64 of {"offset": 100}
  EXPECT_EQ(EncodePageToken(100), "eyJvZmZzZXQiOiAxMDB9");
}

TEST(PageTokenTest, EmptyIsTheFirstPage) { EXPECT_EQ(*DecodePageToken(""), 0); }

TEST(PageTokenTest, GarbageIsInvalidArgument) {
  for (const char* token : {"!!!", "aGVsbG8=", "eyJvZmZzZXQiOiAtMX0=", "e30="}) {
    EXPECT_EQ(DecodePageToken(token).status().code(), StatusCode::kInvalidArgument) << token;
  }
}

TEST(PageTokenTest, MessagesKeepCharactersWhole) {
  std::string token = "a";
  for (int i = 0; i < 80; ++i) token += "\xc3\xa9";  // é: the 100-byte excerpt ends inside one
  auto offset = DecodePageToken(token);
  ASSERT_FALSE(offset.ok());
  const std::string& msg = offset.status().message();
  EXPECT_TRUE(simdjson::validate_utf8(msg.data(), msg.size())) << msg;
}

}  // namespace
}  // namespace mlhub::rest
