// Who an HTTP request speaks for: its token, from the `Authorization: Bearer TOKEN` header or
// else the `sg_token` cookie that POST /api/v1/login sets. The gateway passes the token on to
// gRPC unchanged; the Authorizer behind the SweepService decides (docs/security.md).
//
// Thread-safety: plain functions.
#ifndef SG_COORDINATOR_HTTP_AUTH_H_
#define SG_COORDINATOR_HTTP_AUTH_H_

#include <string>

#include "absl/strings/string_view.h"

namespace sg {

inline constexpr char kTokenCookie[] = "sg_token";

// The token of a request with these header values ("" when absent): the bearer token when the
// Authorization header is given, else the sg_token cookie's value, else "".
std::string RequestToken(absl::string_view authorization_header, absl::string_view cookie_header);

// True when `token` can be a cookie's value and an HTTP header's (no separators, spaces or
// control characters; 1..512 characters). Tokens of `sg-coordinator token create` are hex.
bool IsCookieSafeToken(absl::string_view token);

// The Set-Cookie value that stores `token` in the browser: HttpOnly (scripts cannot read it),
// SameSite=Strict (other sites' pages cannot send it), Path=/, and Secure under TLS.
std::string LoginCookie(absl::string_view token, bool secure);
// The Set-Cookie value that removes it.
std::string LogoutCookie(bool secure);

}  // namespace sg

#endif  // SG_COORDINATOR_HTTP_AUTH_H_
