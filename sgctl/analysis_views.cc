#include "sgctl/analysis_views.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/sweep_spec.h"

namespace sg {
namespace ctl {
namespace {

double FieldValue(const v1::AggregatePoint& p, const std::string& field) {
  if (field == "mean") return p.mean();
  if (field == "median") return p.median();
  if (field == "p10") return p.p10();
  if (field == "p25") return p.p25();
  if (field == "p75") return p.p75();
  if (field == "p90") return p.p90();
  if (field == "min") return p.min();
  return p.max();  // ParseAggregateFields admits nothing else
}

nlohmann::json AxesJson(const google::protobuf::RepeatedPtrField<v1::AxisValue>& axes) {
  nlohmann::json out = nlohmann::json::object();
  for (const v1::AxisValue& a : axes) out[a.axis()] = JsonNumber(a.value());
  return out;
}

// The group axes of a set of rows, in first-seen order.
template <typename Rows>
std::vector<std::string> AxisNames(const Rows& rows) {
  std::vector<std::string> names;
  for (const auto& row : rows) {
    for (const v1::AxisValue& a : row.group()) {
      if (std::find(names.begin(), names.end(), a.axis()) == names.end()) {
        names.push_back(a.axis());
      }
    }
  }
  return names;
}

// A row's value of one group axis; for the key "sweep", the sweep's name.
template <typename Row>
std::string AxisText(const Row& row, const std::string& name) {
  if (name == "sweep" && !row.sweep().empty()) return row.sweep();
  for (const v1::AxisValue& a : row.group()) {
    if (a.axis() == name) return FormatCellValue(a.value());
  }
  return "-";
}

// A group as JSON: {axis: value}, with the sweep's name for "sweep".
template <typename Row>
nlohmann::json GroupJson(const Row& row) {
  nlohmann::json out = AxesJson(row.group());
  if (!row.sweep().empty()) out["sweep"] = row.sweep();
  return out;
}

// An optional proto field as JSON (null when absent), as CSV (empty) and as table text ("-").
struct Optional {
  bool has;
  double value;
};

nlohmann::json OptJson(Optional v) { return v.has ? JsonNumber(v.value) : nlohmann::json(nullptr); }
std::string OptCsv(Optional v) { return v.has ? FormatCellValue(v.value) : ""; }
std::string OptAcc(Optional v) { return v.has ? FormatFixed(v.value, 3) : "-"; }
std::string OptStep(Optional v) {
  if (!v.has) return "-";
  return v.value == std::floor(v.value) ? FormatCellValue(v.value) : FormatFixed(v.value, 1);
}

// An interval as JSON/CSV fields next to its mean: <name>_ci_low and <name>_ci_high.
struct IntervalField {
  bool has;
  double low;
  double high;
};

std::string Signed(double v) { return (v >= 0 ? "+" : "") + FormatFixed(v, 3); }

// "0.787 [0.463, 0.950]" ("-" without a mean); `sign` prefixes positive values with "+".
std::string MeanWithInterval(Optional mean, IntervalField ci, bool sign = false) {
  if (!mean.has) return "-";
  auto format = [sign](double v) { return sign ? Signed(v) : FormatFixed(v, 3); };
  std::string out = format(mean.value);
  if (ci.has) absl::StrAppend(&out, " [", format(ci.low), ", ", format(ci.high), "]");
  return out;
}

// A grokking time for the table: "12k", or ">24k" when censored (a lower bound).
std::string CensoredStep(Optional step, bool censored) {
  if (!step.has) return "-";
  return absl::StrCat(censored ? ">" : "", CompactStep(static_cast<int64_t>(step.value)));
}

}  // namespace

const std::vector<std::string>& AggregateFieldNames() {
  static const std::vector<std::string>* names = new std::vector<std::string>{
      "mean", "median", "p10", "p25", "p75", "p90", "min", "max"};
  return *names;
}

absl::StatusOr<std::vector<std::string>> ParseAggregateFields(absl::string_view text) {
  const std::vector<std::string>& all = AggregateFieldNames();
  if (text.empty() || text == "all") return all;
  std::vector<std::string> fields;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    std::string name(absl::StripAsciiWhitespace(part));
    if (std::find(all.begin(), all.end(), name) == all.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--agg: unknown statistic '", name, "'; use a comma-separated list of ",
                       absl::StrJoin(all, ", "), " (or all)"));
    }
    if (std::find(fields.begin(), fields.end(), name) == fields.end()) fields.push_back(name);
  }
  return fields;
}

