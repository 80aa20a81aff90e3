// SPDX-License-Identifier: Apache-2.0
#include "http/query_params.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mlhub::http {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(QueryParamsTest, ParsesPairsAndDecodes) {
  auto q = QueryParams::Parse("a=1&b=x%20y&c&d=p+q&e=%2b%2F");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->Get("a"), "1");
  EXPECT_EQ(q->Get("b"), "x y");
  EXPECT_EQ(q->Get("c"), "");
  EXPECT_TRUE(q->Has("c"));
  EXPECT_EQ(q->Get("d"), "p q");
  EXPECT_EQ(q->Get("e"), "+/");
  EXPECT_FALSE(q->Has("z"));
  EXPECT_EQ(q->entries().size(), 5u);
}

TEST(QueryParamsTest, EmptyAndStraySeparators) {
  auto q = QueryParams::Parse("");
  ASSERT_TRUE(q.ok());
  EXPECT_THAT(q->entries(), IsEmpty());
  q = QueryParams::Parse("&&a=1&&");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->entries().size(), 1u);
  EXPECT_EQ(q->Get("a"), "1");
  q = QueryParams::Parse("a==b");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->Get("a"), "=b");
}

TEST(QueryParamsTest, RepeatedKeysKeepOrder) {
  auto q = QueryParams::Parse("order_by=a&x=1&order_by=b%20DESC");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->Get("order_by"), "a");
  EXPECT_THAT(q->GetAll("order_by"), ElementsAre("a", "b DESC"));
  EXPECT_THAT(q->GetAll("missing"), IsEmpty());
}

TEST(QueryParamsTest, BracketKeys) {
  auto q = QueryParams::Parse("k[]=1&k%5B%5D=2&k[7]=3&k=4&kk=5&k[x]=6&k[=7");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->Get("k"), "1");
  EXPECT_THAT(q->GetAll("k"), ElementsAre("1", "2", "3", "4"));
  EXPECT_THAT(q->GetAll("kk"), ElementsAre("5"));
  EXPECT_EQ(q->Get("k[x]"), "6");
}

TEST(QueryParamsTest, BadEscapesAreInvalidArgument) {
  for (const char* bad : {"a=%", "a=%2", "a=%zz", "%g1=1", "a=1&b=%4"}) {
    auto q = QueryParams::Parse(bad);
    ASSERT_FALSE(q.ok()) << bad;
    EXPECT_EQ(q.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace mlhub::http
