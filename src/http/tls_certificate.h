// SPDX-License-Identifier: Apache-2.0
// TlsCertificate: the server certificate (with its chain) and key of two PEM files, picked up
// again when the files change, without a restart: Kubernetes rotates a mounted Secret in place
// (cert-manager renews certificates weeks before they expire). Each handshake asks for the
// current pair; at most once per `check_interval` that looks at the files' inode, size and
// modification time and, when they changed, loads them. A pair that does not load, or whose key
// does not match its certificate (a rotation caught half-written), is logged and the previous pair
// kept. With a client CA file (mutual TLS) handshakes also require a client certificate that CA
// signed, and that file is followed the same way. Thread-safe.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/status.h"

namespace mlhub::http {

class TlsCertificate {
 public:
  // Loads the pair (and the client CA, unless `client_ca_file` is empty); InvalidArgument (naming
  // the file) when it cannot.
  static StatusOr<std::unique_ptr<TlsCertificate>> Load(
      std::string cert_file, std::string key_file, std::string client_ca_file = "",
      std::chrono::milliseconds check_interval = std::chrono::seconds(1));
  ~TlsCertificate();

  // Makes every handshake on `ctx` use the current pair (OpenSSL's certificate callback), and
  // with a client CA require and verify a client certificate. `this` must outlive `ctx`'s
  // connections.
  void Attach(SSL_CTX* ctx);

  // Checks the files now (whatever the interval) and loads them when they changed; the status of
  // that load (OK when nothing changed). For tests.
  Status Refresh();

 private:
  struct Pair;
  // What identifies a version of the files: inode (a Secret update renames a new file in), size
  // and modification time of each; all -1 while one of them is missing.
  struct Stamp {
    long long values[9] = {-1, -1, -1, -1, -1, -1, -1, -1, -1};
    bool operator==(const Stamp&) const = default;
  };

  TlsCertificate(std::string cert_file, std::string key_file, std::string client_ca_file,
                 std::chrono::milliseconds check_interval);
  static int OnHandshake(SSL* ssl, void* self);
  Stamp StampNow() const;
  // Loads the files into a new pair (no lock needed: it reads only the file names).
  StatusOr<std::shared_ptr<const Pair>> LoadPair() const;
  // Looks at the files and loads them when they changed. The files are read without mu_ held,
  // so a slow disk stalls one handshake, not every I/O thread.
  Status Check();

  const std::string cert_file_;
  const std::string key_file_;
  const std::string client_ca_file_;  // empty: no client certificates asked for
  const std::chrono::milliseconds check_interval_;
  std::mutex mu_;
  std::shared_ptr<const Pair> current_;  // GUARDED_BY(mu_)
  Stamp stamp_;                          // GUARDED_BY(mu_): of the files current_ came from
  std::optional<Stamp> failed_;  // GUARDED_BY(mu_): of files that did not load (not retried,
                                 // not logged again)
  Status failure_;               // GUARDED_BY(mu_): why
  std::chrono::steady_clock::time_point checked_{};  // GUARDED_BY(mu_)
};

}  // namespace mlhub::http
