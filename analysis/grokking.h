// Per-run grokking analysis from a run's val_acc (in-distribution) and gen_acc
// (generalisation) curves: when validation saturates, when generalisation crosses a threshold
// and stays above it, and how much generalisation early stopping would have kept.
//
// Definitions (every threshold is an option; defaults in GrokOptions):
//   val_saturation_step  first step with val_acc >= saturation_fraction * best val_acc
//                        (kFractionOfBest, default 0.99), or >= saturation_threshold
//                        (kAbsolute). None without val_acc points or when best val_acc <= 0.
//   early_stop_step      kFirstBest (default): the first step of the best val_acc.
//                        kWithinTolerance: the first step with val_acc >= best - tolerance
//                        (0.01 by default; the paper does not define its point, experiment.md §8).
//   gen_acc_at_early_stop gen_acc at early_stop_step, or at gen_acc's last step before it when
//                        that step was not evaluated; none if gen_acc starts later.
//   grok_step            the first step from which every later gen_acc point is
//                        > grok_threshold (0.8): a run that crosses and drops back has not
//                        grokked at that crossing. None: "not yet grokked".
//   first_cross_step     the first step with gen_acc > grok_threshold, whether or not it stays
//                        above. None: never crossed (yet).
//   grokked              grok_step is set, which is the same as final_gen_acc > grok_threshold.
//   last_gen_step        gen_acc's last evaluated step: a run without first_cross_step (or
//                        grok_step) is censored there, its crossing is later than this step.
//   final_gen_acc        the value at gen_acc's last step.
// NaN values count as missing points. Points need not share steps between the two curves.
#ifndef SG_ANALYSIS_GROKKING_H_
#define SG_ANALYSIS_GROKKING_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "analysis/curve.h"

namespace sg {
namespace analysis {

enum class SaturationRule { kFractionOfBest, kAbsolute };
enum class EarlyStopRule { kFirstBest, kWithinTolerance };

struct GrokOptions {
  std::string val_metric = "val_acc";
  std::string gen_metric = "gen_acc";
  double grok_threshold = 0.8;  // gen_acc must stay strictly above this
  SaturationRule saturation = SaturationRule::kFractionOfBest;
  double saturation_fraction = 0.99;   // kFractionOfBest, in (0, 1]
  double saturation_threshold = 0.99;  // kAbsolute
  EarlyStopRule early_stop = EarlyStopRule::kFirstBest;
  double early_stop_tolerance = 0.01;  // kWithinTolerance, >= 0
};

// kInvalidArgument naming the field for a non-finite threshold, a saturation_fraction outside
// (0, 1], a negative tolerance or an empty metric name.
absl::Status ValidateGrokOptions(const GrokOptions& options);

// Sets options->early_stop (and its tolerance) from the spec's `train.early_stop` text:
// "first_best", or "within_X" with X a number >= 0 (e.g. "within_0.01").
absl::Status ParseEarlyStop(absl::string_view text, GrokOptions* options);

struct RunAnalysis {
  bool finished = false;  // as given by the caller: the run has ended
  int64_t last_step = 0;  // highest step of either curve (0: no points yet)
  std::optional<double> best_val_acc;
  std::optional<int64_t> val_saturation_step;
  std::optional<int64_t> early_stop_step;
  std::optional<double> gen_acc_at_early_stop;
  std::optional<double> final_gen_acc;
  std::optional<int64_t> grok_step;
  bool grokked = false;
  std::optional<int64_t> first_cross_step;
  std::optional<int64_t> last_gen_step;
};

// Analyses one run. kInvalidArgument for bad options or a curve whose steps do not strictly
// increase.
absl::StatusOr<RunAnalysis> AnalyzeRun(const Curve& val_acc, const Curve& gen_acc, bool finished,
                                       const GrokOptions& options);

// Keeps one run's analysis up to date as points arrive in any order; a repeated step
// overwrites the earlier value, as in the store. Re-analysing costs O(points), about 100 per
// run for the paper's cadence.
// Thread-compatible: callers serialise access to one instance.
class RunAnalyzer {
 public:
  explicit RunAnalyzer(GrokOptions options) : options_(std::move(options)) {}

  // Points of metrics other than the options' val and gen metrics are ignored.
  void Observe(absl::string_view metric, int64_t step, double value);
  absl::StatusOr<RunAnalysis> Analyze(bool finished) const;

 private:
  GrokOptions options_;
  std::map<int64_t, double> val_;
  std::map<int64_t, double> gen_;
};

}  // namespace analysis
}  // namespace sg

#endif  // SG_ANALYSIS_GROKKING_H_
