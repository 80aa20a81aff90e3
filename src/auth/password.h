// SPDX-License-Identifier: Apache-2.0
// Password hashes: PBKDF2-HMAC-SHA256 (OpenSSL) with a random 16-character salt, written as
// `pbkdf2:sha256:<iterations>$<salt>$<hex digest>` (the form werkzeug writes, which MLflow's
// basic-auth store holds, so its users' hashes verify here too).
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace mlhub::auth {

inline constexpr int kPasswordIterations = 600000;  // werkzeug's default for pbkdf2:sha256

std::string HashPassword(std::string_view password, int iterations = kPasswordIterations);

// True when `password` matches `hash` (constant-time comparison). A hash in another form is a
// mismatch.
bool VerifyPassword(std::string_view password, std::string_view hash);

}  // namespace mlhub::auth
