// SPDX-License-Identifier: Apache-2.0
#include "auth/password.h"

#include <gtest/gtest.h>

namespace mlhub::auth {
namespace {

TEST(Password, HashesVerifyAndDiffer) {
  std::string a = HashPassword("s3cret!", 1000);
  std::string b = HashPassword("s3cret!", 1000);
  EXPECT_TRUE(a.starts_with("pbkdf2:sha256:1000$"));
  EXPECT_NE(a, b);  // a fresh salt each time
  EXPECT_TRUE(VerifyPassword("s3cret!", a));
  EXPECT_TRUE(VerifyPassword("s3cret!", b));
  EXPECT_FALSE(VerifyPassword("s3cret", a));
  EXPECT_FALSE(VerifyPassword("", a));
}

TEST(Password, KnownVectorInWerkzeugsForm) {
  // PBKDF2-HMAC-SHA256("password", "salt", 1 iteration, 32 bytes): RFC 7914's test vector.
  EXPECT_TRUE(VerifyPassword(
      "password",
      "pbkdf2:sha256:1$salt$120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"));
}

TEST(Password, MalformedHashesNeverMatch) {
  for (const char* hash :
       {"", "plain", "pbkdf2:sha256:", "pbkdf2:sha256:x$salt$00", "pbkdf2:sha256:0$salt$00",
        "pbkdf2:sha1:1$salt$00", "pbkdf2:sha256:1$salt", "pbkdf2:sha256:99999999999$s$00"}) {
    EXPECT_FALSE(VerifyPassword("password", hash)) << hash;
  }
}

}  // namespace
}  // namespace mlhub::auth
