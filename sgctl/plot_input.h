// The wire's aggregates and report rows as the analysis library's plain types, so sgctl can
// draw them with analysis/plot.h. Pure conversions, unit-tested in analysis_views_test.cc.
#ifndef SG_SGCTL_PLOT_INPUT_H_
#define SG_SGCTL_PLOT_INPUT_H_

#include "analysis/aggregate.h"
#include "analysis/report.h"
#include "sg/v1/sg.pb.h"

namespace sg {
namespace ctl {

analysis::AggregateCurve AggregateFromWire(const v1::AggregateCurve& curve);
analysis::ReportRow ReportRowFromWire(const v1::ReportRow& row);

}  // namespace ctl
}  // namespace sg

#endif  // SG_SGCTL_PLOT_INPUT_H_
