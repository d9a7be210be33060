// Secrets: SHA-256 digests, random tokens from the operating system's CSPRNG, and a comparison
// whose time does not depend on where two strings differ. Backed by OpenSSL's libcrypto.
//
// Thread-safety: every function may be called from any thread.
#ifndef SG_COMMON_SECRETS_H_
#define SG_COMMON_SECRETS_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sg {

// The SHA-256 digest of `data` as 64 lower-case hex digits.
std::string Sha256Hex(absl::string_view data);

// True when `s` is 64 hex digits (either case), the form Sha256Hex returns.
bool IsSha256Hex(absl::string_view s);

// Where fresh secrets come from. An interface so that the coordinator's callers can say which
// source they use; production uses SystemRandom().
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // `bytes` random bytes as 2*bytes lower-case hex digits. kInternal if the source failed
  // (never returns a predictable value instead).
  virtual absl::StatusOr<std::string> RandomHex(size_t bytes) = 0;
};

// The operating system's CSPRNG (OpenSSL RAND_bytes). A process-wide object; never null.
RandomSource* SystemRandom();

// Equal length and equal bytes, in time that depends only on the lengths.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace sg

#endif  // SG_COMMON_SECRETS_H_
