#include "trainer/api/pack_memory.h"

#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>

#include "gtest/gtest.h"

namespace sg {
namespace {

namespace pm = pack_memory;

TrainConfig PaperConfig(int64_t depth) {
  TrainConfig c;  // d_model 512, ff 2048, 8 heads, batch 8, untied: experiment.md §0
  c.depth = depth;
  return c;
}

// experiment.md §1.8: parameter counts of the paper's model, per task (V+2 ids) and depth.
TEST(ModelParamCountTest, MatchesTheSpecTable) {
  struct Row {
    int64_t depth, qf, tense, dyck;
  };
  const Row rows[] = {{2, 6373447, 6404197, 6344747},
                      {4, 12674119, 12704869, 12645419},
                      {6, 18974791, 19005541, 18946091},
                      {8, 25275463, 25306213, 25246763},
                      {10, 31576135, 31606885, 31547435}};
  for (const Row& r : rows) {
    EXPECT_EQ(ModelParamCount(PaperConfig(r.depth), 71), r.qf) << "depth " << r.depth;
    EXPECT_EQ(ModelParamCount(PaperConfig(r.depth), 101), r.tense) << "depth " << r.depth;
    EXPECT_EQ(ModelParamCount(PaperConfig(r.depth), 43), r.dyck) << "depth " << r.depth;
  }
  // Per encoder layer: attention 1,048,576 + FF 2,099,712 + 2 LNs 2,048.
  EXPECT_EQ(ModelParamCount(PaperConfig(7), 71) - ModelParamCount(PaperConfig(6), 71), 3150336);
}

TEST(ModelParamCountTest, TiedEmbeddingsDropTheOutputMatrixOnly) {
  TrainConfig tied = PaperConfig(6);
  tied.tie_embeddings = true;
  // §1.8: subtract (V+2)*512 = 36,352 / 51,712 / 22,016.
  EXPECT_EQ(ModelParamCount(tied, 71), 18974791 - 36352);
  EXPECT_EQ(ModelParamCount(tied, 101), 19005541 - 51712);
  EXPECT_EQ(ModelParamCount(tied, 43), 18946091 - 22016);
}

TEST(ModelParamCountTest, SmallShapeByHand) {
  TrainConfig c;
  c.depth = 1;
  c.d_model = 4;
  c.ff = 8;
  // E 5x4 = 20; layer 16 + 32 + 16 + (32 + 8) + (32 + 4) + 16 = 156; W_out 20; b_out 5.
  EXPECT_EQ(ModelParamCount(c, 5), 201);
}

TEST(EstimatePackMemoryTest, SmallShapeFromTheNamedConstants) {
  TrainConfig c;
  c.depth = 1;
  c.d_model = 4;
  c.ff = 8;
  c.heads = 2;
  c.batch_size = 2;
  const int64_t T = 3, V = 5;  // N = B*T = 6
  const PackMemoryEstimate e = EstimatePackMemory(c, V, T, /*graph_buckets=*/2, /*eval_bytes=*/0);
  EXPECT_EQ(e.params_per_seed, 201);
  EXPECT_EQ(e.state_bytes_per_seed,
            201 * (pm::kWeightBytesPerParam + pm::kAdamBytesPerParam +
                   (2 + pm::kEagerGradBuffers) * pm::kGradBytesPerParam +
                   pm::kCaptureSnapshotBytesPerParam + pm::kUpdateScratchBytesPerParam));
  // Element counts of one layer's saved tensors, by shape: [N,d] = 24, [N,ff] = 48,
  // [B,H,T,T] = 36; outside the layers [N,V] = 30, [B,T,T] = 18.
  const int64_t F = 4, M = pm::kDropoutMaskBytes;
  const int64_t layer = (F * pm::kModelWidthTensorsPerLayer + M * pm::kModelWidthMasksPerLayer) * 24 +
                        (F * pm::kFfWidthTensorsPerLayer + M * pm::kFfWidthMasksPerLayer) * 48 +
                        (F * pm::kAttentionTensorsPerLayer + M * pm::kAttentionMasksPerLayer) * 36;
  const int64_t outside = F * pm::kEmbeddingOneHotTensors * 30 +
                          (F * pm::kOutsideModelWidthTensors + M * pm::kOutsideModelWidthMasks) * 24 +
                          F * pm::kAttentionMaskTensors * 18 + F * pm::kLogitTensors * 30;
  EXPECT_EQ(e.activation_bytes_per_seed, (1 + pm::kBackwardWorkspaceLayers) * layer + outside);
  // With today's constants, by hand: layer (40+2)*24 + (8+1)*48 + (8+1)*36 = 1764; outside
  // 120 + 5*24 + 72 + 360 = 672; two layers' worth plus outside = 4200.
  EXPECT_EQ(e.activation_bytes_per_seed, 4200);
  EXPECT_EQ(e.per_seed_bytes, (e.state_bytes_per_seed + e.activation_bytes_per_seed) *
                                  (100 + pm::kMeasuredPerSeedOverheadPercent) / 100);
  EXPECT_EQ(e.fixed_bytes,
            pm::kCudaContextBytes + pm::kCublasWorkspaceBytes + pm::kAllocatorSlackBytes);
  EXPECT_EQ(e.Bytes(3), e.fixed_bytes + 3 * e.per_seed_bytes);
  EXPECT_EQ(e.eager_activation_bytes_per_seed, 0);

  // An eager step of batch_size lines of 7 tokens in one row per seed: N = 14, no [T, T]
  // terms. [N,d] = 56, [N,ff] = 112, [N,V] = 70: layer 42*56 + 9*112 = 3360; outside
  // 280 + 5*56 + 840 = 1400; two layers' worth plus outside = 8120.
  const PackMemoryEstimate eager = EstimatePackMemory(c, V, T, 2, 0, /*eager_line_tokens=*/7);
  EXPECT_EQ(eager.eager_activation_bytes_per_seed, 8120);
  EXPECT_EQ(eager.activation_bytes_per_seed, e.activation_bytes_per_seed);
  EXPECT_EQ(eager.per_seed_bytes, (e.state_bytes_per_seed + e.activation_bytes_per_seed + 8120) *
                                      (100 + pm::kMeasuredPerSeedOverheadPercent) / 100);
}

// Dyck's eager steps (one row per seed of up to 8 of its longest lines) are in the estimate,
// which must cover what sg-bench measured: a 10-seed, 6-layer pack peaked at 56,840 MiB on the
// H200 (2026-12-04, docs/performance.md; the same estimate sg-bench prints beside it: 43 ids,
// 8 graphs, no evaluation budget), where the estimate without them was 27,521 MiB.
TEST(EstimatePackMemoryTest, DyckEstimateCoversTheMeasuredPeak) {
  const TaskSizeBounds b = TaskSizeBoundsFor(TaskKind::kDyck);
  const PackMemoryEstimate with = EstimatePackMemory(PaperConfig(6), 43, b.max_tokens,
                                                     /*graph_buckets=*/8, 0, b.eager_line_tokens);
  const PackMemoryEstimate without =
      EstimatePackMemory(PaperConfig(6), 43, b.max_tokens, 8, 0, /*eager_line_tokens=*/0);
  const int64_t measured = 56840 * pm::kMiB;
  EXPECT_LT(without.Bytes(10), measured);
  EXPECT_GE(with.Bytes(10), measured);
  EXPECT_LE(with.Bytes(10), measured * 115 / 100) << "no more than 15% above the measurement";
  std::printf("Dyck, 6 layers, 10 seeds: %.0f MiB estimated (%.0f without eager steps)\n",
              static_cast<double>(with.Bytes(10)) / pm::kMiB,
              static_cast<double>(without.Bytes(10)) / pm::kMiB);
}

TEST(EstimatePackMemoryTest, FixedPartIsAboutOneGibPlusTheEvalBudget) {
  const PackMemoryEstimate e = EstimatePackMemory(PaperConfig(6), 71, 48, 4);
  EXPECT_EQ(e.fixed_bytes - pm::kDefaultEvalBytes, pm::kGiB);
  EXPECT_EQ(EstimatePackMemory(PaperConfig(6), 71, 48, 4, 1024 * pm::kMiB).fixed_bytes,
            pm::kGiB + 1024 * pm::kMiB);
}

TEST(EstimatePackMemoryTest, GrowsWithDepthLengthBucketsAndBatch) {
  int64_t previous = 0;
  for (int64_t depth : {1, 2, 4, 6, 8, 10}) {
    const PackMemoryEstimate e = EstimatePackMemory(PaperConfig(depth), 128, 48, 4);
    EXPECT_GT(e.per_seed_bytes, previous) << "depth " << depth;
    EXPECT_EQ(e.fixed_bytes, EstimatePackMemory(PaperConfig(2), 128, 48, 4).fixed_bytes);
    previous = e.per_seed_bytes;
  }
  const TrainConfig c = PaperConfig(6);
  EXPECT_GT(EstimatePackMemory(c, 128, 256, 4).activation_bytes_per_seed,
            EstimatePackMemory(c, 128, 48, 4).activation_bytes_per_seed);
  // One more bucket is one more [S, P] gradient buffer.
  EXPECT_EQ(EstimatePackMemory(c, 128, 48, 5).state_bytes_per_seed -
                EstimatePackMemory(c, 128, 48, 4).state_bytes_per_seed,
            ModelParamCount(c, 128) * pm::kGradBytesPerParam);
  TrainConfig big_batch = c;
  big_batch.batch_size = 16;
  EXPECT_GT(EstimatePackMemory(big_batch, 128, 48, 4).activation_bytes_per_seed,
            EstimatePackMemory(c, 128, 48, 4).activation_bytes_per_seed);
  // Attention grows with T^2: doubling T more than doubles the activations at long lengths.
  EXPECT_GT(EstimatePackMemory(c, 128, 512, 4).activation_bytes_per_seed,
            2 * EstimatePackMemory(c, 128, 256, 4).activation_bytes_per_seed);
  // Out-of-range arguments are clamped, not trusted.
  EXPECT_EQ(EstimatePackMemory(c, 128, 0, -3).per_seed_bytes,
            EstimatePackMemory(c, 128, 1, 0).per_seed_bytes);
}

TEST(SeedsThatFitTest, CountsWholeSeedsInTheUsableShare) {
  PackMemoryEstimate e;
  e.fixed_bytes = 1000;
  e.per_seed_bytes = 300;
  EXPECT_EQ(SeedsThatFit(e, 1900, 1.0), 3);
  EXPECT_EQ(SeedsThatFit(e, 1899, 1.0), 2);
  EXPECT_EQ(SeedsThatFit(e, 1300, 1.0), 1);
  EXPECT_EQ(SeedsThatFit(e, 1299, 1.0), 0);  // not even one seed
  EXPECT_EQ(SeedsThatFit(e, 500, 1.0), 0);   // not even the fixed part
  EXPECT_EQ(SeedsThatFit(e, 3800, 0.5), 3);
  EXPECT_EQ(SeedsThatFit(e, 0, 0.9), 0);
  EXPECT_EQ(SeedsThatFit(e, 1900, 0.0), 0);
  e.fixed_bytes = 0;
  e.per_seed_bytes = 1;
  EXPECT_EQ(SeedsThatFit(e, int64_t{1} << 40, 1.0), std::numeric_limits<int32_t>::max());
}

TEST(SeedsThatFitTest, FewerSeedsFitAsTheModelGrowsAndMoreAsTheDeviceDoes) {
  const int64_t device = 80 * pm::kGiB;
  int32_t previous = std::numeric_limits<int32_t>::max();
  for (int64_t depth : {2, 4, 6, 8, 10}) {
    const PackMemoryEstimate e = EstimatePackMemory(PaperConfig(depth), 128, 256, 4);
    const int32_t n = SeedsThatFit(e, device, pm::kDefaultUsableFraction);
    EXPECT_LE(n, previous) << "depth " << depth;
    EXPECT_GE(n, 1) << "depth " << depth;
    // The answer really fits, and one more would not.
    EXPECT_LE(e.Bytes(n), device * pm::kDefaultUsableFraction);
    EXPECT_GT(e.Bytes(n + 1), device * pm::kDefaultUsableFraction);
    previous = n;
  }
  const PackMemoryEstimate e = EstimatePackMemory(PaperConfig(10), 128, 256, 4);
  EXPECT_LT(SeedsThatFit(e, 24 * pm::kGiB, 0.9), SeedsThatFit(e, 80 * pm::kGiB, 0.9));
  EXPECT_EQ(SeedsThatFit(e, 4 * pm::kGiB, 0.9), 0);  // smaller than the fixed part
}

TEST(TaskSizeBoundsTest, PerTaskLengthsAndOneIdBound) {
  for (TaskKind t : {TaskKind::kQuestionFormation, TaskKind::kTenseInflection, TaskKind::kDyck}) {
    EXPECT_EQ(TaskSizeBoundsFor(t).num_ids, pm::kNumIdsBound);
    EXPECT_GE(TaskSizeBoundsFor(t).num_ids, 101);  // the largest task vocabulary (Tense, §1.8)
  }
  EXPECT_EQ(TaskSizeBoundsFor(TaskKind::kQuestionFormation).max_tokens, 48);
  EXPECT_EQ(TaskSizeBoundsFor(TaskKind::kTenseInflection).max_tokens, 48);
  EXPECT_EQ(TaskSizeBoundsFor(TaskKind::kDyck).max_tokens, 256);
  // Dyck reaches the trainer's cap of 8 graphs; QF and Tense meet fewer buckets.
  EXPECT_EQ(TaskSizeBoundsFor(TaskKind::kDyck).graph_buckets, 8);
  EXPECT_LT(TaskSizeBoundsFor(TaskKind::kQuestionFormation).graph_buckets, 8);
  EXPECT_LT(TaskSizeBoundsFor(TaskKind::kTenseInflection).graph_buckets, 8);
  // Only Dyck's steps can outgrow the graphs.
  EXPECT_EQ(TaskSizeBoundsFor(TaskKind::kDyck).eager_line_tokens, pm::kEagerLineTokensDyck);
  EXPECT_EQ(TaskSizeBoundsFor(TaskKind::kQuestionFormation).eager_line_tokens, 0);
  EXPECT_EQ(TaskSizeBoundsFor(TaskKind::kTenseInflection).eager_line_tokens, 0);
}

TEST(PackMemoryEstimateTest, ToStringNamesTheParts) {
  const std::string s = EstimatePackMemory(PaperConfig(6), 71, 48, 4).ToString();
  EXPECT_NE(s.find("GiB fixed"), std::string::npos) << s;
  EXPECT_NE(s.find("19.0M params"), std::string::npos) << s;
  EXPECT_EQ(s.find("eager"), std::string::npos) << s;
  const std::string dyck = EstimatePackMemory(PaperConfig(6), 43, 256, 8, 0, 1152).ToString();
  EXPECT_NE(dyck.find("GiB of an eager step"), std::string::npos) << dyck;
}

}  // namespace
}  // namespace sg
