// How sgctl and sg-worker reach a coordinator that requires TLS and tokens: the client's token
// (--token-file, else $SG_TOKEN_FILE, else $SG_TOKEN) and TLS material (--tls-ca and, for mutual
// TLS, --tls-cert/--tls-key), a channel that sends `authorization: Bearer TOKEN` with every call,
// and a hint for connection failures that says which flag is probably missing.
//
// The token travels as call metadata added by a client interceptor (not as gRPC call
// credentials, which gRPC refuses to send over plaintext), so a loopback coordinator with a
// token file and no TLS works too.
//
// Thread-safety: plain values and functions; the channel is thread-safe.
#ifndef SG_COMMON_CLIENT_SECURITY_H_
#define SG_COMMON_CLIENT_SECURITY_H_

#include <memory>
#include <string>

#include <grpcpp/channel.h>
#include <grpcpp/support/channel_arguments.h>

#include "absl/status/statusor.h"

namespace sg {

// The flag values as given ("" when absent), and the environment's.
struct ClientSecurityFlags {
  std::string token_file;  // --token-file
  std::string tls_ca;      // --tls-ca: PEM CA that signed the coordinator's certificate
  std::string tls_cert;    // --tls-cert: this client's certificate (mutual TLS)
  std::string tls_key;     // --tls-key: its private key
  std::string env_token_file;  // $SG_TOKEN_FILE
  std::string env_token;       // $SG_TOKEN
};

struct ClientSecurity {
  std::string token;  // "" : no token
  std::string ca_pem, cert_pem, key_pem;
  bool tls() const { return !ca_pem.empty(); }
};

// Reads the files. kInvalidArgument / kNotFound naming the flag (or variable) and the fix, never
// echoing a token: --tls-cert without --tls-key (or the reverse), a client certificate without
// --tls-ca, an unreadable or empty file, a token with whitespace inside.
absl::StatusOr<ClientSecurity> LoadClientSecurity(const ClientSecurityFlags& flags);

// A channel to `target` with TLS when security.tls() and the token on every call when set.
std::shared_ptr<grpc::Channel> NewCoordinatorChannel(const std::string& target,
                                                     const ClientSecurity& security,
                                                     const grpc::ChannelArguments& args);

// A sentence to append to an UNAVAILABLE error: what to check given how the client was set up
// (plaintext: maybe the server wants TLS; TLS: the CA, the certificate's names, client certs).
std::string ConnectionHint(const ClientSecurity& security);

// A warning for stderr when a token would cross a network in clear (a token without TLS to a
// non-loopback target); "" otherwise.
std::string PlaintextTokenWarning(const std::string& target, const ClientSecurity& security);

}  // namespace sg

#endif  // SG_COMMON_CLIENT_SECURITY_H_
