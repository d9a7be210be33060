// The pack-level dropout stream of the CUDA-graph step (pack_trainer.h says why a captured
// graph needs one). Trainer-internal (LibTorch).
#ifndef SG_TRAINER_MODEL_PACK_DROPOUT_H_
#define SG_TRAINER_MODEL_PACK_DROPOUT_H_

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace sg {

// Reseeds `device`'s default generator with the pack-level dropout stream of update `update`
// of a pack of `seeds`: the masks of that update then depend on nothing else.
void SeedPackDropout(const torch::Device& device, const std::vector<int64_t>& seeds,
                     int64_t update);

}  // namespace sg

#endif  // SG_TRAINER_MODEL_PACK_DROPOUT_H_