View AggregateCurvesView(const v1::GetCurvesResponse& response,
                         const std::vector<std::string>& fields) {
  const std::vector<std::string> axes = AxisNames(response.aggregates());
  View view;
  view.json = nlohmann::json::array();
  view.table.columns = {"group"};
  view.table.columns.insert(view.table.columns.end(), axes.begin(), axes.end());
  for (const char* c : {"metric", "step", "n", "non_finite"}) view.table.columns.push_back(c);
  for (size_t i = 0; i < fields.size(); ++i) {
    view.table.value_columns.push_back(view.table.columns.size() + i);
  }
  view.table.columns.insert(view.table.columns.end(), fields.begin(), fields.end());
  for (const v1::AggregateCurve& curve : response.aggregates()) {
    nlohmann::json seeds = nlohmann::json::array();
    for (const v1::AggregateSeed& s : curve.seeds()) {
      seeds.push_back({{"run_id", s.run_id()},
                       {"seed", s.seed()},
                       {"finished", s.finished()},
                       {"last_step", s.last_step()}});
    }
    nlohmann::json points = nlohmann::json::array();
    for (const v1::AggregatePoint& p : curve.points()) {
      nlohmann::json point = {{"step", p.step()}, {"n", p.n()}, {"non_finite", p.non_finite()}};
      std::vector<std::string> row = {curve.label()};
      for (const std::string& axis : axes) row.push_back(AxisText(curve, axis));
      for (std::string cell : {curve.metric(), absl::StrCat(p.step()), absl::StrCat(p.n()),
                               absl::StrCat(p.non_finite())}) {
        row.push_back(std::move(cell));
      }
      for (const std::string& field : fields) {
        const double v = FieldValue(p, field);
        point[field] = JsonMetricValue(v);
        row.push_back(FormatMetricValue(v));
      }
      points.push_back(std::move(point));
      view.table.rows.push_back(std::move(row));
    }
    view.json.push_back({{"label", curve.label()},
                         {"group", GroupJson(curve)},
                         {"metric", curve.metric()},
                         {"seeds", seeds},
                         {"unfinished_seeds", curve.unfinished_seeds()},
                         {"points", points}});
  }
  return view;
}

