// The coordinator's transport security settings: TLS material read from PEM files, and the rule
// that decides whether an address may be served without TLS or tokens (docs/security.md):
// a loopback address may (the quick start), any other address needs TLS and a token file unless
// --insecure is given.
//
// Thread-safety: plain functions and values.
#ifndef SG_COORDINATOR_SERVER_SECURITY_H_
#define SG_COORDINATOR_SERVER_SECURITY_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sg {

// PEM text. An empty cert means plaintext gRPC.
struct ServerTls {
  std::string cert_pem;       // --tls-cert: the server's certificate chain
  std::string key_pem;        // --tls-key: its private key
  std::string client_ca_pem;  // --tls-client-ca: when set, clients must present a certificate
                              // signed by this CA (mutual TLS)
  bool enabled() const { return !cert_pem.empty(); }
};

// Reads the files (paths may be empty: no TLS). kInvalidArgument naming the flag when only one
// of cert and key is given, a client CA without a server certificate, or a file is not PEM;
// kNotFound naming the flag and path when a file cannot be read.
absl::StatusOr<ServerTls> LoadServerTls(const std::string& cert_path, const std::string& key_path,
                                        const std::string& client_ca_path);

// True for 127.0.0.0/8, ::1 and localhost (HOST:PORT or [HOST]:PORT).
bool IsLoopbackListen(const std::string& listen);

// OK when serving `listen` with this security is allowed: a loopback address always; any other
// address only with TLS and a token file, or with `insecure`. Otherwise kFailedPrecondition
// saying what is missing and how to add it.
absl::Status CheckListenSecurity(const std::string& listen, bool tls, bool tokens, bool insecure);


}  // namespace sg

#endif  // SG_COORDINATOR_SERVER_SECURITY_H_
