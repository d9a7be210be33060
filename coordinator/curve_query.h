// Answers GetCurves and GetReport from the Store and the analysis cache: curves of one run or of
// one or several sweeps, for one or several metrics, at full resolution or downsampled at query
// time (keeping every bucket's first, minimum, maximum and last point; long curves from their
// block summaries, block_downsample.h), aggregates across seeds
// by grid axes (and by sweep: the key "sweep"), and the paper's table. A metric that none of the
// queried runs has recorded is kInvalidArgument naming it and listing those that were.
#ifndef SG_COORDINATOR_CURVE_QUERY_H_
#define SG_COORDINATOR_CURVE_QUERY_H_

#include "absl/status/status.h"
#include "coordinator/coordinator.h"
#include "sg/v1/sg.pb.h"

namespace sg {

// One page of the answer (curve_pages.h: the points with start_step <= step <
// next_start_step, within `page_bytes`). A full-resolution page reads only its window of steps
// from the Store; a downsampled answer is computed whole and cut.
absl::Status QueryCurves(Coordinator& coordinator, const v1::GetCurvesRequest& request,
                         int64_t page_bytes, v1::GetCurvesResponse* response);

absl::Status QueryReport(Coordinator& coordinator, const v1::GetReportRequest& request,
                         v1::GetReportResponse* response);

// ListSweepMetrics of one sweep (found by the caller).
absl::Status QuerySweepMetrics(Coordinator& coordinator, const SweepRecord& sweep,
                               v1::ListSweepMetricsResponse* response);

// GetCurves (downsampled), GetReport and ListSweepMetrics answers are kept in
// coordinator.answers() and reused while none of their sweeps has changed
// (sweep_answer_cache.h); a full-resolution page is always read afresh (its window only).

}  // namespace sg

#endif  // SG_COORDINATOR_CURVE_QUERY_H_