View ReportView(const v1::GetReportResponse& response, const ReportSettings& settings) {
  const std::vector<std::string> axes = AxisNames(response.rows());
  const std::string threshold = FormatCellValue(settings.grok_threshold);
  View view;
  view.json = nlohmann::json::array();
  Table text;
  text.columns = axes.empty() ? std::vector<std::string>{"cell"} : axes;
  for (const char* c : {"finished", "grokked", "mean_final (95% CI)", "median_final",
                        "mean_at_early_stop (95% CI)", "median_at_early_stop",
                        "final-early_stop (95% CI)", "median_first_cross",
                        "median_stays_above"}) {
    text.columns.push_back(c);
  }
  view.table.columns = axes;
  for (const char* c :
       {"label", "seeds_total", "seeds_finished", "seeds_counted", "seeds_grokked",
        "mean_final_gen_acc", "median_final_gen_acc", "mean_gen_acc_at_early_stop",
        "median_gen_acc_at_early_stop", "median_grok_step",
        // Added after the fields above so CSV consumers reading by position keep working.
        "mean_final_gen_acc_ci_low", "mean_final_gen_acc_ci_high",
        "mean_gen_acc_at_early_stop_ci_low", "mean_gen_acc_at_early_stop_ci_high",
        "seeds_paired", "mean_final_minus_early_stop_gen_acc",
        "mean_final_minus_early_stop_gen_acc_ci_low",
        "mean_final_minus_early_stop_gen_acc_ci_high", "median_final_minus_early_stop_gen_acc",
        "seeds_crossed", "median_first_cross_step", "median_first_cross_step_censored",
        "median_stay_above_step", "median_stay_above_step_censored"}) {
    view.table.columns.push_back(c);
  }
  for (const v1::ReportRow& r : response.rows()) {
    const Optional mean_final{r.has_mean_final_gen_acc(), r.mean_final_gen_acc()};
    const Optional median_final{r.has_median_final_gen_acc(), r.median_final_gen_acc()};
    const Optional mean_early{r.has_mean_gen_acc_at_early_stop(),
                              r.mean_gen_acc_at_early_stop()};
    const Optional median_early{r.has_median_gen_acc_at_early_stop(),
                                r.median_gen_acc_at_early_stop()};
    const Optional grok_step{r.has_median_grok_step(), r.median_grok_step()};
    const IntervalField final_ci{r.has_mean_final_gen_acc_ci_low(),
                                 r.mean_final_gen_acc_ci_low(), r.mean_final_gen_acc_ci_high()};
    const IntervalField early_ci{r.has_mean_gen_acc_at_early_stop_ci_low(),
                                 r.mean_gen_acc_at_early_stop_ci_low(),
                                 r.mean_gen_acc_at_early_stop_ci_high()};
    const Optional mean_diff{r.has_mean_final_minus_early_stop_gen_acc(),
                             r.mean_final_minus_early_stop_gen_acc()};
    const IntervalField diff_ci{r.has_mean_final_minus_early_stop_gen_acc_ci_low(),
                                r.mean_final_minus_early_stop_gen_acc_ci_low(),
                                r.mean_final_minus_early_stop_gen_acc_ci_high()};
    const Optional median_diff{r.has_median_final_minus_early_stop_gen_acc(),
                               r.median_final_minus_early_stop_gen_acc()};
    const Optional first_cross{r.has_median_first_cross_step(), r.median_first_cross_step()};
    const Optional stay_above{r.has_median_stay_above_step(), r.median_stay_above_step()};
    auto low = [](IntervalField ci) { return Optional{ci.has, ci.low}; };
    auto high = [](IntervalField ci) { return Optional{ci.has, ci.high}; };
    view.json.push_back({{"group", GroupJson(r)},
                         {"label", r.label()},
                         {"seeds_total", r.seeds_total()},
                         {"seeds_finished", r.seeds_finished()},
                         {"seeds_counted", r.seeds_counted()},
                         {"seeds_grokked", r.seeds_grokked()},
                         {"mean_final_gen_acc", OptJson(mean_final)},
                         {"median_final_gen_acc", OptJson(median_final)},
                         {"mean_gen_acc_at_early_stop", OptJson(mean_early)},
                         {"median_gen_acc_at_early_stop", OptJson(median_early)},
                         {"median_grok_step", OptJson(grok_step)},
                         {"mean_final_gen_acc_ci_low", OptJson(low(final_ci))},
                         {"mean_final_gen_acc_ci_high", OptJson(high(final_ci))},
                         {"mean_gen_acc_at_early_stop_ci_low", OptJson(low(early_ci))},
                         {"mean_gen_acc_at_early_stop_ci_high", OptJson(high(early_ci))},
                         {"seeds_paired", r.seeds_paired()},
                         {"mean_final_minus_early_stop_gen_acc", OptJson(mean_diff)},
                         {"mean_final_minus_early_stop_gen_acc_ci_low", OptJson(low(diff_ci))},
                         {"mean_final_minus_early_stop_gen_acc_ci_high", OptJson(high(diff_ci))},
                         {"median_final_minus_early_stop_gen_acc", OptJson(median_diff)},
                         {"seeds_crossed", r.seeds_crossed()},
                         {"median_first_cross_step", OptJson(first_cross)},
                         {"median_first_cross_step_censored", r.median_first_cross_step_censored()},
                         {"median_stay_above_step", OptJson(stay_above)},
                         {"median_stay_above_step_censored", r.median_stay_above_step_censored()}});
    std::vector<std::string> csv_row;
    std::vector<std::string> text_row;
    for (const std::string& axis : axes) {
      csv_row.push_back(AxisText(r, axis));
      text_row.push_back(AxisText(r, axis));
    }
    if (axes.empty()) text_row.push_back(r.label());
    for (std::string cell :
         {r.label(), absl::StrCat(r.seeds_total()), absl::StrCat(r.seeds_finished()),
          absl::StrCat(r.seeds_counted()), absl::StrCat(r.seeds_grokked()), OptCsv(mean_final),
          OptCsv(median_final), OptCsv(mean_early), OptCsv(median_early), OptCsv(grok_step),
          OptCsv(low(final_ci)), OptCsv(high(final_ci)), OptCsv(low(early_ci)),
          OptCsv(high(early_ci)), absl::StrCat(r.seeds_paired()), OptCsv(mean_diff),
          OptCsv(low(diff_ci)), OptCsv(high(diff_ci)), OptCsv(median_diff),
          absl::StrCat(r.seeds_crossed()), OptCsv(first_cross),
          std::string(r.median_first_cross_step_censored() ? "true" : "false"), OptCsv(stay_above),
          std::string(r.median_stay_above_step_censored() ? "true" : "false")}) {
      csv_row.push_back(std::move(cell));
    }
    for (std::string cell :
         {absl::StrCat(r.seeds_finished(), "/", r.seeds_total()),
          absl::StrCat(r.seeds_grokked(), "/", r.seeds_counted()),
          MeanWithInterval(mean_final, final_ci), OptAcc(median_final),
          MeanWithInterval(mean_early, early_ci), OptAcc(median_early),
          MeanWithInterval(mean_diff, diff_ci, /*sign=*/true),
          CensoredStep(first_cross, r.median_first_cross_step_censored()),
          CensoredStep(stay_above, r.median_stay_above_step_censored())}) {
      text_row.push_back(std::move(cell));
    }
    view.table.rows.push_back(std::move(csv_row));
    text.rows.push_back(std::move(text_row));
  }
  view.text = absl::StrCat(
      RenderText(text), "\ngrokked: final gen_acc > ", threshold, ", of ",
      settings.include_unfinished
          ? "every seed (running ones at their latest point)"
          : "the finished seeds (--include-unfinished counts running ones)",
      "\nmean_final, median_final: final gen_acc; *_at_early_stop: gen_acc at the ",
      settings.early_stop,
      " early-stopping step of val_acc; final-early_stop: their difference per seed\n",
      "95% CI: percentile bootstrap of the mean over seeds (",
      response.bootstrap_resamples(), " resamples, seed ", response.bootstrap_seed(), ")\n",
      "median_first_cross: first step with gen_acc > ", threshold,
      "; median_stays_above: the step after which it stays above; over every seed, \">\": the "
      "median is censored (at least half the seeds had not crossed by their last evaluation)\n");
  return view;
}

