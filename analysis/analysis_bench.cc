// sg-analysis-bench: timings of the in-memory analysis on the paper's scale (not a test).
//   5 depths x 10 seeds x 100 evaluation points (gen_acc, val_acc), 300k train_loss points.
// Usage: sg-analysis-bench [repetitions, default 200]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "analysis/aggregate.h"
#include "analysis/downsample.h"
#include "analysis/grokking.h"
#include "analysis/report.h"

namespace sg {
namespace analysis {
namespace {

constexpr int kDepths[] = {2, 4, 6, 8, 10};
constexpr int kSeeds = 10;
constexpr int kEvalPoints = 100;
constexpr int64_t kEvalEvery = 3000;
constexpr int64_t kTrainSteps = 300000;

uint32_t Next(uint32_t* state) {
  *state = *state * 1664525u + 1013904223u;
  return *state >> 8;
}
double Uniform(uint32_t* state) { return Next(state) / static_cast<double>(1u << 24); }

// An accuracy curve that rises around `mid` (log-step sigmoid) with noise.
Curve AccuracyCurve(double mid, double top, uint32_t* rng) {
  Curve c;
  for (int i = 1; i <= kEvalPoints; ++i) {
    const int64_t step = i * kEvalEvery;
    const double x = std::log(static_cast<double>(step) / mid) * 4;
    c.push_back({step, std::min(1.0, top / (1 + std::exp(-x)) + 0.02 * Uniform(rng))});
  }
  return c;
}

Curve TrainLoss(uint32_t* rng) {
  Curve c;
  c.reserve(kTrainSteps);
  for (int64_t s = 1; s <= kTrainSteps; ++s) {
    c.push_back({s, 3.0 / std::sqrt(static_cast<double>(s)) + 0.1 * Uniform(rng)});
  }
  return c;
}

struct Timing {
  double p50_us, p99_us, max_us;
};

Timing Time(int reps, const std::function<void()>& body) {
  std::vector<double> us;
  us.reserve(reps);
  body();  // warm-up
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    body();
    const auto t1 = std::chrono::steady_clock::now();
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  std::sort(us.begin(), us.end());
  auto at = [&](double q) {
    return us[std::min(us.size() - 1, static_cast<size_t>(q * us.size()))];
  };
  return {at(0.5), at(0.99), us.back()};
}

void Print(const char* name, const Timing& t) {
  std::printf("%-58s p50 %9.1f us   p99 %9.1f us   max %9.1f us\n", name, t.p50_us, t.p99_us,
              t.max_us);
}

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "sg-analysis-bench: %s failed\n", what);
    std::exit(1);
  }
}

int Main(int argc, char** argv) {
  const int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 200;
  uint32_t rng = 42;
  std::vector<SeedCurve> gen, val;
  int64_t run_id = 0;
  for (int depth : kDepths) {
    for (int seed = 0; seed < kSeeds; ++seed) {
      SeedCurve g;
      g.run_id = ++run_id;
      g.seed = seed;
      g.cell = {{"depth", static_cast<double>(depth)}};
      g.finished = seed != 0;  // one unfinished seed per depth, as in a live sweep
      g.points = AccuracyCurve(8000.0 * depth + 1000.0 * seed, depth == 6 ? 0.95 : 0.7, &rng);
      SeedCurve v = g;
      v.points = AccuracyCurve(2000.0 * depth, 1.0, &rng);
      gen.push_back(std::move(g));
      val.push_back(std::move(v));
    }
  }
  std::printf("data: %zu runs (5 depths x %d seeds) x %d eval points; train_loss %lld points\n",
              gen.size(), kSeeds, kEvalPoints, static_cast<long long>(kTrainSteps));
  std::printf("repetitions: %d\n", reps);

  AggregateOptions by_depth;
  by_depth.group_by = {"depth"};
  Print("aggregate gen_acc by depth (50 curves x 100 pts)", Time(reps, [&] {
          auto out = AggregateByGroup(gen, by_depth);
          Check(out.ok() && out->size() == 5, "aggregate");
        }));

  const Curve loss = TrainLoss(&rng);
  for (bool log_steps : {false, true}) {
    Print(log_steps ? "downsample train_loss 300k -> <=1000 (log buckets)"
                    : "downsample train_loss 300k -> <=1000 (linear buckets)",
          Time(reps, [&] {
            auto out = Downsample(loss, {1000, log_steps});
            Check(out.ok() && out->size() <= 1000, "downsample");
          }));
  }

  Print("analyse 50 runs + build the report table", Time(reps, [&] {
          std::vector<ReportRun> runs;
          runs.reserve(gen.size());
          for (size_t i = 0; i < gen.size(); ++i) {
            auto a = AnalyzeRun(val[i].points, gen[i].points, gen[i].finished, GrokOptions{});
            Check(a.ok(), "analyse");
            runs.push_back(
                {gen[i].run_id, gen[i].seed, gen[i].cell, *a, std::nullopt, std::nullopt});
          }
          auto rows = BuildReport(runs, {});
          Check(rows.ok() && rows->size() == 5, "report");
        }));

  RunAnalyzer analyzer{GrokOptions{}};
  for (const Point& p : val[0].points) analyzer.Observe("val_acc", p.step, p.value);
  for (const Point& p : gen[0].points) analyzer.Observe("gen_acc", p.step, p.value);
  int64_t next_step = kEvalPoints * kEvalEvery;
  Print("RunAnalyzer: one new point + re-analyse (100-pt run)", Time(reps, [&] {
          next_step += kEvalEvery;
          analyzer.Observe("gen_acc", next_step, 0.9);
          Check(analyzer.Analyze(false).ok(), "analyzer");
        }));

  // The heavy case: 10 seeds' per-step train_loss aggregated, then thinned to 1000 steps.
  std::vector<SeedCurve> losses;
  for (int seed = 0; seed < kSeeds; ++seed) {
    SeedCurve s;
    s.run_id = seed + 1;
    s.cell = {{"depth", 6}};
    s.finished = true;
    s.points = TrainLoss(&rng);
    losses.push_back(std::move(s));
  }
  AggregateOptions thin = by_depth;
  thin.max_points = 1000;
  thin.log_steps = true;
  Print("aggregate train_loss 10 seeds x 300k pts -> <=1000 steps",
        Time(std::max(1, reps / 20), [&] {
          auto out = AggregateByGroup(losses, thin);
          Check(out.ok() && (*out)[0].points.size() <= 1000, "aggregate train_loss");
        }));
  return 0;
}

}  // namespace
}  // namespace analysis
}  // namespace sg

int main(int argc, char** argv) { return sg::analysis::Main(argc, argv); }
