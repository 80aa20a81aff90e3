// SPDX-License-Identifier: Apache-2.0
// AWS Signature Version 4 for S3 (header-signed requests), on OpenSSL 3.
// Rules from the S3 API reference ("Signature Calculations for the Authorization Header",
// "Authenticating Requests: Using Query Parameters"); botocore's S3SigV4Auth is the test oracle
// (tests/tools/botocore_sigv4.py). Pure functions, thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace mlhub::artifacts::s3 {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty unless temporary (STS) credentials
};

struct SigningRequest {
  std::string method;  // "GET", "PUT", ...
  // Host header value as it will be sent, with ":port" when the port is not the scheme's default.
  std::string host;
  // URI path, not yet percent-encoded ("/bucket/a b/ü.txt"); "" means "/".
  std::string path;
  KeyValues query;    // decoded name/value pairs; a bare "?uploads" is {"uploads", ""}
  KeyValues headers;  // extra headers to sign and send, names in any case; values as sent
  // Lowercase hex SHA-256 of the body, or "UNSIGNED-PAYLOAD" (streamed bodies).
  std::string payload_sha256;
};

inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// SHA-256 of the empty string: the payload hash of GET, HEAD and DELETE.
inline constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// Signs `req` with an Authorization header. Returns the headers to send in addition to Host and
// `req.headers`: Authorization, x-amz-date, x-amz-content-sha256 and, when the credentials carry
// a session token, x-amz-security-token (all of them signed). Copies of those names (and of Host)
// in `req.headers` are ignored: the signer owns them. `amz_date` is "YYYYMMDDTHHMMSSZ" (AmzDate).
KeyValues SignV4(const SigningRequest& req, const Credentials& creds, std::string_view region,
                 std::string_view service, std::string_view amz_date);

// The canonical request of `req` exactly as given: the headers signed are Host (from `req.host`)
// and `req.headers`, nothing added. SignV4 builds on it; exposed because S3's
// SignatureDoesNotMatch error echoes the server's canonical request, so logging ours pinpoints a
// mismatch.
std::string CanonicalRequest(const SigningRequest& req);

// The 32-byte signing key: HMAC-SHA256 chain "AWS4"+secret -> date -> region -> service ->
// "aws4_request". `date` is "YYYYMMDD". Raw bytes, not hex.
std::string DeriveSigningKey(std::string_view secret, std::string_view date,
                             std::string_view region, std::string_view service);

// S3's UriEncode: keeps A-Z a-z 0-9 - . _ ~ (and '/' unless `encode_slash`), writes every other
// byte as %XX, uppercase hex; UTF-8 is encoded byte by byte. S3 object paths are encoded once
// (encode_slash false); unlike other services, there is no second encoding and no '.'/'..'
// normalisation. Query names and values use encode_slash true.
std::string UriEncode(std::string_view in, bool encode_slash);

// Names and values UriEncode'd (slash encoded), sorted by name then value, joined as
// "a=1&b=&c=x%2Fy". Also the query string to put on the wire.
std::string CanonicalQuery(const KeyValues& query);

// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// "YYYYMMDDTHHMMSSZ" in UTC, the x-amz-date format.
std::string AmzDate(std::chrono::system_clock::time_point t);

}  // namespace mlhub::artifacts::s3
