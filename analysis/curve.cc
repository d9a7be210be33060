#include "analysis/curve.h"

#include "absl/strings/str_cat.h"

namespace sg {
namespace analysis {

absl::Status ValidateCurve(const Curve& curve, absl::string_view what) {
  for (size_t i = 1; i < curve.size(); ++i) {
    if (curve[i].step <= curve[i - 1].step) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": curve points must have strictly increasing steps; point ", i, " has step ",
          curve[i].step, " after step ", curve[i - 1].step, " (sort by step and drop repeats)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace analysis
}  // namespace sg
