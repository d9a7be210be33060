#include "coordinator/http_tls.h"

#include <memory>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "absl/strings/str_cat.h"

namespace sg {

namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

BioPtr MemoryBio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

std::string OpenSslError() {
  char text[256] = {0};
  ERR_error_string_n(ERR_get_error(), text, sizeof(text));
  return text;
}

}  // namespace

bool ConfigureHttpTls(const ServerTls& tls, SSL_CTX* ctx, std::string* error) {
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  BioPtr chain = MemoryBio(tls.cert_pem);
  X509* leaf = PEM_read_bio_X509(chain.get(), nullptr, nullptr, nullptr);
  if (leaf == nullptr || SSL_CTX_use_certificate(ctx, leaf) != 1) {
    if (leaf != nullptr) X509_free(leaf);
    *error = absl::StrCat("--tls-cert: ", OpenSslError());
    return false;
  }
  X509_free(leaf);  // the context holds its own reference
  // The rest of the chain: intermediates, owned by the context once added.
  while (X509* extra = PEM_read_bio_X509(chain.get(), nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add_extra_chain_cert(ctx, extra) != 1) {
      X509_free(extra);
      *error = absl::StrCat("--tls-cert: ", OpenSslError());
      return false;
    }
  }
  ERR_clear_error();  // the loop ends on an expected "no start line"
  BioPtr key_bio = MemoryBio(tls.key_pem);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr);
  const bool key_ok = key != nullptr && SSL_CTX_use_PrivateKey(ctx, key) == 1 &&
                      SSL_CTX_check_private_key(ctx) == 1;
  if (key != nullptr) EVP_PKEY_free(key);
  if (!key_ok) {
    *error = absl::StrCat("--tls-key: does not load or match --tls-cert: ", OpenSslError());
    return false;
  }
  if (!tls.client_ca_pem.empty()) {
    BioPtr ca_bio = MemoryBio(tls.client_ca_pem);
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    int loaded = 0;
    while (X509* ca = PEM_read_bio_X509(ca_bio.get(), nullptr, nullptr, nullptr)) {
      if (X509_STORE_add_cert(store, ca) == 1) ++loaded;
      X509_free(ca);
    }
    ERR_clear_error();
    if (loaded == 0) {
      *error = "--tls-client-ca: no certificate in it";
      return false;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return true;
}

}  // namespace sg
