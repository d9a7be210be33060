// Cuts a GetCurves answer into pages that each fit one message. A page is a window of steps
// [start_step, next_start_step) across every curve and aggregate of the answer, so a client
// appends each curve's points page by page and never sees a step split between pages.
#ifndef SG_COORDINATOR_CURVE_PAGES_H_
#define SG_COORDINATOR_CURVE_PAGES_H_

#include <cstdint>

#include "sg/v1/sg.pb.h"

namespace sg {

// Encoded bytes per point, rounded up: a CurvePoint is a tag and a step varint (<= 11) plus a
// tagged double (9) inside its own length-prefixed field (2); an AggregatePoint adds n and
// eight more doubles.
inline constexpr int64_t kCurvePointBytes = 24;
inline constexpr int64_t kAggregatePointBytes = 96;

// Keeps in `*response` only the points with start_step <= step < end, where end is as large as
// the point budget (`page_bytes`, estimated per point) allows but includes at least the first
// step present; sets next_start_step to end, or 0 when nothing is left. Curve and aggregate
// headers (run ids, labels, seeds) stay on every page.
void CutCurvePage(int64_t start_step, int64_t page_bytes, v1::GetCurvesResponse* response);

// Keeps in every curve and aggregate of `*response` only the points with
// start_step <= step < end_step (next_start_step is left alone).
void KeepCurveWindow(int64_t start_step, int64_t end_step, v1::GetCurvesResponse* response);

}  // namespace sg

#endif  // SG_COORDINATOR_CURVE_PAGES_H_
