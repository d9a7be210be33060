// ProgressRate: a run's training speed as the coordinator measures it, from a window of the
// progress its holder reported (step, arrival time) that starts at the claim, instead of the
// rate the worker sends. A worker's own rate is wrong right after it restarts (a resumed step
// over a few seconds read as 360 steps/s, so sgctl showed "eta 4s" while the real rate was
// under 1). The window starts again whenever the lease changes (a new attempt) or the step
// goes back. Until the window spans min_span_ms the worker's figure is used, but never above
// what the window shows (steps since the claim over the time since): a restarted worker cannot
// claim more progress than it made.
//
// Thread-safety: thread-safe (one mutex).
#ifndef SG_COORDINATOR_PROGRESS_RATE_H_
#define SG_COORDINATOR_PROGRESS_RATE_H_

#include <cstdint>
#include <string>
#include <deque>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "absl/base/thread_annotations.h"

namespace sg {

struct ProgressRateOptions {
  int64_t window_ms = 120'000;  // rate over the reports of the last 2 minutes
  int64_t min_span_ms = 10'000;  // a shorter window: the worker's rate, capped by the window's
  int64_t forget_ms = 600'000;  // a run with no report for 10 minutes is forgotten
};

class ProgressRate {
 public:
  explicit ProgressRate(ProgressRateOptions options = ProgressRateOptions())
      : options_(options) {}

  // A claim handed `run_id` to lease `token` at `step` (its checkpoint): the window starts here.
  void Claimed(int64_t run_id, const std::string& token, int64_t step, int64_t now_ms);
  // Records that the holder of lease `token` on `run_id` reported `step` (and its own rate
  // `reported`) at `now_ms`; returns the steps per second to show (0: not known).
  double Observe(int64_t run_id, const std::string& token, int64_t step, double reported,
                 int64_t now_ms);

 private:
  struct Window {
    std::string token;
    std::deque<std::pair<int64_t, int64_t>> samples;  // (now_ms, step), oldest first
  };
  void ForgetIdle(int64_t now_ms) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ProgressRateOptions options_;
  std::mutex mu_;
  std::unordered_map<int64_t, Window> runs_ ABSL_GUARDED_BY(mu_);
  int64_t last_sweep_ms_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace sg

#endif  // SG_COORDINATOR_PROGRESS_RATE_H_