View RunAnalysesView(const v1::GetReportResponse& response) {
  View view;
  view.json = nlohmann::json::array();
  Table text;
  text.columns = {"run_id",        "cell",         "seed",
                  "finished",      "last_step",    "best_val_acc",
                  "early_stop_step", "gen_acc_at_early_stop", "final_gen_acc",
                  "first_cross_step", "grok_step"};
  view.table.columns = {"run_id",          "cell",        "seed",
                        "finished",        "last_step",   "best_val_acc",
                        "val_saturation_step", "early_stop_step", "gen_acc_at_early_stop",
                        "final_gen_acc",   "grok_step",   "grokked",
                        "first_cross_step", "last_gen_step", "sweep_id"};
  for (const v1::RunAnalysis& a : response.runs()) {
    GridCell cell;
    for (const v1::AxisValue& axis : a.config()) cell.emplace_back(axis.axis(), axis.value());
    const Optional best{a.has_best_val_acc(), a.best_val_acc()};
    const Optional saturation{a.has_val_saturation_step(),
                              static_cast<double>(a.val_saturation_step())};
    const Optional early_step{a.has_early_stop_step(), static_cast<double>(a.early_stop_step())};
    const Optional early_gen{a.has_gen_acc_at_early_stop(), a.gen_acc_at_early_stop()};
    const Optional final_gen{a.has_final_gen_acc(), a.final_gen_acc()};
    const Optional grok{a.has_grok_step(), static_cast<double>(a.grok_step())};
    const Optional first_cross{a.has_first_cross_step(),
                               static_cast<double>(a.first_cross_step())};
    const Optional last_gen{a.has_last_gen_step(), static_cast<double>(a.last_gen_step())};
    view.json.push_back({{"run_id", a.run_id()},
                         {"sweep_id", a.sweep_id()},
                         {"seed", a.seed()},
                         {"config", AxesJson(a.config())},
                         {"finished", a.finished()},
                         {"last_step", a.last_step()},
                         {"best_val_acc", OptJson(best)},
                         {"val_saturation_step", OptJson(saturation)},
                         {"early_stop_step", OptJson(early_step)},
                         {"gen_acc_at_early_stop", OptJson(early_gen)},
                         {"final_gen_acc", OptJson(final_gen)},
                         {"grok_step", OptJson(grok)},
                         {"grokked", a.grokked()},
                         {"first_cross_step", OptJson(first_cross)},
                         {"last_gen_step", OptJson(last_gen)}});
    view.table.rows.push_back({absl::StrCat(a.run_id()), CellKey(cell), absl::StrCat(a.seed()),
                               a.finished() ? "true" : "false", absl::StrCat(a.last_step()),
                               OptCsv(best), OptCsv(saturation), OptCsv(early_step),
                               OptCsv(early_gen), OptCsv(final_gen), OptCsv(grok),
                               a.grokked() ? "true" : "false", OptCsv(first_cross),
                               OptCsv(last_gen), absl::StrCat(a.sweep_id())});
    std::string grok_text = OptStep(grok);
    if (!grok.has) grok_text = a.finished() ? "not grokked" : "not yet grokked";
    // Not crossed by the last evaluation: censored there (">24k").
    std::string cross_text = OptStep(first_cross);
    if (!first_cross.has && last_gen.has) {
      cross_text = ">" + CompactStep(a.last_gen_step());
    }
    text.rows.push_back({absl::StrCat(a.run_id()), cell.empty() ? "(all)" : CellKey(cell),
                         absl::StrCat(a.seed()), a.finished() ? "yes" : "no",
                         absl::StrCat(a.last_step()), OptAcc(best), OptStep(early_step),
                         OptAcc(early_gen), OptAcc(final_gen), cross_text, grok_text});
  }
  view.text = RenderText(text);
  return view;
}

}  // namespace ctl
}  // namespace sg
