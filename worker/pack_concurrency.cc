#include "worker/pack_concurrency.h"

#include <algorithm>

#include "absl/strings/str_format.h"

namespace sg {

PackConcurrency::PackConcurrency(PackConcurrencyOptions options) : options_(options) {}

double PackConcurrency::MeasuredRate(int packs) const {
  auto it = measured_.find(packs);
  return it == measured_.end() ? 0 : it->second;
}

void PackConcurrency::ObserveUnsteady() {
  ++samples_seen_;
  samples_.clear();
}

std::optional<PackConcurrency::Decision> PackConcurrency::OutOfMemory() {
  if (target_ <= 1) return std::nullopt;
  const int from = target_;
  target_ = from - 1;
  ceiling_ = target_;
  samples_at_ceiling_ = 0;
  held_by_memory_ = false;
  samples_.clear();
  return Decision{from, target_, absl::StrFormat("a pack ran out of memory; back to %d", target_)};
}

std::optional<PackConcurrency::Decision> PackConcurrency::Observe(int running, double work_rate,
                                                                  bool memory_for_another) {
  ++samples_seen_;
  // Fewer packs than the target (the queue ran short, or a pack is being claimed) or more (a
  // step down waits for a pack to end): no evidence about the target level.
  if (running != target_) {
    samples_.clear();
    return std::nullopt;
  }
  if (ceiling_ != 0 && target_ == ceiling_ && ++samples_at_ceiling_ >= options_.reprobe_after_samples) {
    // The packs now running may differ from those that set the ceiling: try above it again.
    ceiling_ = 0;
    samples_at_ceiling_ = 0;
    samples_.clear();
  }
  samples_.push_back(work_rate);
  if (static_cast<int>(samples_.size()) < std::max(1, options_.samples_per_level)) {
    return std::nullopt;
  }
  double sum = 0;
  for (double s : samples_) sum += s;
  measured_[target_] = sum / static_cast<double>(samples_.size());
  measured_at_[target_] = samples_seen_;
  samples_.clear();
  return Decide(memory_for_another);
}

std::optional<PackConcurrency::Decision> PackConcurrency::Decide(bool memory_for_another) {
  const int level = target_;
  const double rate = measured_[level];
  auto below = measured_.find(level - 1);
  // The level below measured on packs that have since ended: no evidence against this level.
  const bool stale = below != measured_.end() &&
                     samples_seen_ - measured_at_[level - 1] > options_.stale_after_samples;
  if (stale) below = measured_.end();
  const bool paid = level == 1 || below == measured_.end() ||
                    rate > below->second * (1.0 + options_.min_gain);
  if (!paid) {
    held_by_memory_ = false;
    target_ = level - 1;
    ceiling_ = target_;
    samples_at_ceiling_ = 0;
    return Decision{level, target_,
                    absl::StrFormat("%d packs gave %.4g multiply-adds/s, %d gave %.4g: not more "
                                    "than %.0f%% better, back to %d",
                                    level, rate, level - 1, below->second,
                                    100 * options_.min_gain, target_)};
  }
  const std::string measured =
      stale ? absl::StrFormat("%d pack(s) gave %.4g multiply-adds/s (%d's measurement is older "
                              "than %d samples: not compared)",
                              level, rate, level - 1, options_.stale_after_samples)
      : level == 1 || below == measured_.end()
          ? absl::StrFormat("%d pack(s) gave %.4g multiply-adds/s", level, rate)
          : absl::StrFormat("%d packs gave %.4g multiply-adds/s, %d gave %.4g (+%.0f%%)", level,
                            rate, level - 1, below->second,
                            100 * (rate / std::max(below->second, 1e-300) - 1));
  if (level >= options_.max_packs) return std::nullopt;  // at the cap: nothing to decide
  if (ceiling_ != 0 && level >= ceiling_) return std::nullopt;  // a step above did not pay
  if (!memory_for_another) {
    if (held_by_memory_) return std::nullopt;  // said once
    held_by_memory_ = true;
    return Decision{level, level, measured + "; another pack does not fit in memory, staying"};
  }
  held_by_memory_ = false;
  target_ = level + 1;
  return Decision{level, target_, measured + absl::StrFormat("; trying %d", target_)};
}

}  // namespace sg
