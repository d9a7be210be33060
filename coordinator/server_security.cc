#include "coordinator/server_security.h"


#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/flag_files.h"
#include "common/status_macros.h"

namespace sg {
namespace {

absl::Status ExpectPem(const std::string& text, const std::string& flag, const std::string& path) {
  if (!absl::StrContains(text, "-----BEGIN ")) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, " ", path, ": not a PEM file (no -----BEGIN line); deploy/make-certs.sh makes "
                         "PEM certificates and keys"));
  }
  return absl::OkStatus();
}

}  // namespace


absl::StatusOr<ServerTls> LoadServerTls(const std::string& cert_path, const std::string& key_path,
                                        const std::string& client_ca_path) {
  ServerTls tls;
  if (cert_path.empty() != key_path.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert and --tls-key: give both (the server certificate and its private key) or "
        "neither");
  }
  if (cert_path.empty()) {
    if (!client_ca_path.empty()) {
      return absl::InvalidArgumentError(
          "--tls-client-ca: needs --tls-cert and --tls-key (mutual TLS is TLS first)");
    }
    return tls;
  }
  SG_ASSIGN_OR_RETURN(tls.cert_pem, ReadFlagFile(cert_path, "--tls-cert"));
  SG_RETURN_IF_ERROR(ExpectPem(tls.cert_pem, "--tls-cert", cert_path));
  SG_ASSIGN_OR_RETURN(tls.key_pem, ReadFlagFile(key_path, "--tls-key"));
  SG_RETURN_IF_ERROR(ExpectPem(tls.key_pem, "--tls-key", key_path));
  if (!client_ca_path.empty()) {
    SG_ASSIGN_OR_RETURN(tls.client_ca_pem, ReadFlagFile(client_ca_path, "--tls-client-ca"));
    SG_RETURN_IF_ERROR(ExpectPem(tls.client_ca_pem, "--tls-client-ca", client_ca_path));
  }
  return tls;
}

bool IsLoopbackListen(const std::string& listen) {
  std::string host = listen;
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    host = close == std::string::npos ? host : host.substr(1, close - 1);
  } else {
    size_t colon = host.rfind(':');
    if (colon != std::string::npos) host = host.substr(0, colon);
  }
  host = absl::AsciiStrToLower(host);
  if (host == "localhost" || host == "::1") return true;
  // 127.0.0.0/8: four dotted decimal parts, the first 127.
  if (!absl::StartsWith(host, "127.")) return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.') {
      ++dots;
    } else if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return dots == 3;
}

absl::Status CheckListenSecurity(const std::string& listen, bool tls, bool tokens, bool insecure) {
  if (IsLoopbackListen(listen) || insecure || (tls && tokens)) return absl::OkStatus();
  std::string missing;
  if (!tls) missing = "TLS (--tls-cert and --tls-key; deploy/make-certs.sh makes them)";
  if (!tokens) {
    absl::StrAppend(&missing, missing.empty() ? "" : " and ",
                    "a token file (--auth-tokens FILE; sg-coordinator token create makes lines)");
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "--listen ", listen, ": is not a loopback address, so anyone who can reach it could use "
      "the coordinator; serving it needs ", missing,
      ". See docs/security.md. (--insecure serves it anyway, on a network you trust completely.)"));
}

}  // namespace sg
