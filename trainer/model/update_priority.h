// Where the update beside the next forward (GraphStepOptions::update_beside_forward) runs
// among the step's streams. The update's AdamW and that forward share the memory bandwidth,
// and each layer's forward waits for its own layer's update, so the update is the path the
// forward's first half waits on: which of the two the block scheduler serves first decides how
// much of the bandwidth the update gets.
#ifndef SG_TRAINER_MODEL_UPDATE_PRIORITY_H_
#define SG_TRAINER_MODEL_UPDATE_PRIORITY_H_

#include <optional>
#include <string_view>

namespace sg {

enum class UpdatePriority {
  kBelowChain,  // LibTorch's pool's normal priority, below the chain's high one
  kChain,       // the chain's own (LibTorch's high priority)
  kAboveChain,  // a stream of ours at the device's greatest priority: at least the chain's
};

// "below", "chain", "above": as sg-bench's --update-priority takes them.
inline const char* UpdatePriorityName(UpdatePriority p) {
  switch (p) {
    case UpdatePriority::kBelowChain:
      return "below";
    case UpdatePriority::kChain:
      return "chain";
    case UpdatePriority::kAboveChain:
      return "above";
  }
  return "?";
}

// The inverse of UpdatePriorityName; nullopt for any other name.
inline std::optional<UpdatePriority> UpdatePriorityFromName(std::string_view name) {
  for (UpdatePriority p :
       {UpdatePriority::kBelowChain, UpdatePriority::kChain, UpdatePriority::kAboveChain}) {
    if (name == UpdatePriorityName(p)) return p;
  }
  return std::nullopt;
}

}  // namespace sg

#endif  // SG_TRAINER_MODEL_UPDATE_PRIORITY_H_
