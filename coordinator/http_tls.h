// HTTPS for the coordinator's HTTP port with the gRPC port's certificate and key (and client
// CA: with --tls-client-ca, HTTPS clients must present a certificate it signed, as gRPC
// clients must). The PEM text sg-coordinator already read (server_security.h) is loaded into
// cpp-httplib's OpenSSL context, so both ports always serve the same identity.
//
// Thread-safety: plain function.
#ifndef SG_COORDINATOR_HTTP_TLS_H_
#define SG_COORDINATOR_HTTP_TLS_H_

#include <string>

#include "coordinator/server_security.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace sg {

// Loads `tls` into `ctx`: certificate chain, key (checked against the certificate), the client
// CA when set, TLS 1.2 at least. False with `*error` set when the PEM does not load.
bool ConfigureHttpTls(const ServerTls& tls, SSL_CTX* ctx, std::string* error);

}  // namespace sg

#endif  // SG_COORDINATOR_HTTP_TLS_H_
