// Progress display for sg-train on stderr: on a terminal, one line redrawn in place (steps/s,
// ETA, last train loss) at most 4 times a second; otherwise a plain line every interval.
// Time comes from an injected Clock. Torch-free. Not thread-safe.
#ifndef SG_TRAINER_IO_PROGRESS_H_
#define SG_TRAINER_IO_PROGRESS_H_

#include <cstdint>
#include <cstdio>
#include <string>

#include "common/clock.h"

namespace sg {

class Progress {
 public:
  Progress(std::FILE* out, bool terminal, double interval_s, int64_t start_step,
           int64_t total_steps, Clock* clock);

  // After each step; `loss` < 0 when not known.
  void Update(int64_t step, double loss);
  // A full line (eval results, checkpoints), printed above the bar on a terminal.
  void Message(const std::string& line);
  // Ends the bar line on a terminal.
  void Finish();

  // "1h02m", "3m05s", "12s".
  static std::string FormatDuration(double seconds);

 private:
  std::string Line(int64_t step) const;

  std::FILE* out_;
  bool terminal_;
  int64_t interval_ms_;
  int64_t start_step_, total_steps_;
  Clock* clock_;
  int64_t start_ms_, last_draw_ms_;
  int64_t step_ = 0;
  double loss_ = -1;
  bool bar_drawn_ = false;
};

}  // namespace sg

#endif  // SG_TRAINER_IO_PROGRESS_H_
