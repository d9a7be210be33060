// Answers GetCurves and GetReport from the Store and the analysis cache: curves of one run or a
// whole sweep, at full resolution or downsampled at query time (keeping every bucket's first,
// minimum, maximum and last point), aggregates across seeds by grid axes, and the paper's table.
#ifndef SG_COORDINATOR_CURVE_QUERY_H_
#define SG_COORDINATOR_CURVE_QUERY_H_

#include "absl/status/status.h"
#include "coordinator/coordinator.h"
#include "sg/v1/sg.pb.h"

namespace sg {

absl::Status QueryCurves(Coordinator& coordinator, const v1::GetCurvesRequest& request,
                         v1::GetCurvesResponse* response);

absl::Status QueryReport(Coordinator& coordinator, const v1::GetReportRequest& request,
                         v1::GetReportResponse* response);

}  // namespace sg

#endif  // SG_COORDINATOR_CURVE_QUERY_H_
