#include "trainer/model/data_order.h"

#include <algorithm>
#include <random>

namespace sg {

uint64_t MixSeed(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

namespace {

// Uniform in [0, bound) by rejection, so no modulo bias and no implementation-defined
// std::uniform_int_distribution.
uint64_t Bounded(std::mt19937_64& rng, uint64_t bound) {
  const uint64_t limit = UINT64_MAX - (UINT64_MAX % bound);
  uint64_t r;
  do {
    r = rng();
  } while (r >= limit);
  return r % bound;
}

}  // namespace

std::vector<int64_t> EpochPermutation(int64_t seed, int64_t epoch, int64_t n) {
  std::mt19937_64 rng(MixSeed(MixSeed(static_cast<uint64_t>(seed)) ^
                              (static_cast<uint64_t>(epoch) * 0x2545f4914f6cdd1dULL + 1)));
  std::vector<int64_t> perm(n);
  for (int64_t i = 0; i < n; ++i) perm[i] = i;
  for (int64_t i = n - 1; i > 0; --i) {
    const int64_t j = static_cast<int64_t>(Bounded(rng, static_cast<uint64_t>(i + 1)));
    std::swap(perm[i], perm[j]);
  }
  return perm;
}

DataOrder::DataOrder(int64_t seed, int64_t num_lines, int64_t batch_size)
    : seed_(seed), num_lines_(num_lines), batch_size_(batch_size) {
  perm_ = EpochPermutation(seed_, epoch_, num_lines_);
}

void DataOrder::Restore(int64_t epoch, int64_t position) {
  epoch_ = epoch;
  position_ = position;
  perm_ = EpochPermutation(seed_, epoch_, num_lines_);
}

std::vector<int64_t> DataOrder::NextBatch() {
  if (position_ >= num_lines_) {
    ++epoch_;
    position_ = 0;
    perm_ = EpochPermutation(seed_, epoch_, num_lines_);
  }
  const int64_t end = std::min(num_lines_, position_ + batch_size_);
  std::vector<int64_t> batch(perm_.begin() + position_, perm_.begin() + end);
  position_ = end;
  return batch;
}

}  // namespace sg
