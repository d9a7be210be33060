// Medians of event times with right censoring: a seed whose gen_acc had not crossed the
// threshold by its last evaluation has an event time known only to be later than that step.
// Leaving such seeds out (as a plain median over the seeds that crossed does) makes a cell
// where 2 of 10 seeds grokked look as fast as one where all 10 did.
#ifndef SG_ANALYSIS_CENSORED_H_
#define SG_ANALYSIS_CENSORED_H_

#include <optional>
#include <vector>

namespace sg {
namespace analysis {

// One seed's event time: `step` itself (censored false), or some step after `step`, the
// seed's last evaluation (censored true).
struct EventTime {
  double step = 0;
  bool censored = false;
};

// A median that may be only a lower bound.
struct CensoredMedian {
  double value = 0;
  // true: the median is not known exactly; it is at least `value` (written ">value").
  bool censored = false;
};

// The median of `times` with censored seeds counted (empty: none). With L the median (stats.h's
// linear interpolation) of the steps taking each censored seed at its last evaluation, and U
// the median taking each censored seed at +infinity, every possible set of true event times has
// its median in [L, U]. The result is L, exact when U == L and censored otherwise. When the
// seeds share one horizon (finished runs of one sweep), a censored median means that at least
// half of the seeds had not crossed by the horizon.
std::optional<CensoredMedian> MedianWithCensoring(const std::vector<EventTime>& times);

}  // namespace analysis
}  // namespace sg

#endif  // SG_ANALYSIS_CENSORED_H_
