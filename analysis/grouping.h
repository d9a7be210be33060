// Grouping runs by grid axes (e.g. all seeds of depth 6), shared by aggregation and reports.
#ifndef SG_ANALYSIS_GROUPING_H_
#define SG_ANALYSIS_GROUPING_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/sweep_spec.h"

namespace sg {
namespace analysis {

// The values of `axes` in `cell`, in `axes` order (empty `axes`: the whole cell).
// kInvalidArgument naming `what` (e.g. "run 12") and its axes if an axis is missing.
absl::StatusOr<GridCell> ProjectCell(const GridCell& cell, const std::vector<std::string>& axes,
                                     const std::string& what);

// CellKey(key), or "all" for an empty key (a grid without axes).
std::string GroupLabel(const GridCell& key);

template <typename Run>
struct RunGroup {
  GridCell key;
  std::string label;
  std::vector<const Run*> runs;  // in input order
};

// Groups `runs` (each with `int64_t run_id` and `GridCell cell`) by `axes`; groups come back
// ordered by their axis values (numerically, first axis first). kInvalidArgument if a run
// lacks an axis, or if with empty `axes` two runs' cells have different axis names.
template <typename Run>
absl::StatusOr<std::vector<RunGroup<Run>>> GroupRuns(const std::vector<Run>& runs,
                                                     const std::vector<std::string>& axes) {
  // Keyed by values only: within one grouping every key has the same axis names (checked).
  std::map<std::vector<double>, RunGroup<Run>> groups;
  for (const Run& run : runs) {
    absl::StatusOr<GridCell> key = ProjectCell(run.cell, axes, absl::StrCat("run ", run.run_id));
    if (!key.ok()) return key.status();
    std::vector<double> values;
    values.reserve(key->size());
    for (const auto& axis : *key) values.push_back(axis.second);
    RunGroup<Run>& group = groups[values];
    if (group.runs.empty()) {
      group.key = *key;
      group.label = GroupLabel(*key);
    } else if (group.key != *key) {
      return absl::InvalidArgumentError(
          absl::StrCat("group_by: run ", run.run_id, " has grid cell '", CellKey(run.cell),
                       "' whose axes differ from another run's ('", CellKey(group.key),
                       "'); name the axes to group by"));
    }
    group.runs.push_back(&run);
  }
  std::vector<RunGroup<Run>> out;
  out.reserve(groups.size());
  for (auto& entry : groups) out.push_back(std::move(entry.second));
  return out;
}

}  // namespace analysis
}  // namespace sg

#endif  // SG_ANALYSIS_GROUPING_H_
