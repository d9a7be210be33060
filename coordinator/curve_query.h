// Answers GetCurves from the Store: one run's or a whole sweep's curves of one metric, at full
// resolution or downsampled at query time.
#ifndef SG_COORDINATOR_CURVE_QUERY_H_
#define SG_COORDINATOR_CURVE_QUERY_H_

#include "absl/status/status.h"
#include "coordinator/store.h"
#include "sg/v1/sg.pb.h"

namespace sg {

absl::Status QueryCurves(Store& store, const v1::GetCurvesRequest& request,
                         v1::GetCurvesResponse* response);

}  // namespace sg

#endif  // SG_COORDINATOR_CURVE_QUERY_H_
