// The coordinator's bearer tokens: a text file of `name role SHA256-HEX-OF-TOKEN` lines (blank
// lines and lines starting with '#' are skipped). Only hashes are kept, in the file and in
// memory; a presented token is hashed and looked up. `sg-coordinator token create` prints a new
// token once together with the line to add.
//
// Thread-safety: a TokenTable is immutable after Parse; Find may be called from any thread.
#ifndef SG_COORDINATOR_TOKEN_TABLE_H_
#define SG_COORDINATOR_TOKEN_TABLE_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/secrets.h"
#include "coordinator/access_policy.h"

namespace sg {

struct TokenEntry {
  std::string name;  // letters, digits and . _ @ -; unique in the file
  Role role = Role::kReader;
};

class TokenTable {
 public:
  // Parses the file's text. kInvalidArgument naming `source`, the line and the field (never
  // repeating a hash). A file without any token line is refused: it would lock everyone out.
  static absl::StatusOr<TokenTable> Parse(absl::string_view text, absl::string_view source);
  // Reads and parses the file (kNotFound / kPermissionDenied naming the path when unreadable).
  static absl::StatusOr<TokenTable> Load(const std::string& path);

  // The entry whose hash is SHA-256(token), or nullptr.
  const TokenEntry* Find(absl::string_view token) const;
  size_t size() const { return by_hash_.size(); }

 private:
  std::map<std::string, TokenEntry> by_hash_;  // lower-case hex SHA-256 -> entry
};

// A token name is valid when non-empty, at most 64 characters of [A-Za-z0-9._@-].
bool IsValidTokenName(absl::string_view name);

// What `sg-coordinator token create` prints: a fresh token (32 random bytes as 64 hex digits,
// prefixed "sg_") and its token-file line. kInvalidArgument for a bad name.
struct NewToken {
  std::string token;
  std::string line;  // "name role sha256hex"
};
absl::StatusOr<NewToken> CreateToken(absl::string_view name, Role role, RandomSource* random);

}  // namespace sg

#endif  // SG_COORDINATOR_TOKEN_TABLE_H_
