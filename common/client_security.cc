#include "common/client_security.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/client_interceptor.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/flag_files.h"
#include "common/status_macros.h"

namespace sg {
namespace {


absl::StatusOr<std::string> ReadPem(const std::string& path, const std::string& flag) {
  SG_ASSIGN_OR_RETURN(std::string text, ReadFlagFile(path, flag));
  if (!absl::StrContains(text, "-----BEGIN ")) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, " ", path, ": not a PEM file (no -----BEGIN line); deploy/make-certs.sh makes "
                         "PEM certificates and keys"));
  }
  return text;
}

// A token is one word; surrounding whitespace (a file's newline) is dropped.
absl::StatusOr<std::string> CleanToken(absl::string_view raw, const std::string& where) {
  absl::string_view token = absl::StripAsciiWhitespace(raw);
  if (token.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": holds no token; put the token `sg-coordinator token create` printed in it"));
  }
  for (char c : token) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c)) || !absl::ascii_isprint(c)) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": the token must be one word of printable characters (the file holds only "
                 "the token)"));
    }
  }
  return std::string(token);
}

class BearerInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit BearerInterceptor(const std::string* header) : header_(header) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->insert({"authorization", *header_});
    }
    methods->Proceed();
  }

 private:
  const std::string* const header_;  // owned by the factory, which the channel keeps
};

class BearerInterceptorFactory final
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit BearerInterceptorFactory(const std::string& token)
      : header_(absl::StrCat("Bearer ", token)) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new BearerInterceptor(&header_);
  }

 private:
  const std::string header_;
};

bool IsLoopbackTarget(const std::string& target) {
  std::string host = target;
  for (const char* scheme : {"dns:///", "ipv4:", "ipv6:"}) {
    if (absl::StartsWith(host, scheme)) host = host.substr(std::strlen(scheme));
  }
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    if (close != std::string::npos) host = host.substr(1, close - 1);
  } else if (size_t colon = host.rfind(':'); colon != std::string::npos) {
    host = host.substr(0, colon);
  }
  host = absl::AsciiStrToLower(host);
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

}  // namespace

absl::StatusOr<ClientSecurity> LoadClientSecurity(const ClientSecurityFlags& flags) {
  ClientSecurity out;
  if (!flags.token_file.empty()) {
    SG_ASSIGN_OR_RETURN(std::string raw, ReadFlagFile(flags.token_file, "--token-file"));
    SG_ASSIGN_OR_RETURN(out.token, CleanToken(raw, absl::StrCat("--token-file ", flags.token_file)));
  } else if (!flags.env_token_file.empty()) {
    SG_ASSIGN_OR_RETURN(std::string raw, ReadFlagFile(flags.env_token_file, "$SG_TOKEN_FILE"));
    SG_ASSIGN_OR_RETURN(out.token,
                        CleanToken(raw, absl::StrCat("$SG_TOKEN_FILE ", flags.env_token_file)));
  } else if (!flags.env_token.empty()) {
    SG_ASSIGN_OR_RETURN(out.token, CleanToken(flags.env_token, "$SG_TOKEN"));
  }
  if (flags.tls_cert.empty() != flags.tls_key.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert and --tls-key: give both (this client's certificate and its key) or neither");
  }
  if (!flags.tls_cert.empty() && flags.tls_ca.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert/--tls-key: need --tls-ca (the CA that signed the coordinator's certificate)");
  }
  if (!flags.tls_ca.empty()) {
    SG_ASSIGN_OR_RETURN(out.ca_pem, ReadPem(flags.tls_ca, "--tls-ca"));
  }
  if (!flags.tls_cert.empty()) {
    SG_ASSIGN_OR_RETURN(out.cert_pem, ReadPem(flags.tls_cert, "--tls-cert"));
    SG_ASSIGN_OR_RETURN(out.key_pem, ReadPem(flags.tls_key, "--tls-key"));
  }
  return out;
}

std::shared_ptr<grpc::Channel> NewCoordinatorChannel(const std::string& target,
                                                     const ClientSecurity& security,
                                                     const grpc::ChannelArguments& args) {
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (security.tls()) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = security.ca_pem;
    ssl.pem_cert_chain = security.cert_pem;
    ssl.pem_private_key = security.key_pem;
    credentials = grpc::SslCredentials(ssl);
  }
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> factories;
  if (!security.token.empty()) {
    factories.push_back(std::make_unique<BearerInterceptorFactory>(security.token));
  }
  return grpc::experimental::CreateCustomChannelWithInterceptors(target, credentials, args,
                                                                 std::move(factories));
}

std::string ConnectionHint(const ClientSecurity& security) {
  if (!security.tls()) {
    return "if the coordinator serves TLS, pass --tls-ca FILE (the CA that signed its "
           "certificate): a plaintext client cannot talk to a TLS server";
  }
  std::string hint =
      "if the TLS handshake failed: check that --tls-ca is the CA that signed the coordinator's "
      "certificate, that the certificate names the host in --coordinator, and that the "
      "coordinator serves TLS at all";
  if (security.cert_pem.empty()) {
    absl::StrAppend(&hint, "; if it requires client certificates (--tls-client-ca), pass "
                           "--tls-cert and --tls-key");
  }
  return hint;
}

std::string PlaintextTokenWarning(const std::string& target, const ClientSecurity& security) {
  if (security.token.empty() || security.tls() || IsLoopbackTarget(target)) return "";
  return absl::StrCat("warning: sending the token to ", target,
                      " without TLS: anyone on the network path can read it; pass --tls-ca");
}

}  // namespace sg
