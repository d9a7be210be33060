#include "coordinator/token_table.h"

#include <set>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/flag_files.h"
#include "common/status_macros.h"

namespace sg {

bool IsValidTokenName(absl::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' &&
        c != '@' && c != '-') {
      return false;
    }
  }
  return true;
}

absl::StatusOr<TokenTable> TokenTable::Parse(absl::string_view text, absl::string_view source) {
  TokenTable table;
  std::set<std::string> names;
  int line_number = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line_number;
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (line.empty() || line.front() == '#') continue;
    const std::string where = absl::StrCat(source, ":", line_number, ": ");
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (fields.size() != 3) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "expected 3 fields 'name role sha256-hex-of-token', got ", fields.size(),
          "; `sg-coordinator token create --name N --role R` prints a valid line"));
    }
    if (!IsValidTokenName(fields[0])) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "name: must be 1 to 64 letters, digits or . _ @ -"));
    }
    absl::StatusOr<Role> role = ParseRole(fields[1]);
    if (!role.ok()) return absl::InvalidArgumentError(absl::StrCat(where, role.status().message()));
    if (!IsSha256Hex(fields[2])) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "the third field must be the token's SHA-256 as 64 hex digits (never the "
                 "token itself)"));
    }
    const std::string name(fields[0]);
    if (!names.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "name '", name, "' appears twice; each token needs its own name"));
    }
    std::string hash = absl::AsciiStrToLower(fields[2]);
    if (!table.by_hash_.emplace(std::move(hash), TokenEntry{name, *role}).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "token '", name, "' has the same hash as an earlier line; give each its own "
                 "token"));
    }
  }
  if (table.by_hash_.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": holds no token line; add one with `sg-coordinator token create --name N "
                "--role admin`, or start without --auth-tokens (loopback only)"));
  }
  return table;
}

absl::StatusOr<TokenTable> TokenTable::Load(const std::string& path) {
  SG_ASSIGN_OR_RETURN(std::string text, ReadFlagFile(path, "--auth-tokens"));
  return Parse(text, path);
}

const TokenEntry* TokenTable::Find(absl::string_view token) const {
  if (token.empty()) return nullptr;
  auto it = by_hash_.find(Sha256Hex(token));
  return it == by_hash_.end() ? nullptr : &it->second;
}

absl::StatusOr<NewToken> CreateToken(absl::string_view name, Role role, RandomSource* random) {
  if (!IsValidTokenName(name)) {
    return absl::InvalidArgumentError("--name: must be 1 to 64 letters, digits or . _ @ -");
  }
  SG_ASSIGN_OR_RETURN(std::string hex, random->RandomHex(32));
  NewToken out;
  out.token = absl::StrCat("sg_", hex);
  out.line = absl::StrCat(name, " ", RoleName(role), " ", Sha256Hex(out.token));
  return out;
}

}  // namespace sg
