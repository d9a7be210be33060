#include "analysis/grouping.h"

#include <algorithm>

#include "absl/strings/str_join.h"

namespace sg {
namespace analysis {

absl::StatusOr<GridCell> ProjectCell(const GridCell& cell, const std::vector<std::string>& axes,
                                     const std::string& what) {
  if (axes.empty()) return cell;
  GridCell out;
  out.reserve(axes.size());
  for (const std::string& axis : axes) {
    auto it = std::find_if(cell.begin(), cell.end(), [&](const std::pair<std::string, double>& a) {
      return a.first == axis;
    });
    if (it == cell.end()) {
      std::vector<std::string> names;
      for (const auto& a : cell) names.push_back(a.first);
      return absl::InvalidArgumentError(
          absl::StrCat("group_by: '", axis, "' is not a grid axis of ", what,
                       " (its axes: ", names.empty() ? "none" : absl::StrJoin(names, ", "), ")"));
    }
    out.push_back(*it);
  }
  return out;
}

std::string GroupLabel(const GridCell& key) { return key.empty() ? "all" : CellKey(key); }

}  // namespace analysis
}  // namespace sg
