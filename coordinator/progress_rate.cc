#include "coordinator/progress_rate.h"

#include <algorithm>

namespace sg {

void ProgressRate::Claimed(int64_t run_id, const std::string& token, int64_t step,
                           int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  ForgetIdle(now_ms);
  Window& w = runs_[run_id];
  w.token = token;
  w.samples.clear();
  w.samples.emplace_back(now_ms, step);
}

double ProgressRate::Observe(int64_t run_id, const std::string& token, int64_t step,
                             double reported,
                             int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  ForgetIdle(now_ms);
  Window& w = runs_[run_id];
  if (w.token != token || (!w.samples.empty() && step < w.samples.back().second)) {
    // No claim seen for this lease (the coordinator restarted since) or the step went back:
    // nothing measured yet, so the worker's figure stands until the window has grown.
    w.token = token;
    w.samples.clear();
    w.samples.emplace_back(now_ms, step);
    return reported > 0 ? reported : 0;
  }
  w.samples.emplace_back(now_ms, step);
  // Keep one sample at or before the window's start, so the span covers the whole window.
  while (w.samples.size() > 2 && w.samples[1].first <= now_ms - options_.window_ms) {
    w.samples.pop_front();
  }
  const auto& [first_ms, first_step] = w.samples.front();
  const int64_t span_ms = now_ms - first_ms;
  if (span_ms <= 0) return reported > 0 ? reported : 0;
  const double measured =
      static_cast<double>(step - first_step) * 1000.0 / static_cast<double>(span_ms);
  if (span_ms >= options_.min_span_ms) return measured;
  return reported > 0 ? std::min(reported, measured) : 0;
}

void ProgressRate::ForgetIdle(int64_t now_ms) {
  if (now_ms - last_sweep_ms_ < options_.forget_ms) return;
  last_sweep_ms_ = now_ms;
  for (auto it = runs_.begin(); it != runs_.end();) {
    if (it->second.samples.empty() ||
        it->second.samples.back().first < now_ms - options_.forget_ms) {
      it = runs_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace sg
