// The plain curve types every analysis function works on, independent of the store and the wire:
// the coordinator converts its own points (sg::Point) and protobuf messages to and from these.
#ifndef SG_ANALYSIS_CURVE_H_
#define SG_ANALYSIS_CURVE_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sg {
namespace analysis {

// One logged value of one metric.
struct Point {
  int64_t step = 0;
  double value = 0;
};

// Points ordered by strictly increasing step (what Store::GetCurve returns).
using Curve = std::vector<Point>;

// OK if `curve`'s steps strictly increase; otherwise kInvalidArgument naming `what` (e.g.
// "run 7 val_acc") and the first offending point. O(n).
absl::Status ValidateCurve(const Curve& curve, absl::string_view what);

}  // namespace analysis
}  // namespace sg

#endif  // SG_ANALYSIS_CURVE_H_
