// Per-seed training data order (experiment.md §2.2): every epoch a fresh uniform permutation of
// the training lines, consumed in consecutive chunks of batch_size, the last chunk kept even if
// smaller. Fisher-Yates over std::mt19937_64 (whose output the C++ standard fixes) with our own
// unbiased bounded draws, so the order is identical on every platform; the permutation of epoch
// e is a pure function of (seed, e), so the whole state is (epoch, position).
// Torch-free. Not thread-safe.
#ifndef SG_TRAINER_MODEL_DATA_ORDER_H_
#define SG_TRAINER_MODEL_DATA_ORDER_H_

#include <cstdint>
#include <vector>

namespace sg {

// SplitMix64 finaliser: a good 64-bit mix, used to derive independent stream seeds.
uint64_t MixSeed(uint64_t x);

// The permutation of 0..n-1 for (seed, epoch), Fisher-Yates with unbiased bounded draws.
std::vector<int64_t> EpochPermutation(int64_t seed, int64_t epoch, int64_t n);

class DataOrder {
 public:
  DataOrder(int64_t seed, int64_t num_lines, int64_t batch_size);

  // The line indices of the next batch (1..batch_size of them); advances the position.
  std::vector<int64_t> NextBatch();

  int64_t epoch() const { return epoch_; }
  int64_t position() const { return position_; }
  // Restores a state read from a checkpoint (as returned by epoch()/position()).
  void Restore(int64_t epoch, int64_t position);

 private:
  int64_t seed_;
  int64_t num_lines_;
  int64_t batch_size_;
  int64_t epoch_ = 0;
  int64_t position_ = 0;
  std::vector<int64_t> perm_;  // of epoch_
};

}  // namespace sg

#endif  // SG_TRAINER_MODEL_DATA_ORDER_H_
