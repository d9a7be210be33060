// The plain parts of authentication: the token file's format, roles and the access policy, the
// bearer header check, and which listen addresses may be served without TLS and tokens.
#include <string>

#include "absl/strings/str_cat.h"
#include "common/secrets.h"
#include "coordinator/access_policy.h"
#include "coordinator/authorizer.h"
#include "coordinator/server_security.h"
#include "coordinator/token_table.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sg {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(TokenTableTest, ParsesLinesAndFindsTokensByHash) {
  const std::string text = absl::StrCat("# comment\n\n", "alice researcher ", Sha256Hex("t-alice"),
                                        "\n  bob\treader  ", Sha256Hex("t-bob"), "  \n");
  auto table = TokenTable::Parse(text, "tokens");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->size(), 2u);
  ASSERT_NE(table->Find("t-alice"), nullptr);
  EXPECT_EQ(table->Find("t-alice")->name, "alice");
  EXPECT_EQ(table->Find("t-alice")->role, Role::kResearcher);
  EXPECT_EQ(table->Find("t-bob")->role, Role::kReader);
  EXPECT_EQ(table->Find("t-carol"), nullptr);
  EXPECT_EQ(table->Find(""), nullptr);
}

TEST(TokenTableTest, BadLinesAreRefusedNamingLineAndFieldNeverTheHash) {
  const std::string hash = Sha256Hex("x");
  struct Case {
    std::string text, expect;
  } cases[] = {
      {"alice admin", "tokens:1: expected 3 fields"},
      {absl::StrCat("al ice admin ", hash), "expected 3 fields"},
      {absl::StrCat("al/ice admin ", hash), "tokens:1: name"},
      {absl::StrCat("alice boss ", hash), "role 'boss' is not one of"},
      {"alice admin sg_plaintext", "SHA-256 as 64 hex digits"},
      {absl::StrCat("a admin ", hash, "\na reader ", Sha256Hex("y")),
       "tokens:2: name 'a' appears twice"},
      {absl::StrCat("a admin ", hash, "\nb reader ", hash), "same hash"},
      {"# only a comment\n", "holds no token line"},
  };
  for (const Case& c : cases) {
    auto table = TokenTable::Parse(c.text, "tokens");
    ASSERT_FALSE(table.ok()) << c.text;
    EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(table.status().message()), HasSubstr(c.expect));
    EXPECT_THAT(std::string(table.status().message()), Not(HasSubstr(hash)));
  }
}

TEST(TokenTableTest, CreateTokenPrintsAFreshTokenAndItsLine) {
  auto a = CreateToken("w-7", Role::kWorker, SystemRandom());
  auto b = CreateToken("w-7", Role::kWorker, SystemRandom());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->token, b->token);
  EXPECT_GE(a->token.size(), 32u);
  EXPECT_EQ(a->line, absl::StrCat("w-7 worker ", Sha256Hex(a->token)));
  auto table = TokenTable::Parse(a->line, "line");
  ASSERT_TRUE(table.ok());
  ASSERT_NE(table->Find(a->token), nullptr);
  EXPECT_FALSE(CreateToken("bad name", Role::kAdmin, SystemRandom()).ok());
}

TEST(AccessPolicyTest, RolesAndDescriptions) {
  EXPECT_EQ(*ParseRole("admin"), Role::kAdmin);
  EXPECT_FALSE(ParseRole("root").ok());
  EXPECT_EQ(DescribeRoles({Role::kAdmin}), "admin");
  EXPECT_EQ(DescribeRoles({Role::kAdmin, Role::kResearcher, Role::kReader}),
            "admin, researcher or reader");
  EXPECT_EQ(AllowedRoles("/sg.v1.SweepService/NoSuchMethod"), nullptr);
}

TEST(AuthorizerTest, WithoutATokenFileEveryoneIsAnonymousButUnknownMethodsAreClosed) {
  Authorizer open;
  EXPECT_FALSE(open.enabled());
  auto caller = open.AuthorizeHeader(std::nullopt, "/sg.v1.SweepService/SubmitSweep");
  ASSERT_TRUE(caller.ok());
  EXPECT_TRUE(caller->anonymous());
  EXPECT_EQ(open.AuthorizeHeader(std::nullopt, "/sg.v1.SweepService/Nope").status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(ListenSecurityTest, LoopbackIsFreeOtherAddressesNeedTlsAndTokensOrInsecure) {
  for (const char* listen : {"127.0.0.1:7431", "127.1.2.3:0", "localhost:7431", "[::1]:7431"}) {
    EXPECT_TRUE(IsLoopbackListen(listen)) << listen;
    EXPECT_TRUE(CheckListenSecurity(listen, false, false, false).ok()) << listen;
  }
  for (const char* listen : {"0.0.0.0:7431", "[::]:7431", "10.0.0.5:7431", "gpu-7:7431",
                             "127.example.org:1"}) {
    EXPECT_FALSE(IsLoopbackListen(listen)) << listen;
    absl::Status refused = CheckListenSecurity(listen, false, false, false);
    EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << listen;
    EXPECT_THAT(std::string(refused.message()), HasSubstr("--tls-cert"));
    EXPECT_THAT(std::string(refused.message()), HasSubstr("--auth-tokens"));
    EXPECT_THAT(std::string(CheckListenSecurity(listen, true, false, false).message()),
                Not(HasSubstr("--tls-cert")));
    EXPECT_FALSE(CheckListenSecurity(listen, false, true, false).ok());
    EXPECT_TRUE(CheckListenSecurity(listen, true, true, false).ok());
    EXPECT_TRUE(CheckListenSecurity(listen, false, false, true).ok());
  }
}

TEST(ListenSecurityTest, TlsFlagsComeInPairs) {
  EXPECT_THAT(std::string(LoadServerTls("cert.pem", "", "").status().message()),
              HasSubstr("give both"));
  EXPECT_THAT(std::string(LoadServerTls("", "", "ca.pem").status().message()),
              HasSubstr("--tls-client-ca: needs --tls-cert"));
  EXPECT_EQ(LoadServerTls("/nonexistent.pem", "/nonexistent.key", "").status().code(),
            absl::StatusCode::kNotFound);
  auto none = LoadServerTls("", "", "");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->enabled());
}

}  // namespace
}  // namespace sg
