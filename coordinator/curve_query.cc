#include "coordinator/curve_query.h"

#include <string>
#include <vector>

#include "common/status_macros.h"

namespace sg {

namespace {

absl::Status AppendCurve(Store& store, int64_t run_id, const std::string& metric,
                         v1::GetCurvesResponse* response) {
  SG_ASSIGN_OR_RETURN(std::vector<Point> points, store.GetCurve(run_id, metric));
  v1::Curve* curve = response->add_curves();
  curve->set_run_id(run_id);
  curve->set_metric(metric);
  curve->mutable_points()->Reserve(static_cast<int>(points.size()));
  for (const Point& p : points) {
    v1::CurvePoint* out = curve->add_points();
    out->set_step(p.step);
    out->set_value(p.value);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status QueryCurves(Store& store, const v1::GetCurvesRequest& request,
                         v1::GetCurvesResponse* response) {
  if (request.metric().empty()) {
    return absl::InvalidArgumentError("metric: required, e.g. val_acc, gen_acc or train_loss");
  }
  if (request.run_id() > 0) {
    SG_RETURN_IF_ERROR(store.GetRun(request.run_id()).status());
    return AppendCurve(store, request.run_id(), request.metric(), response);
  }
  if (request.sweep_id() > 0) {
    SG_ASSIGN_OR_RETURN(std::vector<RunRecord> runs, store.ListRuns(request.sweep_id(), {}));
    for (const RunRecord& run : runs) {
      SG_RETURN_IF_ERROR(AppendCurve(store, run.run_id, request.metric(), response));
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError("run_id or sweep_id: give one of them");
}

}  // namespace sg
