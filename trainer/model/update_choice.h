// Where sg-train's graph steps run each update, as its environment asks
// (SG_UPDATE_BESIDE_FORWARD): an operator's switch, beside SG_PACK_LINES, SG_LINE_ATTENTION and
// SG_RAGGED, meant to try the update beside the next step's forward without a rebuild
// (PackTrainerOptions::update_beside_forward; docs/trainer.md). Withheld since session 20's
// GPU tests found its steps differ: only 0 or off is taken.
#ifndef SG_TRAINER_MODEL_UPDATE_CHOICE_H_
#define SG_TRAINER_MODEL_UPDATE_CHOICE_H_

#include "absl/status/status.h"
#include "trainer/model/pack_trainer.h"

namespace sg {

// The environment variable's name.
inline constexpr char kUpdateBesideForwardEnv[] = "SG_UPDATE_BESIDE_FORWARD";

// Sets options->update_beside_forward from the variable's value: unset or empty: as it is
// (the default); "0" or "off": off. "1" or "on" is a FailedPrecondition saying the option is
// withheld (its GPU tests found its steps differ from the update after the step: session 20,
// docs/performance.md); anything else is an InvalidArgument naming the variable and the values
// it takes. An error leaves the options as they were.
absl::Status ApplyUpdateChoice(const char* value, PackTrainerOptions* options);

}  // namespace sg

#endif  // SG_TRAINER_MODEL_UPDATE_CHOICE_H_
