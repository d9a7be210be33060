// --help and --version for the binaries whose flags are Abseil flags (sg-coordinator,
// sg-worker). Abseil's --help lists only the flags of a file named after the program (e.g.
// sg-coordinator.cc), so a main.cc's flags printed "No flags matched."; this lists the flags of
// the given main file instead. Header-only: include it only from a main that links
// absl::flags_usage.
#ifndef SG_COMMON_FLAGS_USAGE_H_
#define SG_COMMON_FLAGS_USAGE_H_

#include <string>

#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/version.h"

namespace sg {

// Call before absl::ParseCommandLine. `main_file` is the end of the main file's path as the
// compiler saw it, e.g. "coordinator/main.cc"; `program` names the binary in --version.
inline void SetFlagsUsage(const std::string& program, const std::string& main_file) {
  absl::FlagsUsageConfig config;
  auto ours = [main_file](absl::string_view file) { return absl::EndsWith(file, main_file); };
  config.contains_helpshort_flags = ours;
  config.contains_help_flags = ours;
  config.contains_helppackage_flags = ours;
  config.version_string = [program] { return absl::StrCat(program, " ", kSgVersion, "\n"); };
  absl::SetFlagsUsageConfig(config);
}

}  // namespace sg

#endif  // SG_COMMON_FLAGS_USAGE_H_
