#include "sgctl/curve_request.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "sgctl/rpc.h"

namespace sg {
namespace ctl {

absl::StatusOr<std::vector<std::string>> ParseGroupBy(absl::string_view text) {
  std::vector<std::string> axes;
  if (text.empty()) return axes;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    std::string axis(absl::StripAsciiWhitespace(part));
    bool ok = !axis.empty() && absl::ascii_isalpha(static_cast<unsigned char>(axis[0]));
    for (char c : axis) ok &= absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--group-by: expected grid axis names separated by commas, e.g. depth or depth,lr "
          "(sweep: per sweep); got '", text, "'"));
    }
    if (std::find(axes.begin(), axes.end(), axis) == axes.end()) axes.push_back(axis);
  }
  return axes;
}

absl::StatusOr<int32_t> ParseMaxPoints(const Invocation& inv, int32_t fallback) {
  if (!inv.Has("max-points")) return fallback;
  int32_t max_points = 0;
  if (!absl::SimpleAtoi(inv.Get("max-points"), &max_points) || max_points < 0 ||
      (max_points > 0 && max_points < 4)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--max-points: must be 0 (every point) or an integer >= 4, got '", inv.Get("max-points"),
        "'"));
  }
  return max_points;
}

absl::StatusOr<double> ParseThreshold(const Invocation& inv) {
  if (!inv.Has("threshold")) return 0.8;
  double threshold = 0;
  if (!absl::SimpleAtod(inv.Get("threshold"), &threshold) || !std::isfinite(threshold) ||
      threshold <= 0 || threshold >= 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--threshold: must be a number between 0 and 1 (a gen_acc level, e.g. 0.8), got '",
        inv.Get("threshold"), "'"));
  }
  return threshold;
}

absl::StatusOr<std::string> ParseEarlyStopFlag(const Invocation& inv) {
  // Absent: "" asks the coordinator for the sweep's own train.early_stop (first_best if none).
  if (!inv.Has("early-stop")) return std::string();
  const std::string text = inv.Get("early-stop");
  absl::string_view number = text;
  double tolerance = 0;
  if (text == "first_best" ||
      (absl::ConsumePrefix(&number, "within_") && absl::SimpleAtod(number, &tolerance) &&
       tolerance >= 0 && tolerance < 1)) {
    return text;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--early-stop: must be first_best (the first step of the best val_acc) or within_X "
      "(the first step within X of it, e.g. within_0.01), got '", text, "'"));
}

absl::StatusOr<ReportFlags> ParseReportFlags(const Invocation& inv) {
  ReportFlags flags;
  SG_ASSIGN_OR_RETURN(flags.group_by, ParseGroupBy(inv.Get("group-by")));
  flags.include_unfinished = inv.Has("include-unfinished");
  SG_ASSIGN_OR_RETURN(flags.grok_threshold, ParseThreshold(inv));
  SG_ASSIGN_OR_RETURN(flags.early_stop, ParseEarlyStopFlag(inv));
  if (inv.Has("bootstrap")) {
    if (!absl::SimpleAtoi(inv.Get("bootstrap"), &flags.bootstrap_resamples) ||
        flags.bootstrap_resamples < 100) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--bootstrap: the number of bootstrap resamples, an integer >= 100 (default 10000), "
          "got '", inv.Get("bootstrap"), "'"));
    }
  }
  if (inv.Has("bootstrap-seed")) {
    uint64_t seed = 0;
    if (!absl::SimpleAtoi(inv.Get("bootstrap-seed"), &seed)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--bootstrap-seed: must be a non-negative integer, got '", inv.Get("bootstrap-seed"),
          "'"));
    }
    flags.bootstrap_seed = seed;
  }
  return flags;
}

v1::GetReportRequest ReportRequest(const ReportFlags& flags, int64_t sweep_id) {
  return ReportRequest(flags, std::vector<int64_t>{sweep_id});
}

v1::GetReportRequest ReportRequest(const ReportFlags& flags,
                                   const std::vector<int64_t>& sweep_ids) {
  v1::GetReportRequest request;
  if (sweep_ids.size() == 1) {
    request.set_sweep_id(sweep_ids[0]);
  } else {
    for (int64_t id : sweep_ids) request.add_sweep_ids(id);
  }
  for (const std::string& axis : flags.group_by) request.add_group_by(axis);
  request.set_include_unfinished(flags.include_unfinished);
  request.set_grok_threshold(flags.grok_threshold);
  request.set_early_stop(flags.early_stop);
  request.set_bootstrap_resamples(flags.bootstrap_resamples);
  if (flags.bootstrap_seed) request.set_bootstrap_seed(*flags.bootstrap_seed);
  return request;
}

