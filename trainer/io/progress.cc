#include "trainer/io/progress.h"

#include <algorithm>

#include "absl/strings/str_format.h"

namespace sg {

Progress::Progress(std::FILE* out, bool terminal, double interval_s, int64_t start_step,
                   int64_t total_steps, Clock* clock)
    : out_(out),
      terminal_(terminal),
      interval_ms_(terminal ? 250 : static_cast<int64_t>(interval_s * 1000)),
      start_step_(start_step),
      total_steps_(total_steps),
      clock_(clock),
      start_ms_(clock->NowMillis()),
      last_draw_ms_(start_ms_),
      step_(start_step) {}

std::string Progress::FormatDuration(double seconds) {
  if (!(seconds >= 0) || seconds > 1e9) return "?";
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  if (s >= 3600) return absl::StrFormat("%dh%02dm", s / 3600, (s % 3600) / 60);
  if (s >= 60) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  return absl::StrFormat("%ds", s);
}

std::string Progress::Line(int64_t step) const {
  const double elapsed = std::max<int64_t>(1, clock_->NowMillis() - start_ms_) / 1000.0;
  const double rate = static_cast<double>(step - start_step_) / elapsed;
  const double eta = rate > 0 ? static_cast<double>(total_steps_ - step) / rate : -1;
  const double pct = total_steps_ > 0 ? 100.0 * step / total_steps_ : 0;
  std::string line = absl::StrFormat("step %d/%d (%.1f%%)  %.2f steps/s  ETA %s", step,
                                     total_steps_, pct, rate, FormatDuration(eta));
  if (loss_ >= 0) line += absl::StrFormat("  loss %.4f", loss_);
  return line;
}

void Progress::Update(int64_t step, double loss) {
  step_ = step;
  if (loss >= 0) loss_ = loss;
  const int64_t now = clock_->NowMillis();
  if (now - last_draw_ms_ < interval_ms_ && step != total_steps_) return;
  last_draw_ms_ = now;
  if (terminal_) {
    std::fprintf(out_, "\r\033[K%s", Line(step).c_str());
    bar_drawn_ = true;
  } else {
    std::fprintf(out_, "sg-train: %s\n", Line(step).c_str());
  }
  std::fflush(out_);
}

void Progress::Message(const std::string& line) {
  if (terminal_ && bar_drawn_) std::fprintf(out_, "\r\033[K");
  std::fprintf(out_, "sg-train: %s\n", line.c_str());
  if (terminal_ && bar_drawn_) std::fprintf(out_, "%s", Line(step_).c_str());
  std::fflush(out_);
}

void Progress::Finish() {
  if (terminal_ && bar_drawn_) std::fprintf(out_, "\n");
  bar_drawn_ = false;
  std::fflush(out_);
}

}  // namespace sg
