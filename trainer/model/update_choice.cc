#include "trainer/model/update_choice.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace sg {

absl::Status ApplyUpdateChoice(const char* value, PackTrainerOptions* options) {
  const std::string v = value == nullptr ? "" : value;
  if (v.empty()) return absl::OkStatus();
  if (v == "1" || v == "on") {
    // Withheld, not removed: its first GPU run (session 20) found its steps differ from the
    // update after the step, so turned on it would train something else.
    return absl::FailedPreconditionError(absl::StrCat(
        kUpdateBesideForwardEnv, "=", v,
        ": the update beside the next forward is withheld: on the GPU (2026-12-05) its steps "
        "differed from the update after the step (DeferredUpdateTest), so it would train "
        "something else; unset the variable or set it to 0 or off (docs/performance.md, \"The "
        "update beside the next forward\")"));
  } else if (v == "0" || v == "off") {
    options->update_beside_forward = false;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        kUpdateBesideForwardEnv, "=", v,
        " is not a choice: use 0 or off (each update at the end of its step), or leave it "
        "unset for the default (1 and on are withheld: the update beside the next forward "
        "failed its GPU tests)"));
  }
  return absl::OkStatus();
}

}  // namespace sg
