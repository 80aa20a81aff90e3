// SPDX-License-Identifier: Apache-2.0
#include "http/tls_certificate.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cstdio>

namespace mlhub::http {

struct TlsCertificate::Pair {
  X509* cert = nullptr;
  STACK_OF(X509) * chain = nullptr;  // the certificates after the first in the file
  EVP_PKEY* key = nullptr;
  X509_STORE* client_cas = nullptr;                 // mutual TLS: what verifies clients
  STACK_OF(X509_NAME) * client_ca_names = nullptr;  // and the names the server asks for
  ~Pair() {
    X509_free(cert);
    sk_X509_pop_free(chain, X509_free);
    EVP_PKEY_free(key);
    X509_STORE_free(client_cas);
    sk_X509_NAME_pop_free(client_ca_names, X509_NAME_free);
  }
};

namespace {

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no PEM data";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

std::unique_ptr<std::FILE, FileCloser> OpenPem(const std::string& path) {
  return std::unique_ptr<std::FILE, FileCloser>(std::fopen(path.c_str(), "rb"));
}

}  // namespace

TlsCertificate::TlsCertificate(std::string cert_file, std::string key_file,
                               std::string client_ca_file, std::chrono::milliseconds check_interval)
    : cert_file_(std::move(cert_file)),
      key_file_(std::move(key_file)),
      client_ca_file_(std::move(client_ca_file)),
      check_interval_(check_interval) {}

TlsCertificate::~TlsCertificate() = default;

StatusOr<std::unique_ptr<TlsCertificate>> TlsCertificate::Load(
    std::string cert_file, std::string key_file, std::string client_ca_file,
    std::chrono::milliseconds check_interval) {
  std::unique_ptr<TlsCertificate> tls(new TlsCertificate(
      std::move(cert_file), std::move(key_file), std::move(client_ca_file), check_interval));
  tls->stamp_ = tls->StampNow();
  ASSIGN_OR_RETURN(tls->current_, tls->LoadPair());
  tls->checked_ = std::chrono::steady_clock::now();
  return tls;
}

TlsCertificate::Stamp TlsCertificate::StampNow() const {
  // Both files: a rotation may replace either first.
  Stamp stamp;
  long long* out = stamp.values;
  for (const std::string* file : {&cert_file_, &key_file_, &client_ca_file_}) {
    if (file->empty()) continue;
    struct stat st {};
    if (::stat(file->c_str(), &st) != 0) return Stamp{};
    *out++ = static_cast<long long>(st.st_ino);
    *out++ = static_cast<long long>(st.st_size);
    *out++ = st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
  }
  return stamp;
}

StatusOr<std::shared_ptr<const TlsCertificate::Pair>> TlsCertificate::LoadPair() const {
  auto pair = std::make_shared<Pair>();
  auto cert = OpenPem(cert_file_);
  if (!cert) return InvalidArgumentError("cannot open the TLS certificate " + cert_file_);
  pair->cert = PEM_read_X509_AUX(cert.get(), nullptr, nullptr, nullptr);
  if (pair->cert == nullptr) {
    return InvalidArgumentError("cannot read the TLS certificate " + cert_file_ + ": " +
                                OpenSslError());
  }
  pair->chain = sk_X509_new_null();
  while (X509* next = PEM_read_X509(cert.get(), nullptr, nullptr, nullptr)) {
    sk_X509_push(pair->chain, next);
  }
  // The end of the file reads as "no start line"; anything else is a chain cut short.
  const unsigned long end = ERR_peek_last_error();
  if (ERR_GET_LIB(end) != ERR_LIB_PEM || ERR_GET_REASON(end) != PEM_R_NO_START_LINE) {
    return InvalidArgumentError("cannot read the certificate chain in " + cert_file_ + ": " +
                                OpenSslError());
  }
  ERR_clear_error();
  auto key = OpenPem(key_file_);
  if (!key) return InvalidArgumentError("cannot open the TLS key " + key_file_);
  // No password callback: OpenSSL's default would prompt on the terminal, in a handshake.
  pem_password_cb* no_password = [](char*, int, int, void*) { return 0; };
  pair->key = PEM_read_PrivateKey(key.get(), nullptr, no_password, nullptr);
  if (pair->key == nullptr) {
    return InvalidArgumentError("cannot read the TLS key " + key_file_ + ": " + OpenSslError());
  }
  if (X509_check_private_key(pair->cert, pair->key) != 1) {
    ERR_clear_error();
    return InvalidArgumentError("the TLS key " + key_file_ + " does not match the certificate " +
                                cert_file_);
  }
  if (!client_ca_file_.empty()) {
    pair->client_cas = X509_STORE_new();
    pair->client_ca_names = SSL_load_client_CA_file(client_ca_file_.c_str());
    if (pair->client_ca_names == nullptr ||
        X509_STORE_load_file(pair->client_cas, client_ca_file_.c_str()) != 1) {
      return InvalidArgumentError("cannot read the TLS client CA " + client_ca_file_ + ": " +
                                  OpenSslError());
    }
  }
  return std::shared_ptr<const Pair>(std::move(pair));
}

Status TlsCertificate::Check() {
  const Stamp now = StampNow();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (now == stamp_) return OkStatus();
    if (failed_ == now) return failure_;
  }
  StatusOr<std::shared_ptr<const Pair>> loaded = LoadPair();
  std::lock_guard<std::mutex> lock(mu_);
  if (!loaded.ok()) {
    // Keep the old pair; files that change again are tried again (a rotation half done).
    if (failed_ != now) {
      spdlog::warn("TLS: keeping the current certificate: {}", loaded.status().message());
    }
    failed_ = now;
    failure_ = loaded.status();
    return failure_;
  }
  if (stamp_ != now) {
    stamp_ = now;
    current_ = *std::move(loaded);
    spdlog::info("TLS: loaded the new certificate {}", cert_file_);
  }
  return OkStatus();
}

Status TlsCertificate::Refresh() { return Check(); }

void TlsCertificate::Attach(SSL_CTX* ctx) {
  SSL_CTX_set_cert_cb(ctx, &OnHandshake, this);
  if (!client_ca_file_.empty()) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
}

int TlsCertificate::OnHandshake(SSL* ssl, void* arg) {
  auto* self = static_cast<TlsCertificate*>(arg);
  bool due = false;
  {
    std::lock_guard<std::mutex> lock(self->mu_);
    const auto now = std::chrono::steady_clock::now();
    if (now - self->checked_ >= self->check_interval_) {
      self->checked_ = now;  // one handshake looks; the others go on with the current pair
      due = true;
    }
  }
  if (due) (void)self->Check();
  std::shared_ptr<const Pair> pair;
  {
    std::lock_guard<std::mutex> lock(self->mu_);
    pair = self->current_;
  }
  if (pair->client_cas != nullptr) {
    // Before the CertificateRequest goes out and the client's certificate is checked.
    SSL_set1_verify_cert_store(ssl, pair->client_cas);
    SSL_set_client_CA_list(ssl, SSL_dup_CA_list(pair->client_ca_names));
  }
  // The SSL takes its own references to all three.
  return SSL_use_cert_and_key(ssl, pair->cert, pair->key, pair->chain, /*override=*/1) == 1 ? 1 : 0;
}

}  // namespace mlhub::http
