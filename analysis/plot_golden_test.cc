// Golden tests of the gnuplot scripts each figure kind writes: a change to a figure shows up
// here as a diff of its script. Run with SG_UPDATE_GOLDEN=1 to rewrite the files under
// analysis/testdata/ after an intended change, then review the diff.
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "analysis/plot.h"
#include "analysis/plot_script.h"
#include "gtest/gtest.h"

namespace sg {
namespace analysis {
namespace {

std::string GoldenPath(const std::string& name) {
  const char* src = std::getenv("SG_SOURCE_DIR");
  return std::string(src != nullptr ? src : ".") + "/analysis/testdata/" + name;
}

void ExpectGolden(const absl::StatusOr<std::string>& script, const std::string& name) {
  ASSERT_TRUE(script.ok()) << script.status();
  const std::string path = GoldenPath(name);
  const char* update = std::getenv("SG_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(path, std::ios::trunc) << *script;
    GTEST_SKIP() << "rewrote " << path;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << "missing golden file " << path
                         << " (run with SG_UPDATE_GOLDEN=1 to write it)";
  std::stringstream golden;
  golden << in.rdbuf();
  EXPECT_EQ(*script, golden.str()) << "the script differs from " << path;
}

AggregateCurve Group(const std::string& label, double depth, double scale) {
  AggregateCurve c;
  c.label = label;
  c.group = {{"depth", depth}};
  const int64_t steps[] = {0, 1000, 2000, 5000, 12000, 24000};
  for (int64_t step : steps) {
    AggregatePoint p;
    p.step = step;
    p.n = 4;
    p.median = scale * static_cast<double>(step) / 24000;
    p.p25 = p.median * 0.8;
    p.p75 = p.median * 0.9 + 0.1;
    c.points.push_back(p);
  }
  return c;
}

std::vector<CurvePanel> Panels() {
  CurvePanel val{"val_acc", {}, {}}, gen{"gen_acc", {}, {}};
  for (int d : {2, 4, 6}) {
    const std::string label = "depth=" + std::to_string(d);
    val.groups.push_back(Group(label, d, 1.0));
    gen.groups.push_back(Group(label, d, d == 4 ? 0.9 : 0.5));
  }
  return {val, gen};
}

TEST(PlotGoldenTest, CurvesOnALogStepAxis) {
  PlotOptions o;
  o.output_path = "out/curves.png";
  o.title = "sweep qf: median and p25-p75 over seeds";
  ExpectGolden(CurvesScript(Panels(), o), "curves_log.gp");
}

TEST(PlotGoldenTest, ChosenRunsSmoothedOnALinearAxisAsSvg) {
  CurvePanel panel{"gen_acc", {}, {}};
  panel.runs.push_back(
      {"run 3 (depth=4, seed 0)", {{0, 0.1}, {1000, 0.3}, {2000, 0.2}, {3000, 0.9}}});
  panel.runs.push_back(
      {"run 4 (depth=4, seed 1)", {{0, 0.1}, {1000, 0.2}, {2000, 0.4}, {3000, 0.5}}});
  PlotOptions o;
  o.output_path = "out/runs.svg";
  o.log_steps = false;
  o.smooth_alpha = 0.5;
  ExpectGolden(CurvesScript({panel}, o), "curves_runs_smooth_linear.gp");
}

TEST(PlotGoldenTest, DepthBarsWithIntervalsAsPdf) {
  std::vector<ReportRow> rows;
  const int grokked[] = {1, 4, 0};
  for (int i = 0; i < 3; ++i) {
    ReportRow r;
    r.cell = {{"depth", 2.0 * (i + 1)}};
    r.cell_key = "depth=" + std::to_string(2 * (i + 1));
    r.seeds_total = r.seeds_finished = r.seeds_counted = 5;
    r.seeds_grokked = grokked[i];
    if (i < 2) {
      r.mean_final_gen_acc = 0.3 + 0.4 * i;
      r.mean_final_gen_acc_ci = Interval{0.2 + 0.4 * i, 0.45 + 0.4 * i};
      r.median_final_gen_acc = 0.25 + 0.5 * i;
    }
    rows.push_back(r);
  }
  PlotOptions o;
  o.output_path = "out/depth.pdf";
  o.grok_threshold = 0.8;
  ExpectGolden(GrokBarsScript(rows, o), "depth.gp");
}

TEST(PlotGoldenTest, EarlyStopPairs) {
  std::vector<EarlyStopGroup> groups = {
      {"depth=2", {{0, 0.2, 0.25}, {1, 0.3, 0.2}}},
      {"depth=4", {{0, 0.3, 0.95}, {1, 0.35, 0.9}, {2, 0.3, 0.4}}},
  };
  PlotOptions o;
  o.output_path = "out/early_stop.png";
  o.grok_threshold = 0.8;
  ExpectGolden(EarlyStopScript(groups, o), "early_stop.gp");
}

TEST(PlotGoldenTest, TScoreAgainstGenAccColouredByDepthAsSvg) {
  std::vector<TScoreGenGroup> groups = {
      {"depth=2", {{1, 0.21, 0.3}, {2, 0.25, 0.35}}},
      {"depth=4", {{3, 0.42, 0.95}, {4, 0.4, 0.9}, {5, 0.38, 0.6}}},
      {"depth=6", {}},  // no run with both values: no datablock, its colour kept for the order
      {"depth=8", {{6, 0.3, 0.5}}},
  };
  PlotOptions o;
  o.output_path = "out/tscore_gen.svg";
  o.grok_threshold = 0.8;
  ExpectGolden(TScoreGenScript(groups, o), "tscore_gen.gp");
}

TEST(PlotGoldenTest, TScoreGenRefusesNothingAndNonFinite) {
  PlotOptions o;
  o.output_path = "out/t.png";
  EXPECT_EQ(TScoreGenScript({{"depth=2", {}}}, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TScoreGenScript({{"depth=2", {{1, std::nan(""), 0.5}}}}, o).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PlotScriptTest, LogStepTicsAtDecadesAndBetween) {
  EXPECT_EQ(plot_internal::LogStepTics(1000, 24000),
            "set xtics (\"1k\" 1000, \"2k\" 2000, \"5k\" 5000, \"10k\" 10000, \"20k\" 20000)\n"
            "set xtics add (\"\" 3000 1, \"\" 4000 1, \"\" 6000 1, \"\" 7000 1, \"\" 8000 1, "
            "\"\" 9000 1)\n");
  EXPECT_EQ(plot_internal::LogStepTics(300, 300), "set xtics ()\nset xtics add (\"\" 300 1)\n");
  EXPECT_EQ(plot_internal::LogStepTics(0, 100), "");
  EXPECT_EQ(plot_internal::StepLabel(2500), "2.5k");
  EXPECT_EQ(plot_internal::StepLabel(1000000), "1M");
}

TEST(PlotScriptTest, PaletteRunsDarkToMidWithoutYellow) {
  EXPECT_EQ(plot_internal::LineColor(0, 5), "#440154");
  EXPECT_EQ(plot_internal::LineColor(4, 5), "#5ec962");
  EXPECT_EQ(plot_internal::LineColor(0, 1), "#440154");
  // Lightness (Rec. 601 luma) rises with the index, so a grey print keeps the order.
  double last = -1;
  for (size_t i = 0; i < 8; ++i) {
    const std::string c = plot_internal::LineColor(i, 8);
    const int r = std::stoi(c.substr(1, 2), nullptr, 16);
    const int g = std::stoi(c.substr(3, 2), nullptr, 16);
    const int b = std::stoi(c.substr(5, 2), nullptr, 16);
    const double luma = 0.299 * r + 0.587 * g + 0.114 * b;
    EXPECT_GT(luma, last) << c;
    EXPECT_LT(luma, 170) << c;  // dark enough to read on white
    last = luma;
  }
  EXPECT_EQ(plot_internal::LineStyle(6, 8), "lc rgb \"#44b174\" dt 2");
}

}  // namespace
}  // namespace analysis
}  // namespace sg
