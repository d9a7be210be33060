// Evaluation-mode computations over a whole pack (experiment.md §4.1, §5.1, §5.2): LM loss on a
// split, attention entropy, weight norms. Trainer-internal (LibTorch). All run without
// gradients and without dropout, and split work into row chunks that fit a memory budget.
#ifndef SG_TRAINER_EVAL_PACK_EVAL_H_
#define SG_TRAINER_EVAL_PACK_EVAL_H_

#include <cstdint>
#include <vector>

#include "tasks/model_scorer.h"
#include "trainer/model/pack_model.h"

namespace sg {

struct EvalBudget {
  int64_t max_rows = 128;           // sequences per forward
  int64_t max_bytes = 512LL << 20;  // rough activation memory per forward
};

// A host tensor on `device` without making the host wait: on CUDA it is copied from pinned
// memory asynchronously (a pageable copy would block until the device has run everything
// queued, so the host could not prepare the next chunk while the device computes this one).
torch::Tensor ToDeviceAsync(const torch::Tensor& host, torch::Device device);
torch::Tensor ToDeviceAsync(const std::vector<int64_t>& values, torch::Device device);

// How many rows of length T one eval forward of S seeds may take (at least 1).
int64_t RowsPerChunk(const ModelShape& shape, int64_t num_seeds, int64_t max_len,
                     const EvalBudget& budget);

// §4.1: lines in order, batches of `batch_size`, token-mean cross-entropy per batch (EOS target
// included), plain mean over batches. One value per seed. Empty `lines`: NaN. Computed from
// per-line loss sums over length-sorted chunks (less padding than file-order batches); the
// value equals one forward per file-order batch up to float rounding.
std::vector<double> EvalLmLoss(PackModel& model, const std::vector<TokenIds>& lines,
                               int32_t sos, int32_t eos, int64_t batch_size,
                               const EvalBudget& budget);

// §5.2: for each sentence (input SOS + words, nothing after), (1/L) sum over layers and over
// positions of the entropy (nats) of the head-averaged attention row; mean over sentences.
std::vector<double> EvalAttentionEntropy(PackModel& model, const std::vector<TokenIds>& sentences,
                                         int32_t sos, const EvalBudget& budget);

// §5.1: raw L2 norm of every parameter of each seed's model.
std::vector<double> WeightNorms(PackModel& model);

// Expected squared norm at initialisation of the reference's 6 unused decoder layers (§1.7) for
// width d and feed-forward ff: 48,546 for d 512 / ff 2048. Added under the square root to give
// the reference-comparable weight norm.
double DeadDecoderSquaredNorm(int64_t d, int64_t ff);

}  // namespace sg

#endif  // SG_TRAINER_EVAL_PACK_EVAL_H_
