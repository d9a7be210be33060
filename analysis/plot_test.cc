// Draws real figures with the installed gnuplot. The images are kept under
// $SG_BINARY_DIR/analysis_test_plots/ (or the test temp dir) so a person can look at them.
#include "analysis/plot.h"

#include <sys/stat.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace sg {
namespace analysis {
namespace {

std::string OutDir() {
  const char* bin = std::getenv("SG_BINARY_DIR");
  std::string dir = bin != nullptr ? std::string(bin) + "/analysis_test_plots"
                                   : ::testing::TempDir() + "analysis_test_plots";
  mkdir(dir.c_str(), 0755);
  return dir;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A hand-made aggregate: a sigmoid in log(step) that rises around `mid`, with a spread.
AggregateCurve Sigmoid(const std::string& label, double mid, double top, double spread) {
  AggregateCurve c;
  c.label = label;
  for (int64_t step = 3000; step <= 300000; step += 3000) {
    const double x = std::log(static_cast<double>(step) / mid) * 4;
    const double m = top / (1 + std::exp(-x));
    AggregatePoint p;
    p.step = step;
    p.n = 10;
    p.median = m;
    p.mean = m;
    p.p25 = std::max(0.0, m - spread);
    p.p75 = std::min(1.0, m + spread);
    p.p10 = p.p25;
    p.p90 = p.p75;
    p.min = p.p25;
    p.max = p.p75;
    c.points.push_back(p);
  }
  return c;
}

std::vector<CurvePanel> Panels() {
  CurvePanel val{"val_acc", {}}, gen{"gen_acc", {}};
  const double depths[] = {2, 4, 6, 8, 10};
  for (double d : depths) {
    const std::string label = "depth=" + std::to_string(static_cast<int>(d));
    val.groups.push_back(Sigmoid(label, 5000 * d, 1.0, 0.02));
    gen.groups.push_back(Sigmoid(label, 20000 * d, d == 6 ? 0.95 : 0.6, 0.15));
  }
  return {val, gen};
}

std::vector<ReportRow> Rows() {
  std::vector<ReportRow> rows;
  const int grokked[] = {1, 4, 8, 5, 2};
  for (int i = 0; i < 5; ++i) {
    ReportRow r;
    r.cell = {{"depth", 2.0 * (i + 1)}};
    r.cell_key = "depth=" + std::to_string(2 * (i + 1));
    r.seeds_total = r.seeds_finished = r.seeds_counted = 10;
    r.seeds_grokked = grokked[i];
    rows.push_back(r);
  }
  return rows;
}

void ExpectPng(const std::string& path) {
  const std::string bytes = ReadFile(path);
  ASSERT_GT(bytes.size(), 5000u) << path;  // a real chart, not an empty canvas
  const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  EXPECT_EQ(bytes.compare(0, 8, reinterpret_cast<const char*>(signature), 8), 0);
  EXPECT_EQ(bytes.compare(12, 4, "IHDR"), 0);
}

void ExpectSvg(const std::string& path, const std::string& must_contain) {
  const std::string text = ReadFile(path);
  ASSERT_GT(text.size(), 5000u) << path;
  EXPECT_NE(text.find("<svg"), std::string::npos);
  EXPECT_NE(text.find("</svg>"), std::string::npos);
  EXPECT_NE(text.find(must_contain), std::string::npos) << must_contain;
}

TEST(PlotTest, CurvesAsPngAndSvg) {
  PlotOptions o;
  o.title = "hand-made curves";
  o.output_path = OutDir() + "/curves.png";
  absl::Status s = PlotCurves(Panels(), o);
  ASSERT_TRUE(s.ok()) << s;
  ExpectPng(o.output_path);
  EXPECT_NE(ReadFile(o.output_path + ".gp").find("set logscale x"), std::string::npos);

  o.output_path = OutDir() + "/curves.svg";
  s = PlotCurves(Panels(), o);
  ASSERT_TRUE(s.ok()) << s;
  ExpectSvg(o.output_path, "gen_acc");  // noenhanced: the underscore is kept
}

TEST(PlotTest, GrokBarsAsPngAndSvg) {
  PlotOptions o;
  o.output_path = OutDir() + "/depth.png";
  absl::Status s = PlotGrokBars(Rows(), o);
  ASSERT_TRUE(s.ok()) << s;
  ExpectPng(o.output_path);

  o.output_path = OutDir() + "/depth.svg";
  s = PlotGrokBars(Rows(), o);
  ASSERT_TRUE(s.ok()) << s;
  ExpectSvg(o.output_path, "8/10");
}

TEST(PlotTest, ScriptHoldsTheDataAndLeavesOutStepZeroOnALogAxis) {
  std::vector<CurvePanel> panels = Panels();
  AggregatePoint zero;
  zero.step = 0;
  zero.median = 0.123456;
  panels[0].groups[0].points.insert(panels[0].groups[0].points.begin(), zero);
  PlotOptions o;
  o.output_path = "/nonexistent/x.svg";
  absl::StatusOr<std::string> script = CurvesScript(panels, o);
  ASSERT_TRUE(script.ok()) << script.status();
  EXPECT_NE(script->find("set terminal svg"), std::string::npos);
  EXPECT_NE(script->find("$d1_4 << EOD"), std::string::npos);  // gen_acc, depth=10
  EXPECT_NE(script->find("title \"depth=10\""), std::string::npos);
  EXPECT_EQ(script->find("0.123456"), std::string::npos);
  o.log_steps = false;
  script = CurvesScript(panels, o);
  ASSERT_TRUE(script.ok());
  EXPECT_NE(script->find("0 0.123456"), std::string::npos);
  EXPECT_EQ(script->find("set logscale"), std::string::npos);
}

TEST(PlotTest, BadInputsAreRejectedClearly) {
  PlotOptions o;
  o.output_path = OutDir() + "/x.jpg";
  absl::Status s = PlotCurves(Panels(), o);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find(".png, .svg or .pdf"), std::string::npos);

  o.output_path = OutDir() + "/x.png";
  EXPECT_EQ(PlotCurves({}, o).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PlotGrokBars({}, o).code(), absl::StatusCode::kInvalidArgument);
  std::vector<CurvePanel> only_step_zero = {{"gen_acc", {AggregateCurve{}}}};
  only_step_zero[0].groups[0].points.push_back(AggregatePoint{});
  s = PlotCurves(only_step_zero, o);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("log-step"), std::string::npos);

  o.output_path = OutDir() + "/no/such/folder/x.png";
  s = PlotCurves(Panels(), o);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("folder"), std::string::npos);
}

TEST(PlotTest, MissingOrFailingGnuplotIsReported) {
  PlotOptions o;
  o.output_path = OutDir() + "/missing.png";
  o.gnuplot = "sg-no-such-gnuplot";
  absl::Status s = PlotGrokBars(Rows(), o);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_NE(s.message().find("gnuplot-nox"), std::string::npos);

  // A real program that exits with an error: gnuplot on a script with a syntax error.
  const std::string broken = OutDir() + "/broken.gp";
  std::ofstream(broken) << "plot this is not gnuplot\n";
  s = RunGnuplot("gnuplot", broken);
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal) << s;

  // A runner that "succeeds" without drawing: no stale or missing image passes.
  o.gnuplot = "gnuplot";
  o.keep_script = false;
  o.runner = [](const std::string&, const std::string&) { return absl::OkStatus(); };
  s = PlotGrokBars(Rows(), o);
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal) << s;
  struct stat st;
  EXPECT_NE(stat((o.output_path + ".gp").c_str(), &st), 0);  // script removed
}

}  // namespace
}  // namespace analysis
}  // namespace sg
