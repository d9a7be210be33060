// Files named by command-line flags: secrets and certificates read whole, and the port files
// written for scripts and tests. One place, so every binary reports a bad path the same way
// (the flag, the path, the system's reason).
#ifndef SG_COMMON_FLAG_FILES_H_
#define SG_COMMON_FLAG_FILES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sg {

// The whole file at `path`; NOT_FOUND (PERMISSION_DENIED when unreadable for lack of rights)
// naming `flag` and the path otherwise.
absl::StatusOr<std::string> ReadFlagFile(const std::string& path, const std::string& flag);

// Writes `text` to `path` through a temporary name and a rename, so a reader polling the path
// never sees a partial number. Errors name `flag` and the path.
absl::Status WriteFlagFileAtomically(const std::string& path, const std::string& text,
                                     const std::string& flag);

}  // namespace sg

#endif  // SG_COMMON_FLAG_FILES_H_
