#include "trainer/model/update_choice.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace sg {

absl::Status ApplyUpdateChoice(const char* value, PackTrainerOptions* options) {
  const std::string v = value == nullptr ? "" : value;
  if (v.empty()) return absl::OkStatus();
  if (v == "1" || v == "on") {
    options->update_beside_forward = true;
  } else if (v == "0" || v == "off") {
    options->update_beside_forward = false;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        kUpdateBesideForwardEnv, "=", v,
        " is not a choice: use 1 or on (each graph step's AdamW beside the next step's "
        "forward), 0 or off (at the end of each step), or leave it unset for the default"));
  }
  return absl::OkStatus();
}

}  // namespace sg
