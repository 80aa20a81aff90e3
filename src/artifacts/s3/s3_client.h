// SPDX-License-Identifier: Apache-2.0
// S3Client: the few S3 REST calls the artifact store needs (objects, multipart uploads, listing,
// batch delete, buckets), signed with SigV4, over libcurl. Configured the way MLflow's S3 client
// is: MLFLOW_S3_ENDPOINT_URL (MinIO, Ceph RGW: path-style addressing), else AWS with
// virtual-hosted addressing; AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN;
// AWS_DEFAULT_REGION (or AWS_REGION); MLFLOW_S3_IGNORE_TLS.
//
// Requests are retried with backoff on 5xx, SlowDown and (for idempotent ones) transport errors.
// S3's errors become Statuses that say what went wrong: kPermissionDenied for refused
// credentials, kNotFound for a missing key, kFailedPrecondition for a missing bucket or another
// request S3 refuses (a wrong region, a key too long), kUnavailable when S3 cannot be reached. Thread-safe; curl handles (and their connections) are
// pooled and reused.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "artifacts/s3/sigv4.h"
#include "common/status.h"

namespace mlhub::artifacts::s3 {

struct S3Config {
  std::string endpoint;  // "http://127.0.0.1:9000"; empty: AWS (https://<bucket>.s3.<region>...)
  std::string region = "us-east-1";
  Credentials credentials;
  bool path_style = true;  // <endpoint>/<bucket>/<key>; false: <bucket>.<host>/<key>
  bool verify_tls = true;
  int max_attempts = 4;  // tries of a request that failed for a reason worth retrying
  std::chrono::milliseconds first_backoff{100};
  std::chrono::seconds connect_timeout{5};
  // A transfer slower than 1 byte/s for this long fails (a whole transfer has no time limit:
  // objects may be large).
  std::chrono::seconds stall_timeout{60};
};

// The config MLflow's environment variables describe; kInvalidArgument for a malformed endpoint
// or missing credentials.
StatusOr<S3Config> S3ConfigFromEnvironment();

// `s3://bucket/some/prefix` → {"bucket", "some/prefix"}; kInvalidArgument otherwise.
struct S3Location {
  std::string bucket;
  std::string prefix;  // no leading or trailing '/'; "" for the bucket's root
};
StatusOr<S3Location> ParseS3Uri(std::string_view uri);

struct ObjectHead {
  int64_t size = 0;
  std::string etag;  // names this version of the object
};

struct ObjectEntry {
  std::string key;
  int64_t size = 0;
};

struct ListPage {
  std::vector<ObjectEntry> objects;
  std::vector<std::string> common_prefixes;  // with their trailing delimiter
  std::optional<std::string> next_token;     // set while more pages follow
};

class S3Client {
 public:
  explicit S3Client(S3Config config);
  ~S3Client();
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  // The object's size and ETag; kNotFound when there is none.
  StatusOr<ObjectHead> HeadObject(std::string_view bucket, std::string_view key);
  // Bytes [offset, offset + length) of the object (fewer at its end) appended to `out`. With an
  // `etag`, only of that version: kAborted when the object has changed since.
  Status GetRange(std::string_view bucket, std::string_view key, int64_t offset, int64_t length,
                  std::string_view etag, std::string* out);
  Status PutObject(std::string_view bucket, std::string_view key, std::string_view body);

  StatusOr<std::string> CreateMultipartUpload(std::string_view bucket, std::string_view key);
  // Returns the part's ETag.
  StatusOr<std::string> UploadPart(std::string_view bucket, std::string_view key,
                                   std::string_view upload_id, int part_number,
                                   std::string_view body);
  // `etags[i]` is part i + 1's.
  Status CompleteMultipartUpload(std::string_view bucket, std::string_view key,
                                 std::string_view upload_id,
                                 const std::vector<std::string>& etags);
  Status AbortMultipartUpload(std::string_view bucket, std::string_view key,
                              std::string_view upload_id);
  // ListObjectsV2. An empty delimiter lists recursively.
  StatusOr<ListPage> ListObjects(std::string_view bucket, std::string_view prefix,
                                 std::string_view delimiter,
                                 const std::optional<std::string>& token);
  // Deletes up to 1000 keys in one request.
  Status DeleteObjects(std::string_view bucket, const std::vector<std::string>& keys);

  // OK when the bucket exists and is reachable with these credentials; kFailedPrecondition
  // (with the `mlhub storage init` hint) when it does not exist.
  Status CheckBucket(std::string_view bucket);
  // Creates the bucket; one that already exists and is ours is not an error.
  Status CreateBucket(std::string_view bucket);

  const S3Config& config() const { return config_; }

 private:
  struct Request;
  struct Response {
    long status = 0;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
    std::optional<std::string> Header(std::string_view name) const;
  };

  // Sends `request`, retrying what is worth retrying; any HTTP answer that is not 2xx becomes an
  // error Status unless `accept` says it is expected.
  StatusOr<Response> Send(const Request& request,
                          const std::function<bool(long status)>& accept = nullptr);
  StatusOr<Response> SendOnce(const Request& request, bool* retryable);

  void* TakeHandle();
  void GiveBack(void* handle);

  const S3Config config_;
  std::mutex handles_mu_;
  std::vector<void*> idle_handles_;  // CURL*, guarded by handles_mu_
};

}  // namespace mlhub::artifacts::s3
