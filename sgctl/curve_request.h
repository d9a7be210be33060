// Flag parsing and the GetCurves/GetReport calls shared by `curves`, `report` and `plot`.
#ifndef SG_SGCTL_CURVE_REQUEST_H_
#define SG_SGCTL_CURVE_REQUEST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sg/v1/sg.grpc.pb.h"
#include "sgctl/command.h"
#include "sgctl/views.h"

namespace sg {
namespace ctl {

// --group-by: comma-separated grid axis names ("depth", "depth,lr"); "" gives none. Names must
// be identifiers; kInvalidArgument naming --group-by otherwise.
absl::StatusOr<std::vector<std::string>> ParseGroupBy(absl::string_view text);

// --max-points: 0 (every point) or an integer >= 4; `fallback` when the flag is absent.
absl::StatusOr<int32_t> ParseMaxPoints(const Invocation& inv, int32_t fallback);

// --threshold: a number in (0, 1); 0.8 when absent.
absl::StatusOr<double> ParseThreshold(const Invocation& inv);

// --early-stop: "first_best" (default when absent) or "within_X" with 0 <= X < 1.
absl::StatusOr<std::string> ParseEarlyStopFlag(const Invocation& inv);

// What `report` and the report-based plots asked for, so output can say what its numbers mean.
struct ReportFlags {
  std::vector<std::string> group_by;
  bool include_unfinished = false;
  double grok_threshold = 0.8;
  std::string early_stop = "first_best";
  int64_t bootstrap_resamples = 0;       // --bootstrap N; 0: the coordinator's default (10000)
  std::optional<uint64_t> bootstrap_seed;  // --bootstrap-seed S
};

// Parses --group-by, --include-unfinished, --threshold, --early-stop, --bootstrap and
// --bootstrap-seed (each optional). kInvalidArgument naming the flag.
absl::StatusOr<ReportFlags> ParseReportFlags(const Invocation& inv);

// The GetReport request for `flags` on a sweep, or on several (compared in one report).
v1::GetReportRequest ReportRequest(const ReportFlags& flags, int64_t sweep_id);
v1::GetReportRequest ReportRequest(const ReportFlags& flags,
                                   const std::vector<int64_t>& sweep_ids);

// SWEEP[,SWEEP...] arguments (each a name or id, comma-separated within an argument) resolved
// in order, each once. kNotFound names a sweep that does not exist.
absl::StatusOr<std::vector<v1::Sweep>> ResolveSweeps(const CommandContext& context,
                                                     const std::vector<std::string>& args);

// What a curve's rows are labelled with (views.h CurveLabels): the runs of every sweep the
// curves are of, and those sweeps' names.
absl::StatusOr<CurveLabels> LabelsForCurves(const CommandContext& context,
                                            const v1::GetCurvesResponse& response);

// The RPCs with their deadlines, errors mapped by CallStatus.
absl::StatusOr<v1::GetCurvesResponse> GetCurves(const CommandContext& context,
                                                const v1::GetCurvesRequest& request);
absl::StatusOr<v1::GetReportResponse> GetReport(const CommandContext& context,
                                                const v1::GetReportRequest& request);

}  // namespace ctl
}  // namespace sg

#endif  // SG_SGCTL_CURVE_REQUEST_H_
