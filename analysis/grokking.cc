#include "analysis/grokking.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace sg {
namespace analysis {
namespace {

absl::Status CheckFinite(double v, const char* field) {
  if (std::isfinite(v)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, ": must be a finite number, got ", v));
}

Curve FromMap(const std::map<int64_t, double>& points) {
  Curve out;
  out.reserve(points.size());
  for (const auto& p : points) out.push_back({p.first, p.second});
  return out;
}

}  // namespace

absl::Status ValidateGrokOptions(const GrokOptions& o) {
  if (o.val_metric.empty()) return absl::InvalidArgumentError("val_metric: must not be empty");
  if (o.gen_metric.empty()) return absl::InvalidArgumentError("gen_metric: must not be empty");
  SG_RETURN_IF_ERROR(CheckFinite(o.grok_threshold, "grok_threshold"));
  SG_RETURN_IF_ERROR(CheckFinite(o.saturation_threshold, "saturation_threshold"));
  if (!(o.saturation_fraction > 0 && o.saturation_fraction <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "saturation_fraction: must be in (0, 1], e.g. 0.99, got ", o.saturation_fraction));
  }
  if (!(o.early_stop_tolerance >= 0) || !std::isfinite(o.early_stop_tolerance)) {
    return absl::InvalidArgumentError(
        absl::StrCat("early_stop_tolerance: must be a finite number >= 0, e.g. 0.01, got ",
                     o.early_stop_tolerance));
  }
  return absl::OkStatus();
}

absl::Status ParseEarlyStop(absl::string_view text, GrokOptions* options) {
  if (text == "first_best") {
    options->early_stop = EarlyStopRule::kFirstBest;
    return absl::OkStatus();
  }
  double tolerance = 0;
  absl::string_view number = text;
  if (absl::ConsumePrefix(&number, "within_") && absl::SimpleAtod(number, &tolerance) &&
      std::isfinite(tolerance) && tolerance >= 0) {
    options->early_stop = EarlyStopRule::kWithinTolerance;
    options->early_stop_tolerance = tolerance;
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "early_stop: must be 'first_best' or 'within_X' with X >= 0 (e.g. 'within_0.01'), got '",
      text, "'"));
}

absl::StatusOr<RunAnalysis> AnalyzeRun(const Curve& val_acc, const Curve& gen_acc, bool finished,
                                       const GrokOptions& options) {
  SG_RETURN_IF_ERROR(ValidateGrokOptions(options));
  SG_RETURN_IF_ERROR(ValidateCurve(val_acc, options.val_metric));
  SG_RETURN_IF_ERROR(ValidateCurve(gen_acc, options.gen_metric));

  RunAnalysis out;
  out.finished = finished;
  if (!val_acc.empty()) out.last_step = val_acc.back().step;
  if (!gen_acc.empty()) out.last_step = std::max(out.last_step, gen_acc.back().step);

  // Validation: best value, then the first steps that reach the saturation and early-stopping
  // levels (both are "first step at or above a level derived from the best").
  for (const Point& p : val_acc) {
    if (std::isnan(p.value)) continue;
    if (!out.best_val_acc || p.value > *out.best_val_acc) out.best_val_acc = p.value;
  }
  if (out.best_val_acc) {
    const double best = *out.best_val_acc;
    std::optional<double> saturation_level;
    if (options.saturation == SaturationRule::kAbsolute) {
      saturation_level = options.saturation_threshold;
    } else if (best > 0) {
      saturation_level = options.saturation_fraction * best;
    }
    const double stop_level = options.early_stop == EarlyStopRule::kFirstBest
                                  ? best
                                  : best - options.early_stop_tolerance;
    for (const Point& p : val_acc) {
      if (std::isnan(p.value)) continue;
      if (saturation_level && !out.val_saturation_step && p.value >= *saturation_level) {
        out.val_saturation_step = p.step;
      }
      if (!out.early_stop_step && p.value >= stop_level) out.early_stop_step = p.step;
    }
  }

  // Generalisation: walk back from the end while gen_acc stays above the threshold.
  for (auto it = gen_acc.rbegin(); it != gen_acc.rend(); ++it) {
    if (std::isnan(it->value)) continue;
    if (!out.final_gen_acc) out.final_gen_acc = it->value;
    if (!(it->value > options.grok_threshold)) break;
    out.grok_step = it->step;
  }
  out.grokked = out.grok_step.has_value();
  for (const Point& p : gen_acc) {
    if (std::isnan(p.value)) continue;
    out.last_gen_step = p.step;
    if (!out.first_cross_step && p.value > options.grok_threshold) out.first_cross_step = p.step;
  }

  if (out.early_stop_step) {
    for (const Point& p : gen_acc) {
      if (p.step > *out.early_stop_step) break;
      if (!std::isnan(p.value)) out.gen_acc_at_early_stop = p.value;
    }
  }
  return out;
}

void RunAnalyzer::Observe(absl::string_view metric, int64_t step, double value) {
  if (metric == options_.val_metric) {
    val_[step] = value;
  } else if (metric == options_.gen_metric) {
    gen_[step] = value;
  }
}

absl::StatusOr<RunAnalysis> RunAnalyzer::Analyze(bool finished) const {
  return AnalyzeRun(FromMap(val_), FromMap(gen_), finished, options_);
}

}  // namespace analysis
}  // namespace sg
