// A small seeded random source whose draws are identical on every platform: std::mt19937_64's
// output sequence is fixed by the standard, but the std::*_distribution classes are not, so the
// bounded-integer and Bernoulli draws are written here.
#ifndef SG_TASKS_RNG_H_
#define SG_TASKS_RNG_H_

#include <cstdint>
#include <random>

namespace sg {

// Not thread-safe: one per generator.
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}

  uint64_t Next() { return engine_(); }

  // Uniform in [0, n) for n >= 1, by rejection (no modulo bias).
  uint64_t Below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do {
      x = engine_();
    } while (x >= limit);
    return x % n;
  }

  // Uniform double in [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(engine_() >> 11) * (1.0 / 9007199254740992.0); }

  bool Bernoulli(double p) { return Uniform() < p; }

  // Index i with probability weights[i] / sum(weights).
  template <typename Container>
  int Choose(const Container& weights) {
    double total = 0;
    for (double w : weights) total += w;
    double u = Uniform() * total;
    int i = 0;
    for (double w : weights) {
      if (u < w) return i;
      u -= w;
      ++i;
    }
    return i - 1;  // rounding: the last bucket
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace sg

#endif  // SG_TASKS_RNG_H_
