// The wire's aggregates and report rows as the analysis library's plain types, so sgctl can
// draw them with analysis/plot.h. Pure conversions, unit-tested in analysis_views_test.cc.
#ifndef SG_SGCTL_PLOT_INPUT_H_
#define SG_SGCTL_PLOT_INPUT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "analysis/aggregate.h"
#include "analysis/curve.h"
#include "analysis/plot.h"
#include "analysis/report.h"
#include "sg/v1/sg.pb.h"

namespace sg {
namespace ctl {

analysis::AggregateCurve AggregateFromWire(const v1::AggregateCurve& curve);
analysis::ReportRow ReportRowFromWire(const v1::ReportRow& row);
analysis::Curve CurveFromWire(const v1::Curve& curve);

// The early-stop figure's input from a report's per-run analyses: the runs grouped by
// `group_by` (every axis when empty), in the report's row order; in each group the seeds with
// both gen_acc at the early-stopping point and a final gen_acc, finished runs only unless
// `include_unfinished`. kInvalidArgument if a run lacks an axis.
// The tscore-gen figure's input: the runs grouped as above, in each group the runs with both a
// final t_score and a final gen_acc (finished runs only unless `include_unfinished`).
absl::StatusOr<std::vector<analysis::TScoreGenGroup>> TScoreGenGroupsFromWire(
    const v1::GetReportResponse& report, const std::vector<std::string>& group_by,
    bool include_unfinished);

absl::StatusOr<std::vector<analysis::EarlyStopGroup>> EarlyStopGroupsFromWire(
    const v1::GetReportResponse& report, const std::vector<std::string>& group_by,
    bool include_unfinished);

// A run's line label: "run 12 (depth=6, seed 3)".
std::string RunLabel(const v1::Run& run);

}  // namespace ctl
}  // namespace sg

#endif  // SG_SGCTL_PLOT_INPUT_H_
