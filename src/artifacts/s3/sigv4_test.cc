// SPDX-License-Identifier: Apache-2.0
#include "artifacts/s3/sigv4.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "common/json_writer.h"

namespace mlhub::artifacts::s3 {
namespace {

// The credentials, date and host of the S3 API reference's SigV4 examples.
const Credentials kExampleCreds = {"AKIAIOSFODNN7EXAMPLE",
                                   "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
constexpr std::string_view kExampleDate = "20130524T000000Z";
constexpr std::string_view kExampleHost = "examplebucket.s3.amazonaws.com";
constexpr std::string_view kExampleScope =
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ";

std::string Header(const KeyValues& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return "<missing " + std::string(name) + ">";
}

std::string SignatureOf(const KeyValues& headers) {
  const std::string auth = Header(headers, "Authorization");
  const size_t at = auth.rfind("Signature=");
  return at == std::string::npos ? auth : auth.substr(at + 10);
}

SigningRequest ExampleRequest(std::string method, std::string path, KeyValues query,
                              KeyValues headers, std::string payload_sha256) {
  return {std::move(method), std::string(kExampleHost), std::move(path),
          std::move(query),  std::move(headers),        std::move(payload_sha256)};
}

// --- The AWS documentation's published values -------------------------------------------------

// IAM User Guide, "Signature Version 4 signing key" example (the S3 pages publish no key).
TEST(SigV4AwsExamplesTest, SigningKey) {
  const std::string key =
      DeriveSigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam");
  std::string hex;
  for (unsigned char c : key) {
    hex += "0123456789abcdef"[c >> 4];
    hex += "0123456789abcdef"[c & 15];
  }
  EXPECT_EQ(hex, "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

// S3 API reference, "Example: GET Object": Range header, empty payload.
TEST(SigV4AwsExamplesTest, GetObjectWithRange) {
  SigningRequest req =
      ExampleRequest("GET", "/test.txt", {}, {{"Range", "bytes=0-9"}}, std::string(kEmptySha256));
  const KeyValues sent = SignV4(req, kExampleCreds, "us-east-1", "s3", kExampleDate);
  EXPECT_EQ(Header(sent, "Authorization"),
            std::string(kExampleScope) +
                "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(Header(sent, "x-amz-date"), kExampleDate);
  EXPECT_EQ(Header(sent, "x-amz-content-sha256"), kEmptySha256);
  EXPECT_EQ(sent.size(), 3u);  // no session token, no x-amz-security-token

  // The published canonical request and its hash (the last line of the string to sign).
  req.headers.insert(req.headers.end(), {{"x-amz-content-sha256", std::string(kEmptySha256)},
                                         {"x-amz-date", std::string(kExampleDate)}});
  const std::string canonical = CanonicalRequest(req);
  EXPECT_EQ(canonical,
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:" +
                std::string(kEmptySha256) +
                "\nx-amz-date:20130524T000000Z\n\n"
                "host;range;x-amz-content-sha256;x-amz-date\n" +
                std::string(kEmptySha256));
  EXPECT_EQ(Sha256Hex(canonical),
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
}

// "Example: PUT Object": '$' in the key, a Date header, x-amz-storage-class, a signed body.
TEST(SigV4AwsExamplesTest, PutObject) {
  const std::string body_hash = Sha256Hex("Welcome to Amazon S3.");
  EXPECT_EQ(body_hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  const SigningRequest req = ExampleRequest(
      "PUT", "/test$file.text", {},
      {{"Date", "Fri, 24 May 2013 00:00:00 GMT"}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
      body_hash);
  const KeyValues sent = SignV4(req, kExampleCreds, "us-east-1", "s3", kExampleDate);
  EXPECT_EQ(Header(sent, "Authorization"),
            std::string(kExampleScope) +
                "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "
                "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

// "Example: GET Bucket Lifecycle": a sub-resource with no value signs as "lifecycle=".
TEST(SigV4AwsExamplesTest, GetBucketLifecycle) {
  const SigningRequest req =
      ExampleRequest("GET", "/", {{"lifecycle", ""}}, {}, std::string(kEmptySha256));
  EXPECT_EQ(SignatureOf(SignV4(req, kExampleCreds, "us-east-1", "s3", kExampleDate)),
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

// "Example: Get Bucket (List Objects)": query parameters sorted by name.
TEST(SigV4AwsExamplesTest, ListObjects) {
  const SigningRequest req = ExampleRequest("GET", "/", {{"prefix", "J"}, {"max-keys", "2"}}, {},
                                            std::string(kEmptySha256));
  EXPECT_EQ(SignatureOf(SignV4(req, kExampleCreds, "us-east-1", "s3", kExampleDate)),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

// --- Helpers ----------------------------------------------------------------------------------

TEST(SigV4Test, UriEncode) {
  EXPECT_EQ(UriEncode("AZaz09-._~", true), "AZaz09-._~");
  EXPECT_EQ(UriEncode("/bucket/a b/ü.txt", false), "/bucket/a%20b/%C3%BC.txt");
  EXPECT_EQ(UriEncode("a/b", true), "a%2Fb");
  EXPECT_EQ(UriEncode("日本", false), "%E6%97%A5%E6%9C%AC");
  // Already-encoded text is encoded again: the path is given decoded, and S3 encodes it once.
  EXPECT_EQ(UriEncode("a+b%20c*!'()$&,;=?#@[]", false),
            "a%2Bb%2520c%2A%21%27%28%29%24%26%2C%3B%3D%3F%23%40%5B%5D");
  EXPECT_EQ(UriEncode(std::string_view("\x00\x7f\xff", 3), false), "%00%7F%FF");
}

TEST(SigV4Test, CanonicalQuery) {
  EXPECT_EQ(CanonicalQuery({}), "");
  EXPECT_EQ(CanonicalQuery({{"uploads", ""}}), "uploads=");
  EXPECT_EQ(CanonicalQuery({{"prefix", "a b/c"}, {"delimiter", "/"}}),
            "delimiter=%2F&prefix=a%20b%2Fc");
  EXPECT_EQ(CanonicalQuery({{"list-type", "2"}, {"continuation-token", "x+/="}}),
            "continuation-token=x%2B%2F%3D&list-type=2");
  EXPECT_EQ(CanonicalQuery({{"k", "b"}, {"k", "a"}}), "k=a&k=b");  // repeats sort by value
}

TEST(SigV4Test, Sha256) {
  EXPECT_EQ(Sha256Hex(""), kEmptySha256);
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(SigV4Test, AmzDate) {
  using std::chrono::seconds;
  using Clock = std::chrono::system_clock;
  EXPECT_EQ(AmzDate(Clock::time_point(seconds(1369353600))), "20130524T000000Z");
  EXPECT_EQ(AmzDate(Clock::time_point(seconds(1709251199)) + std::chrono::milliseconds(999)),
            "20240229T235959Z");
}

TEST(SigV4Test, HeaderCanonicalisation) {
  // Names lowercased and sorted, values trimmed with inner blanks folded, repeats comma-joined in
  // sending order, the Host header always first by name.
  const SigningRequest req = {"GET",
                              "h:9000",
                              "",
                              {},
                              {{"X-Amz-Meta-B", "  two\t\twords  "},
                               {"x-amz-meta-a", "1"},
                               {"X-AMZ-META-A", "0"},
                               {"Content-Type", "text/plain;   charset=utf-8"}},
                              std::string(kUnsignedPayload)};
  EXPECT_EQ(CanonicalRequest(req),
            "GET\n/\n\ncontent-type:text/plain; charset=utf-8\nhost:h:9000\nx-amz-meta-a:1,0\n"
            "x-amz-meta-b:two words\n\ncontent-type;host;x-amz-meta-a;x-amz-meta-b\n"
            "UNSIGNED-PAYLOAD");
}

TEST(SigV4Test, SessionTokenAndSignerOwnedHeaders) {
  const Credentials creds = {"AK", "SK", "token/+="};
  const SigningRequest req = {"GET",
                              "h",
                              "/b/k",
                              {},
                              {{"X-Amz-Date", "stale"}, {"Host", "other"}, {"x-amz-meta-z", "1"}},
                              std::string(kEmptySha256)};
  const KeyValues sent = SignV4(req, creds, "us-east-1", "s3", "20240101T000000Z");
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_EQ(Header(sent, "x-amz-security-token"), "token/+=");
  EXPECT_EQ(Header(sent, "x-amz-date"), "20240101T000000Z");
  EXPECT_NE(Header(sent, "Authorization")
                .find("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-meta-z;"
                      "x-amz-security-token, "),
            std::string::npos)
      << Header(sent, "Authorization");
}

// --- botocore as the oracle -------------------------------------------------------------------

struct OracleRow {
  SigningRequest req;
  std::string body;
  bool unsigned_payload = false;
  std::string token;
};

constexpr std::string_view kOracleDate = "20240315T123456Z";
constexpr std::string_view kOracleRegion = "eu-central-1";
const Credentials kOracleCreds = {"TESTACCESSKEY", "TESTSECRETKEY/with+slash=", ""};
constexpr std::string_view kOracleToken =
    "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+/=";

struct BaseRow {
  SigningRequest req;  // payload_sha256 is filled in from `body` per variant
  std::string body;
};

// Requests mlhub's S3 store sends, with the awkward characters S3 keys and list tokens carry.
std::vector<BaseRow> OracleBaseRows() {
  const std::string kRgw = "127.0.0.1:17480";
  const std::string kAws = "mlflow.s3.eu-central-1.amazonaws.com";
  std::vector<BaseRow> rows = {
      {{"GET", kRgw, "/mlflow/0/abc/artifacts/model.pkl", {}, {{"Range", "bytes=0-1023"}}, ""}, ""},
      {{"PUT",
        kRgw,
        "/mlflow/a b/c  d.txt",
        {},
        {{"Content-Type", "  text/plain;   charset=utf-8\t "}},
        ""},
       "hello world\n"},
      {{"PUT", kAws, "/ünïcödé/日本/語.txt", {}, {}, ""}, "日本"},
      {{"PUT", kRgw, "/mlflow/a+b%c~d%20e.txt", {}, {{"x-amz-meta-mlflow", "a+b"}}, ""}, "x"},
      {{"PUT", "localhost:9000", "/mlflow/weird !*'()@$&,;=?#[]`^{}|<>\".txt", {}, {}, ""}, "w"},
      {{"HEAD", kRgw, "/mlflow/dir/file.bin", {}, {}, ""}, ""},
      {{"DELETE", kRgw, "/mlflow/dir/file.bin", {}, {}, ""}, ""},
      {{"GET", kRgw, "/mlflow", {{"prefix", "a b/c"}, {"delimiter", "/"}}, {}, ""}, ""},
      {{"GET",
        kAws,
        "/",
        {{"list-type", "2"},
         {"continuation-token", "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM+/="},
         {"prefix", "0/run id/日本/"},
         {"max-keys", "1000"}},
        {},
        ""},
       ""},
      {{"POST",
        kRgw,
        "/mlflow/big model.bin",
        {{"uploads", ""}},
        {{"content-type", "application/octet-stream"}},
        ""},
       ""},
      {{"PUT",
        kRgw,
        "/mlflow/big model.bin",
        {{"partNumber", "3"}, {"uploadId", "2~iCw_lDY8VoNLbc-pM9bK5u9hQcJw/+="}},
        {},
        ""},
       std::string(5000, 'p')},
      {{"POST",
        kRgw,
        "/mlflow/big model.bin",
        {{"uploadId", "2~iCw_lDY8VoNLbc-pM9bK5u9hQcJw/+="}},
        {{"Content-Type", "application/xml"}},
        ""},
       "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"e\"</ETag></Part>"
       "</CompleteMultipartUpload>"},
      {{"POST",
        kRgw,
        "/mlflow",
        {{"delete", ""}},
        {{"Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="}},
        ""},
       "<Delete><Object><Key>a b</Key></Object></Delete>"},
      {{"GET", kRgw, "/", {}, {{"X-Amz-Meta-A", "1"}, {"x-amz-meta-a", " 2   3 "}}, ""}, ""},
      {{"PUT",
        kRgw,
        "/mlflow/copy.txt",
        {},
        {{"x-amz-copy-source", "/mlflow/a%20b.txt"}, {"x-amz-metadata-directive", "COPY"}},
        ""},
       ""},
  };
  return rows;
}

std::vector<OracleRow> OracleRows() {
  std::vector<OracleRow> rows;
  for (const BaseRow& base : OracleBaseRows()) {
    for (bool with_token : {false, true}) {
      for (bool unsigned_payload : {false, true}) {
        rows.push_back(
            {base.req, base.body, unsigned_payload, with_token ? std::string(kOracleToken) : ""});
      }
    }
  }
  return rows;
}

void WritePairs(JsonWriter& w, std::string_view key, const KeyValues& pairs) {
  w.Key(key).StartArray();
  for (const auto& [k, v] : pairs) w.StartArray().String(k).String(v).EndArray();
  w.EndArray();
}

std::string OracleTableJson(const std::vector<OracleRow>& rows) {
  std::string out;
  JsonWriter w(&out);
  w.StartObject()
      .Field("amz_date", kOracleDate)
      .Field("region", kOracleRegion)
      .Field("access_key", kOracleCreds.access_key_id)
      .Field("secret_key", kOracleCreds.secret_access_key)
      .Key("requests")
      .StartArray();
  for (const OracleRow& r : rows) {
    w.StartObject().Field("method", r.req.method).Field("host", r.req.host);
    w.Field("path", r.req.path);
    WritePairs(w, "query", r.req.query);
    WritePairs(w, "headers", r.req.headers);
    w.Field("body", r.body).Field("unsigned", r.unsigned_payload).Field("token", r.token);
    w.EndObject();
  }
  w.EndArray().EndObject();
  return out;
}

// Runs tests/tools/botocore_sigv4.py on `table`; returns row -> lowercase name -> value. Any
// failure (no python3, no botocore, a traceback) fails the test: the oracle is never optional.
std::map<size_t, std::map<std::string, std::string>> RunBotocore(const std::string& table) {
  const std::filesystem::path table_path =
      std::filesystem::temp_directory_path() /
      ("mlhub_sigv4_oracle_" + std::to_string(::getpid()) + ".json");
  std::ofstream(table_path, std::ios::binary) << table;
  const std::string cmd = "/usr/bin/python3 '" MLHUB_SOURCE_DIR
                          "/tests/tools/botocore_sigv4.py' < '" +
                          table_path.string() + "' 2>&1";
  std::string output;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "popen failed: " << cmd;
    return {};
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) output.append(buf, n);
  const int status = ::pclose(pipe);
  std::filesystem::remove(table_path);
  if (status != 0) {
    ADD_FAILURE() << "botocore oracle failed (status " << status
                  << "; needs Debian's python3-botocore, see scripts/bootstrap.sh):\n"
                  << output;
    return {};
  }
  std::map<size_t, std::map<std::string, std::string>> result;
  size_t start = 0;
  while (start < output.size()) {
    size_t end = output.find('\n', start);
    if (end == std::string::npos) end = output.size();
    const std::string line = output.substr(start, end - start);
    start = end + 1;
    const size_t tab1 = line.find('\t');
    const size_t tab2 = tab1 == std::string::npos ? tab1 : line.find('\t', tab1 + 1);
    if (tab2 == std::string::npos) {
      ADD_FAILURE() << "unexpected oracle output line: " << line;
      continue;
    }
    result[std::stoul(line.substr(0, tab1))][line.substr(tab1 + 1, tab2 - tab1 - 1)] =
        line.substr(tab2 + 1);
  }
  return result;
}

TEST(SigV4BotocoreTest, MatchesS3SigV4AuthHeaderByHeader) {
  const std::vector<OracleRow> rows = OracleRows();
  const auto oracle = RunBotocore(OracleTableJson(rows));
  ASSERT_FALSE(oracle.empty());
  for (size_t i = 0; i < rows.size(); ++i) {
    const OracleRow& row = rows[i];
    SCOPED_TRACE("row " + std::to_string(i) + ": " + row.req.method + " " + row.req.host +
                 row.req.path + " query=" + CanonicalQuery(row.req.query) +
                 (row.token.empty() ? "" : " +token") + (row.unsigned_payload ? " unsigned" : ""));
    ASSERT_TRUE(oracle.count(i));
    const auto& expected = oracle.at(i);
    Credentials creds = kOracleCreds;
    creds.session_token = row.token;
    SigningRequest req = row.req;
    req.payload_sha256 = row.unsigned_payload ? std::string(kUnsignedPayload) : Sha256Hex(row.body);
    std::map<std::string, std::string> ours;
    for (const auto& [name, value] : SignV4(req, creds, kOracleRegion, "s3", kOracleDate)) {
      std::string lower = name;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      ours[lower] = value;
    }
    EXPECT_EQ(ours, expected) << "canonical request (ours, before x-amz-* headers):\n"
                              << CanonicalRequest(req);
  }
}

}  // namespace
}  // namespace mlhub::artifacts::s3
