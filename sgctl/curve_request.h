// Flag parsing and the GetCurves/GetReport calls shared by `curves`, `report` and `plot`.
#ifndef SG_SGCTL_CURVE_REQUEST_H_
#define SG_SGCTL_CURVE_REQUEST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sg/v1/sg.grpc.pb.h"
#include "sgctl/command.h"

namespace sg {
namespace ctl {

// --group-by: comma-separated grid axis names ("depth", "depth,lr"); "" gives none. Names must
// be identifiers; kInvalidArgument naming --group-by otherwise.
absl::StatusOr<std::vector<std::string>> ParseGroupBy(absl::string_view text);

// --max-points: 0 (every point) or an integer >= 4; `fallback` when the flag is absent.
absl::StatusOr<int32_t> ParseMaxPoints(const Invocation& inv, int32_t fallback);

// --threshold: a number in (0, 1); 0.8 when absent.
absl::StatusOr<double> ParseThreshold(const Invocation& inv);

// The RPCs with their deadlines, errors mapped by CallStatus.
absl::StatusOr<v1::GetCurvesResponse> GetCurves(const CommandContext& context,
                                                const v1::GetCurvesRequest& request);
absl::StatusOr<v1::GetReportResponse> GetReport(const CommandContext& context,
                                                const v1::GetReportRequest& request);

}  // namespace ctl
}  // namespace sg

#endif  // SG_SGCTL_CURVE_REQUEST_H_
