#include "coordinator/authorizer.h"

#include <cstdio>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace sg {
namespace {

constexpr char kHowToGetOne[] =
    "pass --token-file FILE or set SG_TOKEN_FILE or SG_TOKEN (an admin makes tokens with "
    "`sg-coordinator token create`)";

// Refusals are logged (nothing silent); the line names the method and at most a token's name.
void LogRefusal(absl::string_view method, const absl::Status& status) {
  std::fprintf(stderr, "sg-coordinator: refused %.*s: %s\n", static_cast<int>(method.size()),
               method.data(), status.ToString().c_str());
}

}  // namespace

Authorizer::Authorizer(std::string token_file, TokenTable table)
    : token_file_(std::move(token_file)),
      table_(std::make_shared<const TokenTable>(std::move(table))) {}

absl::StatusOr<std::unique_ptr<Authorizer>> Authorizer::FromFile(const std::string& token_file) {
  SG_ASSIGN_OR_RETURN(TokenTable table, TokenTable::Load(token_file));
  return std::unique_ptr<Authorizer>(new Authorizer(token_file, std::move(table)));
}

absl::StatusOr<size_t> Authorizer::Reload() {
  if (!enabled()) return absl::FailedPreconditionError("no --auth-tokens file to reload");
  SG_ASSIGN_OR_RETURN(TokenTable table, TokenTable::Load(token_file_));
  const size_t n = table.size();
  absl::MutexLock lock(&mu_);
  table_ = std::make_shared<const TokenTable>(std::move(table));
  return n;
}

absl::StatusOr<Caller> Authorizer::Authorize(const grpc::ServerContext& context,
                                             absl::string_view method) const {
  std::optional<absl::string_view> header;
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it != metadata.end()) header = absl::string_view(it->second.data(), it->second.size());
  return AuthorizeHeader(header, method);
}

absl::StatusOr<Caller> Authorizer::AuthorizeHeader(std::optional<absl::string_view> authorization,
                                                   absl::string_view method) const {
  const std::vector<Role>* allowed = AllowedRoles(method);
  if (allowed == nullptr) {
    // An RPC nobody assigned roles to is closed, even without tokens.
    absl::Status refused = absl::PermissionDeniedError(absl::StrCat(
        method, ": no role may call this method (it has no entry in the access policy)"));
    LogRefusal(method, refused);
    return refused;
  }
  if (!enabled()) return Caller{};
  if (!authorization.has_value()) {
    absl::Status refused = absl::UnauthenticatedError(absl::StrCat(
        "this coordinator requires a token (role ", DescribeRoles(*allowed), " for ", method,
        "): ", kHowToGetOne));
    LogRefusal(method, refused);
    return refused;
  }
  absl::string_view value = absl::StripAsciiWhitespace(*authorization);
  if (!absl::StartsWithIgnoreCase(value, "bearer ")) {
    absl::Status refused = absl::UnauthenticatedError(
        "the authorization metadata must be 'Bearer TOKEN'; sgctl and sg-worker send it from "
        "--token-file, SG_TOKEN_FILE or SG_TOKEN");
    LogRefusal(method, refused);
    return refused;
  }
  absl::string_view token = absl::StripAsciiWhitespace(value.substr(7));
  std::shared_ptr<const TokenTable> table;
  {
    absl::MutexLock lock(&mu_);
    table = table_;
  }
  const TokenEntry* entry = table->Find(token);
  if (entry == nullptr) {
    absl::Status refused = absl::UnauthenticatedError(absl::StrCat(
        "the token is not known to this coordinator (mistyped, or revoked from its token "
        "file); ", method, " needs a token with role ", DescribeRoles(*allowed)));
    LogRefusal(method, refused);
    return refused;
  }
  for (Role role : *allowed) {
    if (role == entry->role) return Caller{entry->name, RoleName(entry->role)};
  }
  absl::Status refused = absl::PermissionDeniedError(absl::StrCat(
      method, " needs role ", DescribeRoles(*allowed), "; token '", entry->name, "' has role ",
      RoleName(entry->role)));
  LogRefusal(method, refused);
  return refused;
}

}  // namespace sg
