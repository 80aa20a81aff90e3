// SPDX-License-Identifier: Apache-2.0
#include "auth/password.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <charconv>
#include <stdexcept>
#include <vector>

namespace mlhub::auth {
namespace {

constexpr char kPrefix[] = "pbkdf2:sha256:";
constexpr char kSaltAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

std::string Digest(std::string_view password, std::string_view salt, int iterations) {
  unsigned char out[32];
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), iterations, EVP_sha256(), sizeof(out),
                        out) != 1) {
    throw std::runtime_error("PKCS5_PBKDF2_HMAC failed");
  }
  std::string hex;
  for (unsigned char byte : out) hex += fmt::format("{:02x}", byte);
  return hex;
}

}  // namespace

std::string HashPassword(std::string_view password, int iterations) {
  unsigned char random[16];
  if (RAND_bytes(random, sizeof(random)) != 1) throw std::runtime_error("RAND_bytes failed");
  std::string salt;
  for (unsigned char byte : random) salt += kSaltAlphabet[byte % (sizeof(kSaltAlphabet) - 1)];
  return fmt::format("{}{}${}${}", kPrefix, iterations, salt, Digest(password, salt, iterations));
}

bool VerifyPassword(std::string_view password, std::string_view hash) {
  if (!hash.starts_with(kPrefix)) return false;
  hash.remove_prefix(sizeof(kPrefix) - 1);
  size_t first = hash.find('$');
  size_t second = first == std::string_view::npos ? first : hash.find('$', first + 1);
  if (second == std::string_view::npos) return false;
  int iterations = 0;
  auto [end, error] = std::from_chars(hash.data(), hash.data() + first, iterations);
  if (error != std::errc() || end != hash.data() + first || iterations < 1 ||
      iterations > 10'000'000) {
    return false;
  }
  std::string_view salt = hash.substr(first + 1, second - first - 1);
  std::string_view expected = hash.substr(second + 1);
  std::string actual = Digest(password, salt, iterations);
  return actual.size() == expected.size() &&
         CRYPTO_memcmp(actual.data(), expected.data(), actual.size()) == 0;
}

}  // namespace mlhub::auth