absl::StatusOr<v1::GetCurvesResponse> GetCurves(const CommandContext& context,
                                                const v1::GetCurvesRequest& request) {
  // Page by page (each page a window of steps, sg.proto GetCurvesRequest.start_step); every
  // page lists the same curves and aggregates in the same order, so points are appended.
  v1::GetCurvesResponse all;
  v1::GetCurvesRequest page_request = request;
  for (int page = 0;; ++page) {
    v1::GetCurvesResponse response;
    grpc::ClientContext call;
    SetDeadline(&call, kGetCurvesDeadlineS);
    absl::Status s = CallStatus(context.stub->GetCurves(&call, page_request, &response),
                                "GetCurves", context.coordinator);
    if (!s.ok()) return s;
    const int64_t next = response.next_start_step();
    if (page == 0) {
      all = std::move(response);
    } else {
      if (response.curves_size() != all.curves_size() ||
          response.aggregates_size() != all.aggregates_size()) {
        return absl::AbortedError(
            "GetCurves: the curves changed between pages (a run was added?); run the command "
            "again");
      }
      for (int i = 0; i < response.curves_size(); ++i) {
        auto* points = all.mutable_curves(i)->mutable_points();
        for (v1::CurvePoint& p : *response.mutable_curves(i)->mutable_points()) {
          *points->Add() = std::move(p);
        }
      }
      for (int i = 0; i < response.aggregates_size(); ++i) {
        auto* points = all.mutable_aggregates(i)->mutable_points();
        for (v1::AggregatePoint& p : *response.mutable_aggregates(i)->mutable_points()) {
          *points->Add() = std::move(p);
        }
      }
    }
    if (next <= page_request.start_step()) break;  // 0: the last page (or a server bug)
    page_request.set_start_step(next);
  }
  all.set_next_start_step(0);
  return all;
}

absl::StatusOr<v1::GetReportResponse> GetReport(const CommandContext& context,
                                                const v1::GetReportRequest& request) {
  v1::GetReportResponse response;
  grpc::ClientContext call;
  SetDeadline(&call, kGetReportDeadlineS);
  absl::Status s = CallStatus(context.stub->GetReport(&call, request, &response), "GetReport",
                              context.coordinator);
  if (!s.ok()) return s;
  return response;
}

absl::StatusOr<std::vector<v1::Sweep>> ResolveSweeps(const CommandContext& context,
                                                     const std::vector<std::string>& args) {
  std::vector<v1::Sweep> sweeps;
  for (const std::string& arg : args) {
    for (absl::string_view part : absl::StrSplit(arg, ',', absl::SkipWhitespace())) {
      SG_ASSIGN_OR_RETURN(v1::Sweep sweep,
                          ResolveSweep(context, absl::StripAsciiWhitespace(part)));
      bool seen = false;
      for (const v1::Sweep& s : sweeps) seen |= s.sweep_id() == sweep.sweep_id();
      if (!seen) sweeps.push_back(std::move(sweep));
    }
  }
  if (sweeps.empty()) {
    return absl::InvalidArgumentError("give at least one sweep (a name or id)");
  }
  return sweeps;
}

absl::StatusOr<CurveLabels> LabelsForCurves(const CommandContext& context,
                                            const v1::GetCurvesResponse& response) {
  CurveLabels labels;
  for (const v1::Curve& curve : response.curves()) {
    const int64_t sweep_id = curve.sweep_id();
    if (sweep_id <= 0 || labels.sweeps.count(sweep_id) != 0) continue;
    SG_ASSIGN_OR_RETURN(v1::Sweep sweep, ResolveSweep(context, absl::StrCat(sweep_id)));
    labels.sweeps[sweep_id] = sweep.name();
    SG_ASSIGN_OR_RETURN(std::vector<v1::Run> runs,
                        ListRuns(context, sweep_id, v1::RUN_STATE_UNSPECIFIED));
    for (v1::Run& run : runs) {
      const int64_t run_id = run.run_id();
      labels.runs[run_id] = std::move(run);
    }
  }
  return labels;
}

}  // namespace ctl
}  // namespace sg
