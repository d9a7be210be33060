#include "trainer/eval/pack_eval.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>

#include "trainer/model/pack_trainer.h"
#include "trainer/trainer_test_util.h"

namespace sg {
namespace {

using testing_util::kEos;
using testing_util::kNumIds;
using testing_util::kSos;

// §4.1 the direct way (the previous EvalLmLoss): one forward per file-order batch, its token
// mean, the plain mean over batches.
std::vector<double> PerBatchLmLoss(PackModel& model, const std::vector<TokenIds>& lines,
                                   int64_t batch_size) {
  torch::NoGradGuard g;
  const int64_t S = model.num_seeds(), n = static_cast<int64_t>(lines.size());
  std::vector<double> sum(S, 0.0);
  int64_t batches = 0;
  for (int64_t start = 0; start < n; start += batch_size, ++batches) {
    std::vector<const TokenIds*> rows;
    for (int64_t i = start; i < std::min(n, start + batch_size); ++i) rows.push_back(&lines[i]);
    LmBatch b = MakeLmBatch(std::vector<std::vector<const TokenIds*>>(S, rows), kSos, kEos,
                            model.device());
    torch::Tensor lg = model.Logits(model.params(), model.Hidden(model.params(), b.ids,
                                                                 b.lengths, {}));
    torch::Tensor loss = LossPerSeed(lg, b.targets.view({S, -1}), b.counts).to(torch::kFloat64);
    for (int64_t s = 0; s < S; ++s) sum[s] += loss[s].item<double>();
  }
  for (double& v : sum) v /= static_cast<double>(batches);
  return sum;
}

TEST(PackEvalTest, LmLossFromSortedChunksEqualsFileOrderBatches) {
  PackModel model(ModelShape::FromConfig(testing_util::TinyConfig(), kNumIds), {4, 5, 6},
                  torch::kCPU);
  {
    torch::NoGradGuard g;
    model.flat().mul_(2.0);  // losses far from ln(V), so batch composition matters
  }
  // Lengths 3..30 in random order; 53 lines leave a short last batch.
  const std::vector<TokenIds> lines = testing_util::SyntheticLines(53, 17, 30);
  for (int64_t batch_size : {1, 8, 32, 100}) {
    const std::vector<double> want = PerBatchLmLoss(model, lines, batch_size);
    EvalBudget tiny;
    tiny.max_rows = 3;
    for (const EvalBudget& budget : {EvalBudget(), tiny, EvalBudget{1000, 1 << 20}}) {
      const std::vector<double> got = EvalLmLoss(model, lines, kSos, kEos, batch_size, budget);
      ASSERT_EQ(got.size(), want.size());
      for (size_t s = 0; s < want.size(); ++s) {
        EXPECT_NEAR(got[s], want[s], 1e-6 * std::abs(want[s]))
            << "batch " << batch_size << " rows " << budget.max_rows << " seed " << s;
      }
    }
  }
  // Batch means are not the overall token mean: batch 1 weighs every line equally.
  const std::vector<double> per_line = EvalLmLoss(model, lines, kSos, kEos, 1, EvalBudget());
  const std::vector<double> all = EvalLmLoss(model, lines, kSos, kEos, 1000, EvalBudget());
  EXPECT_GT(std::abs(per_line[0] - all[0]), 1e-4);
  EXPECT_TRUE(std::isnan(EvalLmLoss(model, {}, kSos, kEos, 32, EvalBudget())[0]));
}

// Throwaway CPU timing against the per-batch way; --gtest_also_run_disabled_tests, shape from
// env SG_BENCH_{SEEDS,D,LAYERS,LINES}.
TEST(PackEvalTest, DISABLED_LmLossBenchmark) {
  PackModel model = testing_util::BenchPackFromEnv(kNumIds);
  const std::vector<TokenIds> lines =
      testing_util::SyntheticLines(static_cast<int>(testing_util::EnvInt("SG_BENCH_LINES", 1000)), 3, 40);
  using Clock = std::chrono::steady_clock;
  auto t0 = Clock::now();
  const std::vector<double> sorted = EvalLmLoss(model, lines, kSos, kEos, 32, EvalBudget());
  auto t1 = Clock::now();
  const std::vector<double> direct = PerBatchLmLoss(model, lines, 32);
  auto t2 = Clock::now();
  std::printf("seeds %zu d %lld layers %lld lines %zu: sorted chunks %.2fs per batch %.2fs\n",
              static_cast<size_t>(model.num_seeds()), static_cast<long long>(model.shape().d_model),
              static_cast<long long>(model.shape().layers),
              lines.size(), std::chrono::duration<double>(t1 - t0).count(),
              std::chrono::duration<double>(t2 - t1).count());
  for (size_t s = 0; s < sorted.size(); ++s) EXPECT_NEAR(sorted[s], direct[s], 1e-6 * direct[s]);
}

}  // namespace
}  // namespace sg
