// SPDX-License-Identifier: Apache-2.0
#include "serving/protocol/api_keys.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <strings.h>

#include <fstream>

#include "common/json_writer.h"

namespace mlhub::serving {
namespace {

std::string Sha256(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(digest), length);
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

bool IsOpenPath(std::string_view path) {
  return path == "/health" || path == "/ready" || path == "/ping" || path == "/metrics" ||
         path == "/v2/health/live" || path == "/v2/health/ready";
}

class ApiKeyFilter final : public http::RouteFilter {
 public:
  explicit ApiKeyFilter(std::shared_ptr<const ApiKeys> keys) : keys_(std::move(keys)) {}

  std::optional<http::Response> Before(http::Request& request) override {
    if (IsOpenPath(request.path)) return std::nullopt;
    if (keys_->Accepts(request.Header("authorization").value_or(""))) return std::nullopt;
    std::string body;
    JsonWriter(&body)
        .StartObject()
        .Field("error",
               "a valid API key is required: send "
               "'Authorization: Bearer <key>'")
        .EndObject();
    http::Response response = http::Response::Json(401, std::move(body));
    response.headers.emplace_back("WWW-Authenticate", "Bearer");
    return response;
  }

 private:
  std::shared_ptr<const ApiKeys> keys_;
};

}  // namespace

StatusOr<std::shared_ptr<const ApiKeys>> ApiKeys::FromFile(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in)
    return InvalidArgumentError(fmt::format("cannot read the API key file {}", file.string()));
  std::vector<std::string> keys;
  for (std::string line; std::getline(in, line);) {
    std::string_view key = Trim(line);
    if (!key.empty() && key.front() != '#') keys.emplace_back(key);
  }
  if (keys.empty()) return InvalidArgumentError(fmt::format("{} holds no API key", file.string()));
  return FromKeys(keys);
}

std::shared_ptr<const ApiKeys> ApiKeys::FromKeys(const std::vector<std::string>& keys) {
  auto out = std::make_shared<ApiKeys>();
  for (const std::string& key : keys) out->digests_.push_back(Sha256(key));
  return out;
}

bool ApiKeys::Accepts(std::string_view authorization) const {
  if (authorization.size() < 7 || strncasecmp(authorization.data(), "Bearer ", 7) != 0) {
    return false;
  }
  const std::string digest = Sha256(Trim(authorization.substr(7)));
  bool found = false;
  for (const std::string& known : digests_) {  // all compared: no early exit to time
    found |= CRYPTO_memcmp(known.data(), digest.data(), digest.size()) == 0;
  }
  return found;
}

std::shared_ptr<http::RouteFilter> NewApiKeyFilter(std::shared_ptr<const ApiKeys> keys) {
  return std::make_shared<ApiKeyFilter>(std::move(keys));
}

}  // namespace mlhub::serving
