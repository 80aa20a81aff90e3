// SPDX-License-Identifier: Apache-2.0
// The query-string parser (http/query_params.h) that every GET request goes through. Input: the
// query string (what follows '?').
//
// Properties: no crash or UB; a refusal is InvalidArgument; what parses round-trips (each entry
// percent-encoded and joined again parses to the same entries); Get and GetAll agree.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "http/query_params.h"

namespace {

// Escapes every byte but the unreserved ones (RFC 3986), so the result holds no '&', '=', '+' or
// '%' of its own.
std::string Encode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : in) {
    auto u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '-' ||
        u == '.' || u == '_' || u == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlhub;
  std::string_view query(reinterpret_cast<const char*>(data), size);
  auto params = http::QueryParams::Parse(query);
  if (!params.ok()) {
    fuzz::CheckRefusal(params.status());
    return 0;
  }
  std::string again;
  for (const auto& [key, value] : params->entries()) {
    if (!again.empty()) again += '&';
    again += Encode(key) + "=" + Encode(value);
    // The first entry whose key matches is what Get returns, and GetAll starts with it.
    auto first = params->Get(key);
    auto all = params->GetAll(key);
    FUZZ_CHECK(first.has_value() && !all.empty() && all.front() == *first);
  }
  auto reparsed = http::QueryParams::Parse(again);
  FUZZ_CHECK(reparsed.ok());
  FUZZ_CHECK(reparsed->entries() == params->entries());
  return 0;
}
