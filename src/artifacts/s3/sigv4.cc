// SPDX-License-Identifier: Apache-2.0
#include "artifacts/s3/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "common/percent_encoding.h"

namespace mlhub::artifacts::s3 {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr char kHexDigits[] = "0123456789abcdef";

// OpenSSL's SHA-256 and HMAC fail only when memory runs out or the library is broken; neither is
// something a caller could handle, so they are programmer-error aborts, not Status.
[[noreturn]] void OpenSslFailed(const char* what) {
  std::fprintf(stderr, "sigv4: OpenSSL %s failed\n", what);
  std::abort();
}

std::string Hex(const unsigned char* p, size_t n) {
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out += kHexDigits[p[i] >> 4];
    out += kHexDigits[p[i] & 0xf];
  }
  return out;
}

std::string HmacSha256(std::string_view key, std::string_view msg) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), out, &len) == nullptr) {
    OpenSslFailed("HMAC");
  }
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// SigV4's Trimall: drop leading and trailing blanks and fold each inner run into one space.
std::string TrimAll(std::string_view v) {
  std::string out;
  bool pending_space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

// Headers the signer sets itself; a caller's copy would be sent twice or signed with a stale value.
bool SignerOwned(std::string_view lower_name) {
  return lower_name == "host" || lower_name == "authorization" || lower_name == "x-amz-date" ||
         lower_name == "x-amz-content-sha256" || lower_name == "x-amz-security-token";
}

KeyValues WithoutSignerOwned(const KeyValues& headers) {
  KeyValues out;
  for (const auto& [name, value] : headers) {
    if (!SignerOwned(ToLower(TrimAll(name)))) out.emplace_back(name, value);
  }
  return out;
}

struct CanonicalHeaders {
  std::string block;         // "name:value\n" per header, sorted by name
  std::string signed_names;  // "host;range;x-amz-date"
};

CanonicalHeaders Canonicalize(std::string_view host, const KeyValues& headers) {
  KeyValues all = {{"host", TrimAll(host)}};
  for (const auto& [name, value] : headers) {
    std::string lower = ToLower(TrimAll(name));
    if (lower != "host") all.emplace_back(std::move(lower), TrimAll(value));
  }
  // Stable, so a repeated header keeps its values in sending order when they are comma-joined.
  std::stable_sort(all.begin(), all.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  CanonicalHeaders out;
  for (size_t i = 0; i < all.size(); ++i) {
    const bool same_as_previous = i > 0 && all[i].first == all[i - 1].first;
    if (same_as_previous) {
      out.block.back() = ',';  // replace the previous line's '\n'
    } else {
      out.block += all[i].first + ':';
      if (!out.signed_names.empty()) out.signed_names += ';';
      out.signed_names += all[i].first;
    }
    out.block += all[i].second + '\n';
  }
  return out;
}

std::string CanonicalRequestWith(const SigningRequest& req, const CanonicalHeaders& headers) {
  return req.method + '\n' + UriEncode(req.path.empty() ? "/" : req.path, false) + '\n' +
         CanonicalQuery(req.query) + '\n' + headers.block + '\n' + headers.signed_names + '\n' +
         req.payload_sha256;
}

std::string Scope(std::string_view amz_date, std::string_view region, std::string_view service) {
  return std::string(amz_date.substr(0, 8)) + '/' + std::string(region) + '/' +
         std::string(service) + "/aws4_request";
}

std::string Signature(const Credentials& creds, std::string_view region, std::string_view service,
                      std::string_view amz_date, std::string_view canonical_request) {
  const std::string string_to_sign = std::string(kAlgorithm) + '\n' + std::string(amz_date) + '\n' +
                                     Scope(amz_date, region, service) + '\n' +
                                     Sha256Hex(canonical_request);
  const std::string key =
      DeriveSigningKey(creds.secret_access_key, amz_date.substr(0, 8), region, service);
  const std::string mac = HmacSha256(key, string_to_sign);
  return Hex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
}

}  // namespace

KeyValues SignV4(const SigningRequest& req, const Credentials& creds, std::string_view region,
                 std::string_view service, std::string_view amz_date) {
  KeyValues sent = {{"x-amz-date", std::string(amz_date)},
                    {"x-amz-content-sha256", req.payload_sha256}};
  if (!creds.session_token.empty()) sent.emplace_back("x-amz-security-token", creds.session_token);

  SigningRequest signed_req = req;
  signed_req.headers = WithoutSignerOwned(req.headers);
  signed_req.headers.insert(signed_req.headers.end(), sent.begin(), sent.end());
  const CanonicalHeaders headers = Canonicalize(req.host, signed_req.headers);
  const std::string signature =
      Signature(creds, region, service, amz_date, CanonicalRequestWith(signed_req, headers));
  sent.insert(sent.begin(),
              {"Authorization", std::string(kAlgorithm) + " Credential=" + creds.access_key_id +
                                    '/' + Scope(amz_date, region, service) + ", SignedHeaders=" +
                                    headers.signed_names + ", Signature=" + signature});
  return sent;
}

std::string CanonicalRequest(const SigningRequest& req) {
  return CanonicalRequestWith(req, Canonicalize(req.host, req.headers));
}

std::string DeriveSigningKey(std::string_view secret, std::string_view date,
                             std::string_view region, std::string_view service) {
  std::string key = HmacSha256("AWS4" + std::string(secret), date);
  key = HmacSha256(key, region);
  key = HmacSha256(key, service);
  return HmacSha256(key, "aws4_request");
}

std::string UriEncode(std::string_view in, bool encode_slash) {
  return PercentEncode(in, /*keep_slash=*/!encode_slash);
}

std::string CanonicalQuery(const KeyValues& query) {
  KeyValues encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) {
    encoded.emplace_back(UriEncode(name, true), UriEncode(value, true));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name + '=' + value;
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1) {
    OpenSslFailed("EVP_Digest");
  }
  return Hex(digest, len);
}

std::string AmzDate(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(t);
  const auto day = floor<days>(secs);
  const year_month_day ymd(day);
  const hh_mm_ss hms(secs - day);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

}  // namespace mlhub::artifacts::s3
