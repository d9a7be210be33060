// Which attention sg-train's packed rows use on CUDA, as its environment asks
// (SG_LINE_ATTENTION): an operator's switch, beside SG_PACK_LINES, to fall back from our
// attention per line without a rebuild (docs/trainer.md).
#ifndef SG_TRAINER_MODEL_ATTENTION_CHOICE_H_
#define SG_TRAINER_MODEL_ATTENTION_CHOICE_H_

#include "absl/status/status.h"
#include "trainer/model/pack_trainer.h"

namespace sg {

// The environment variable's name.
inline constexpr char kLineAttentionEnv[] = "SG_LINE_ATTENTION";

// Sets options->own_line_attention and options->line_attention from the variable's value:
// unset or empty or "sg": our kernels (the defaults); "libtorch": LibTorch's kernel, which
// serves training without dropout only and is not reproducible bit for bit; "masked": the
// block-diagonal mask in every row. Anything else is an InvalidArgument naming the variable
// and its values, and leaves the options as they were.
absl::Status ApplyLineAttentionChoice(const char* value, PackTrainerOptions* options);

}  // namespace sg

#endif  // SG_TRAINER_MODEL_ATTENTION_CHOICE_H_
