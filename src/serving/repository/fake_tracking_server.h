// SPDX-License-Identifier: Apache-2.0
// Test-only: a tracking server stand-in on loopback for tracking_client_test.cc. FakeHttpServer
// answers HTTP/1.1 requests one connection at a time (Connection: close) from a handler and
// records them; FakeTracking is a handler holding runs, registry versions, aliases and proxied
// artifact files, answering the MLflow REST routes ModelSource uses with MLflow's JSON shapes and
// error bodies. Only as much HTTP as libcurl's requests need.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/percent_encoding.h"

namespace mlhub::serving::testing {

struct FakeRequest {
  std::string method;
  std::string path;                            // decoded, without the query
  std::map<std::string, std::string> query;    // decoded
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
};

struct FakeReply {
  int status = 200;
  std::string body;
};

inline FakeReply JsonError(int status, const std::string& code, const std::string& message) {
  return {status, "{\"error_code\":\"" + code + "\",\"message\":\"" + message + "\"}"};
}

class FakeHttpServer {
 public:
  using Handler = std::function<FakeReply(const FakeRequest&)>;

  explicit FakeHttpServer(Handler handler) : handler_(std::move(handler)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;  // any free port
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(fd_, 16);
    socklen_t length = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &length);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~FakeHttpServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  std::vector<FakeRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void Loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int conn = ::accept(fd_, nullptr, nullptr);
      if (conn >= 0) Serve(conn);
    }
  }

  void Serve(int conn) {
    std::string data;
    char buffer[65536];
    size_t header_end;
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
      const ssize_t n = ::recv(conn, buffer, sizeof(buffer), 0);
      if (n <= 0) return (void)::close(conn);
      data.append(buffer, static_cast<size_t>(n));
    }
    FakeRequest request;
    std::string head = data.substr(0, header_end);
    const size_t line_end = head.find("\r\n");
    const std::string line = head.substr(0, line_end);
    request.method = line.substr(0, line.find(' '));
    std::string target = line.substr(request.method.size() + 1);
    target = target.substr(0, target.rfind(' '));
    const size_t q = target.find('?');
    request.path = *PercentDecode(target.substr(0, q), false);
    if (q != std::string::npos) {
      std::string query = target.substr(q + 1);
      size_t start = 0;
      while (start <= query.size()) {
        size_t amp = query.find('&', start);
        if (amp == std::string::npos) amp = query.size();
        const std::string pair = query.substr(start, amp - start);
        const size_t eq = pair.find('=');
        request.query[*PercentDecode(pair.substr(0, eq), true)] =
            eq == std::string::npos ? "" : *PercentDecode(pair.substr(eq + 1), true);
        start = amp + 1;
      }
    }
    size_t pos = line_end;
    while (pos != std::string::npos && pos < head.size()) {
      const size_t next = head.find("\r\n", pos + 2);
      const std::string h =
          head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
      const size_t colon = h.find(':');
      if (colon != std::string::npos) {
        std::string name = h.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        request.headers[name] = h.substr(h.find_first_not_of(' ', colon + 1));
      }
      pos = next;
    }
    request.body = data.substr(header_end + 4);
    const size_t length =
        request.headers.count("content-length") ? std::stoul(request.headers["content-length"]) : 0;
    while (request.body.size() < length) {
      const ssize_t n = ::recv(conn, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      request.body.append(buffer, static_cast<size_t>(n));
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(request);
    }
    const FakeReply reply = handler_(request);
    const std::string response = "HTTP/1.1 " + std::to_string(reply.status) +
                                 " X\r\nContent-Type: application/json\r\nContent-Length: " +
                                 std::to_string(reply.body.size()) +
                                 "\r\nConnection: close\r\n\r\n" + reply.body;
    size_t sent = 0;
    while (sent < response.size()) {
      const ssize_t n = ::send(conn, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    ::close(conn);
  }

  Handler handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<FakeRequest> requests_;
};

// The tracking server's state; tests fill the maps before fetching. Not thread-safe: the server
// thread reads it while the test thread waits in Fetch.
struct FakeTracking {
  std::map<std::string, std::string> run_artifact_uris;          // run id → artifact_uri
  std::map<std::string, std::string> files;                      // proxy path → bytes
  std::map<std::string, std::vector<std::string>> listed_extra;  // proxy dir → more child names
  std::map<std::string, std::string> aliases;                    // "name@alias" → version
  std::map<std::string, std::string> download_uris;              // "name/version" → artifact_uri
  std::map<std::string, std::vector<std::string>> stage_versions;  // "name/Stage" → versions
  std::map<std::string, int64_t> listed_sizes;                     // proxy path → size to list

  FakeReply Handle(const FakeRequest& r) {
    const auto q = [&](const char* key) {
      auto it = r.query.find(key);
      return it == r.query.end() ? std::string() : it->second;
    };
    const std::string api = "/api/2.0/mlflow/";
    const std::string proxy = "/api/2.0/mlflow-artifacts/artifacts";
    if (r.path == api + "runs/get") {
      auto it = run_artifact_uris.find(q("run_id"));
      if (it == run_artifact_uris.end()) {
        return JsonError(404, "RESOURCE_DOES_NOT_EXIST", "Run '" + q("run_id") + "' not found");
      }
      return {200, "{\"run\":{\"info\":{\"run_id\":\"" + it->first + "\",\"artifact_uri\":\"" +
                       it->second + "\"},\"data\":{}}}"};
    }
    if (r.path == api + "registered-models/alias") {
      auto it = aliases.find(q("name") + "@" + q("alias"));
      if (it == aliases.end()) {
        // MLflow's answer for a missing alias: a bad parameter, not a 404.
        return JsonError(400, "INVALID_PARAMETER_VALUE",
                         "Registered model alias " + q("alias") + " not found.");
      }
      return {200, "{\"model_version\":{\"name\":\"" + q("name") + "\",\"version\":\"" +
                       it->second + "\"}}"};
    }
    if (r.path == api + "model-versions/get" || r.path == api + "model-versions/get-download-uri") {
      auto it = download_uris.find(q("name") + "/" + q("version"));
      if (it == download_uris.end()) {
        return JsonError(
            404, "RESOURCE_DOES_NOT_EXIST",
            "Model Version (name=" + q("name") + ", version=" + q("version") + ") not found");
      }
      if (r.path.ends_with("get-download-uri"))
        return {200, "{\"artifact_uri\":\"" + it->second + "\"}"};
      return {200, "{\"model_version\":{\"version\":" + q("version") + "}}"};  // a number here
    }
    if (r.path == api + "registered-models/get-latest-versions" && r.method == "POST") {
      // Bodies are {"name":"m"} or {"name":"m","stages":["Production"]}, as TrackingClient
      // writes them.
      const size_t at = r.body.find("\"stages\":[\"");
      const std::string stage = at == std::string::npos
                                    ? "*"
                                    : r.body.substr(at + 11, r.body.find('"', at + 11) - at - 11);
      if (stage == "Bogus")
        return JsonError(400, "INVALID_PARAMETER_VALUE", "Invalid Model Version stage: Bogus");
      const size_t name_at = r.body.find("\"name\":\"") + 8;
      const std::string name = r.body.substr(name_at, r.body.find('"', name_at) - name_at);
      std::string out = "{";
      auto it = stage_versions.find(name + "/" + stage);
      if (it != stage_versions.end()) {
        out += "\"model_versions\":[";
        for (size_t i = 0; i < it->second.size(); ++i) {
          out += (i ? ",{\"version\":\"" : "{\"version\":\"") + it->second[i] + "\"}";
        }
        out += "]";
      }
      return {200, out + "}"};
    }
    if (r.path == proxy && r.method == "GET") return List(q("path"));
    if (r.path.rfind(proxy + "/", 0) == 0 && r.method == "GET") {
      auto it = files.find(r.path.substr(proxy.size() + 1));
      if (it == files.end()) return JsonError(404, "RESOURCE_DOES_NOT_EXIST", "no such file");
      return {200, it->second};
    }
    return {404, "<html>not found</html>"};
  }

  // Direct children of `dir`, with basenames, as the artifact proxy lists them.
  FakeReply List(const std::string& dir) {
    std::map<std::string, std::string> children;  // name → "" for a dir, else the size
    const std::string prefix = dir.empty() ? "" : dir + "/";
    for (const auto& [path, bytes] : files) {
      if (path.rfind(prefix, 0) != 0) continue;
      const std::string rest = path.substr(prefix.size());
      const size_t slash = rest.find('/');
      const int64_t size = listed_sizes.count(path) ? listed_sizes[path] : bytes.size();
      children[rest.substr(0, slash)] = slash == std::string::npos ? std::to_string(size) : "";
    }
    for (const auto& name : listed_extra[dir]) children[name] = "1";
    if (children.empty()) return {200, "{}"};
    std::string out = "{\"files\":[";
    bool first = true;
    for (const auto& [name, size] : children) {
      out += first ? "" : ",";
      first = false;
      out += "{\"path\":\"" + name + "\",\"is_dir\":" + (size.empty() ? "true" : "false") +
             (size.empty() ? "" : ",\"file_size\":" + size) + "}";
    }
    return {200, out + "]}"};
  }
};

}  // namespace mlhub::serving::testing
