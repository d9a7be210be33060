#include "trainer/model/attention_choice.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace sg {

absl::Status ApplyLineAttentionChoice(const char* value, PackTrainerOptions* options) {
  const std::string v = value == nullptr ? "" : value;
  if (v.empty() || v == "sg") {
    options->own_line_attention = true;
    options->line_attention = true;
  } else if (v == "libtorch") {
    options->own_line_attention = false;
    options->line_attention = true;
  } else if (v == "masked") {
    options->own_line_attention = false;
    options->line_attention = false;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        kLineAttentionEnv, "=", v,
        " is not a choice: use sg (our attention per line, the default), libtorch "
        "(LibTorch's kernel; training without dropout only, not bit-exact on resume) or "
        "masked (the block-diagonal mask), or unset it"));
  }
  return absl::OkStatus();
}

}  // namespace sg
