// SPDX-License-Identifier: Apache-2.0
// MLflow request decoding (rest/request_fields.h, rest/key_values.h, rest/page_token.h): what
// every tracking and registry route reads its fields with. Input: one byte choosing the request
// ('j' or an even byte: a POST with a JSON body; 'q' or an odd byte: a GET whose query string is
// the rest), then the body or query string. Every typed accessor is tried on the fields MLflow's
// requests carry.
//
// Properties: no crash or UB; a refusal is InvalidArgument, and UTF-8 when the fields are (a JSON
// body is UTF-8 or refused; query values are once decoded); a page token that decodes re-encodes
// to the same offset.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "http/handler.h"
#include "http/query_params.h"
#include "rest/key_values.h"
#include "rest/page_token.h"
#include "rest/request_fields.h"

namespace mlhub::fuzz {
namespace {

constexpr std::string_view kKeys[] = {
    "experiment_id", "experiment_ids", "run_id",    "name",
    "key",           "value",          "timestamp", "step",
    "max_results",   "filter",         "order_by",  "view_type",
    "run_view_type", "page_token",     "stage",     "archive_existing_versions",
    "tags",          "params",         "metrics",   "run_name",
    "start_time",    "version"};

// The request's text: the JSON body, or the decoded query values (valid UTF-8, or "\xff").
std::string_view g_text;

template <typename T>
void Check(const StatusOr<T>& result) {
  if (!result.ok()) CheckRefusal(result.status(), g_text);
}

void CheckPageToken(std::string_view token) {
  auto offset = rest::DecodePageToken(token);
  if (!offset.ok()) return CheckRefusal(offset.status(), g_text);
  FUZZ_CHECK(*offset >= 0);
  auto again = rest::DecodePageToken(rest::EncodePageToken(*offset));
  FUZZ_CHECK(again.ok() && *again == *offset);
}

}  // namespace
}  // namespace mlhub::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlhub;
  using namespace mlhub::fuzz;
  if (size == 0) return 0;
  bool json = data[0] == 'j' || (data[0] != 'q' && data[0] % 2 == 0);
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);

  http::Request request;
  std::string text;
  if (json) {
    text = rest;
    request.method = http::Method::kPost;
    request.headers.emplace_back("content-type", "application/json");
    request.body = std::string(rest);
  } else {
    request.method = http::Method::kGet;
    auto query = http::QueryParams::Parse(rest);
    if (!query.ok()) return 0;  // the server answers 400 before any route runs
    request.query = *std::move(query);
    for (const auto& [key, value] : request.query.entries()) {
      if (!IsUtf8(key) || !IsUtf8(value)) text = "\xff";
    }
  }
  g_text = text;
  auto fields = rest::RequestFields::FromRequest(request);
  if (!fields.ok()) {
    CheckRefusal(fields.status(), g_text);
    return 0;
  }
  for (std::string_view key : kKeys) {
    Check(fields->String(key));
    Check(fields->RequiredString(key));
    Check(fields->Int64(key));
    Check(fields->Double(key));
    Check(fields->Bool(key));
    Check(fields->StringList(key));
    Check(fields->EnumText(key));
  }
  if (const auto& object = fields->json()) {
    Check(rest::ReadKeyValues(*object, "tags"));
    Check(rest::ReadKeyValues(*object, "params"));
  }
  if (auto token = fields->String("page_token"); token.ok() && token->has_value()) {
    CheckPageToken(**token);
  }
  return 0;
}
