// SPDX-License-Identifier: Apache-2.0
#include "http/tls_certificate.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

namespace mlhub::http {
namespace {

namespace fs = std::filesystem;

struct KeyAndCert {
  std::string key_pem;
  std::string cert_pem;
};

std::string ToPem(int (*write)(BIO*, void*), void* object) {
  BIO* bio = BIO_new(BIO_s_mem());
  write(bio, object);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  return pem;
}

// A fresh EC key and a self-signed certificate for it, with `name` as its common name.
KeyAndCert MakeCert(const std::string& name) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_NAME* subject = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert, subject);
  X509_set_pubkey(cert, key);
  X509_sign(cert, key, EVP_sha256());
  KeyAndCert out;
  out.key_pem = ToPem(
      [](BIO* bio, void* k) {
        return PEM_write_bio_PrivateKey(bio, static_cast<EVP_PKEY*>(k), nullptr, nullptr, 0,
                                        nullptr, nullptr);
      },
      key);
  out.cert_pem =
      ToPem([](BIO* bio, void* c) { return PEM_write_bio_X509(bio, static_cast<X509*>(c)); }, cert);
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

// Writes `text` to `path` through a rename, as a Secret volume is updated.
void Install(const fs::path& path, const std::string& text) {
  const fs::path temp = path.string() + ".new";
  std::ofstream(temp, std::ios::binary) << text;
  fs::rename(temp, path);
}

// The common name of the certificate a client gets in a handshake (in memory) with `server_ctx`.
std::string ServedName(SSL_CTX* server_ctx) {
  SSL_CTX* client_ctx = SSL_CTX_new(TLS_client_method());
  SSL* server = SSL_new(server_ctx);
  SSL* client = SSL_new(client_ctx);
  BIO *server_bio = nullptr, *client_bio = nullptr;
  BIO_new_bio_pair(&server_bio, 0, &client_bio, 0);
  SSL_set_bio(server, server_bio, server_bio);
  SSL_set_bio(client, client_bio, client_bio);
  SSL_set_accept_state(server);
  SSL_set_connect_state(client);
  bool client_done = false, server_done = false;
  for (int round = 0; round < 20 && !(client_done && server_done); ++round) {
    client_done = client_done || SSL_do_handshake(client) == 1;
    server_done = server_done || SSL_do_handshake(server) == 1;
  }
  std::string name;
  if (X509* peer = SSL_get1_peer_certificate(client)) {
    char text[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, text, sizeof text);
    name = text;
    X509_free(peer);
  }
  SSL_free(client);
  SSL_free(server);
  SSL_CTX_free(client_ctx);
  return name;
}

class TlsCertificateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tls-cert-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    cert_ = dir_ / "tls.crt";
    key_ = dir_ / "tls.key";
    ctx_ = SSL_CTX_new(TLS_server_method());
  }
  void TearDown() override {
    SSL_CTX_free(ctx_);
    fs::remove_all(dir_);
  }

  fs::path dir_, cert_, key_;
  SSL_CTX* ctx_ = nullptr;
};

TEST_F(TlsCertificateTest, ServesTheFilesAndFollowsARotation) {
  const KeyAndCert old_pair = MakeCert("old"), new_pair = MakeCert("new");
  Install(cert_, old_pair.cert_pem);
  Install(key_, old_pair.key_pem);
  auto tls = TlsCertificate::Load(cert_, key_, "", std::chrono::hours(1));
  ASSERT_TRUE(tls.ok()) << tls.status().message();
  (*tls)->Attach(ctx_);
  EXPECT_EQ(ServedName(ctx_), "old");

  // The certificate before its key: that pair does not match and is not taken.
  Install(cert_, new_pair.cert_pem);
  Status half = (*tls)->Refresh();
  EXPECT_EQ(half.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(half.message().find("does not match"), std::string::npos) << half.message();
  EXPECT_EQ(ServedName(ctx_), "old");

  Install(key_, new_pair.key_pem);
  EXPECT_TRUE((*tls)->Refresh().ok());
  EXPECT_EQ(ServedName(ctx_), "new");

  Install(cert_, "not a certificate\n");
  EXPECT_EQ((*tls)->Refresh().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ServedName(ctx_), "new");
  fs::remove(key_);
  EXPECT_EQ((*tls)->Refresh().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ServedName(ctx_), "new");
}

TEST_F(TlsCertificateTest, HandshakesLookAtTheFilesOncePerInterval) {
  const KeyAndCert a = MakeCert("a"), b = MakeCert("b");
  Install(cert_, a.cert_pem);
  Install(key_, a.key_pem);
  auto tls = TlsCertificate::Load(cert_, key_, "", std::chrono::milliseconds(0));
  ASSERT_TRUE(tls.ok());
  (*tls)->Attach(ctx_);
  EXPECT_EQ(ServedName(ctx_), "a");
  Install(cert_, b.cert_pem);
  Install(key_, b.key_pem);
  EXPECT_EQ(ServedName(ctx_), "b");  // an interval of 0: every handshake checks
}

TEST_F(TlsCertificateTest, LoadNamesTheFileItCannotRead) {
  const KeyAndCert a = MakeCert("a"), b = MakeCert("b");
  auto missing = TlsCertificate::Load(cert_, key_);
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find(cert_.string()), std::string::npos);
  Install(cert_, a.cert_pem);
  Install(key_, "garbage\n");
  auto bad_key = TlsCertificate::Load(cert_, key_);
  EXPECT_NE(bad_key.status().message().find(key_.string()), std::string::npos);
  Install(key_, b.key_pem);
  EXPECT_NE(TlsCertificate::Load(cert_, key_).status().message().find("does not match"),
            std::string::npos);
}

}  // namespace
}  // namespace mlhub::http
