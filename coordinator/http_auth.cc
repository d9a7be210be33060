#include "coordinator/http_auth.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace sg {

namespace {

std::string CookieFlags(bool secure) {
  return absl::StrCat("; Path=/; HttpOnly; SameSite=Strict", secure ? "; Secure" : "");
}

}  // namespace

std::string RequestToken(absl::string_view authorization_header,
                         absl::string_view cookie_header) {
  if (!authorization_header.empty()) {
    absl::string_view value = absl::StripAsciiWhitespace(authorization_header);
    // An Authorization header that is not a bearer token yields "" (refused as no token), not
    // the cookie: a client that sent a header meant that header.
    if (value.size() > 7 && absl::StartsWithIgnoreCase(value, "bearer ")) {
      return std::string(absl::StripAsciiWhitespace(value.substr(7)));
    }
    return "";
  }
  for (absl::string_view pair : absl::StrSplit(cookie_header, ';')) {
    pair = absl::StripAsciiWhitespace(pair);
    if (absl::ConsumePrefix(&pair, kTokenCookie) && absl::ConsumePrefix(&pair, "=")) {
      return std::string(pair);
    }
  }
  return "";
}

bool IsCookieSafeToken(absl::string_view token) {
  if (token.empty() || token.size() > 512) return false;
  for (char c : token) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' &&
        c != '~' && c != '+' && c != '/') {
      return false;
    }
  }
  return true;
}

std::string LoginCookie(absl::string_view token, bool secure) {
  return absl::StrCat(kTokenCookie, "=", token, CookieFlags(secure));
}

std::string LogoutCookie(bool secure) {
  return absl::StrCat(kTokenCookie, "=; Max-Age=0", CookieFlags(secure));
}

}  // namespace sg
