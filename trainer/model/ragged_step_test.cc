// The ragged layout (ragged_batch.h: each seed its own positions) against the padded batch
// (one row per line): the same per-seed loss, gradients and logits of every line, and the
// trainer in the layout against the padded trainer. On the CPU (the table operations' LibTorch
// forms, ragged_table_ops.h); the *OnCuda tests repeat the trainer's on a GPU (our batched GEMM,
// our LayerNorm kernels, graph steps) and skip where there is none.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "trainer/model/cuda_seed_weight_grad.h"
#include "trainer/model/data_order.h"
#include "trainer/model/dyck_test_lines.h"
#include "trainer/model/lm_batch.h"
#include "trainer/model/pack_model.h"
#include "trainer/model/pack_trainer.h"
#include "trainer/model/ragged_batch.h"
#include "trainer/model/ragged_model.h"
#include "trainer/model/resume_test_util.h"

namespace sg {
namespace {

using namespace dyck_test;  // NOLINT: the shared lines and options

int64_t Positions(const TokenIds& line) { return static_cast<int64_t>(line.size()) + 1; }

TEST(RaggedBatchTest, EachSeedTakesItsOwnChunks) {
  const auto data = DyckBatches();  // the seeds' lines take 466, 548 and 140 positions
  const auto lines = Pointers(data);
  RaggedLayout layout;
  layout.line_slots = 0;
  const RaggedBatch b = MakeRaggedBatch(lines, kSos, kEos, torch::kCPU, layout);
  EXPECT_EQ(b.seed_begin, (std::vector<int64_t>{0, 512, 1088, 1280}));
  EXPECT_EQ(RaggedChunksOf(lines, 64), 20);
  ASSERT_EQ(b.ids.size(0), 1280);
  std::vector<int64_t> chunk_seed(b.chunk_seed.data_ptr<int64_t>(),
                                  b.chunk_seed.data_ptr<int64_t>() + b.chunk_seed.numel());
  std::vector<int64_t> want(8, 0);
  want.resize(17, 1);
  want.resize(20, 2);
  EXPECT_EQ(chunk_seed, want);
  EXPECT_EQ(b.counts[0].item<float>(), 466.0f);
  // Seed 1's second line (4 tokens) right after its first (120 tokens): SOS, its tokens, the
  // EOS target, positions from 0, its line's start.
  const int64_t at = 512 + 121;
  EXPECT_EQ(b.ids[at].item<int64_t>(), kSos);
  EXPECT_EQ(b.ids[at + 1].item<int64_t>(), data[1][1][0]);
  EXPECT_EQ(b.targets[at].item<int64_t>(), data[1][1][0]);
  EXPECT_EQ(b.targets[at + 4].item<int64_t>(), kEos);
  EXPECT_EQ(b.line_pos[at + 3].item<int64_t>(), 3);
  EXPECT_EQ(b.line_start[at + 3].item<int64_t>(), at);
  // Padding after a seed's lines: no target, each position a line of its own.
  EXPECT_EQ(b.targets[512 + 548].item<int64_t>(), -100);
  EXPECT_EQ(b.line_start[512 + 550].item<int64_t>(), 512 + 550);
  // The line starts: 8 lines per seed and every padding position, then the end.
  const int64_t padding = 1280 - 466 - 548 - 140;
  ASSERT_EQ(b.line_seqstarts.numel(), 24 + padding + 1);
  EXPECT_EQ(b.line_seqstarts[0].item<int32_t>(), 0);
  EXPECT_EQ(b.line_seqstarts[8].item<int32_t>(), 466);  // seed 0's first padding position
  EXPECT_EQ(b.line_seqstarts[8 + 46].item<int32_t>(), 512);
  EXPECT_EQ(b.line_seqstarts[-1].item<int32_t>(), 1280);
}

TEST(RaggedBatchTest, ChunksPastTheSeedsOwnArePaddingOfTheLastSeed) {
  const auto data = DyckBatches();
  const auto lines = Pointers(data);
  RaggedLayout layout;
  layout.chunk = 128;
  layout.chunks = 12;
  layout.line_slots = 2000;
  layout.own_offsets = true;
  const RaggedBatch b = MakeRaggedBatch(lines, kSos, kEos, torch::kCPU, layout);
  EXPECT_EQ(b.seed_begin, (std::vector<int64_t>{0, 512, 1152, 1536}));
  EXPECT_EQ(b.chunk_seed[11].item<int64_t>(), 2);
  // The padded view: as long as the largest seed's own chunks (640), not the last seed's
  // segment with the padding chunks (768); those rows go to the row after the view.
  EXPECT_EQ(b.seed_slots, 640);
  EXPECT_EQ(b.padded_rows, 3 * 640 + 1);
  EXPECT_EQ(b.padded_slot[1152 + 255].item<int64_t>(), 2 * 640 + 255);
  EXPECT_EQ(b.padded_slot[1152 + 256].item<int64_t>(), 3 * 640);
  EXPECT_EQ(b.padded_slot[1535].item<int64_t>(), 3 * 640);
  // slot_row is padded_slot the other way: the view's slots, each its row or -1 (zeros).
  ASSERT_EQ(b.slot_row.numel(), 3 * 640);
  for (int64_t r = 0; r < 1536; ++r) {
    const int64_t slot = b.padded_slot[r].item<int64_t>();
    if (slot < 3 * 640) {
      ASSERT_EQ(b.slot_row[slot].item<int64_t>(), r) << "row " << r;
    }
  }
  EXPECT_EQ(b.slot_row[512].item<int64_t>(), -1);  // seed 0 holds 512 of the 640 slots
  EXPECT_EQ(b.slot_row[640].item<int64_t>(), 512);
  EXPECT_EQ(b.slot_row.ge(0).sum().item<int64_t>(), 1408);  // the seeds' own 11 chunks
  // The weight gradients' table: each seed's own rows, the last seed's without the padding.
  EXPECT_TRUE(torch::equal(b.seed_offsets, torch::tensor({0, 512, 1152, 1536}, torch::kInt64)));
  EXPECT_TRUE(
      torch::equal(b.seed_own_offsets, torch::tensor({0, 512, 1152, 1408}, torch::kInt64)));
  layout.slot_rows = false;  // LibTorch's copies make the views then
  layout.own_offsets = false;  // and the weight gradients always read them
  const RaggedBatch views = MakeRaggedBatch(lines, kSos, kEos, torch::kCPU, layout);
  EXPECT_FALSE(views.slot_row.defined());
  EXPECT_FALSE(views.seed_own_offsets.defined());
  ASSERT_EQ(b.line_seqstarts.numel(), 2001);
  EXPECT_EQ(b.line_seqstarts[2000].item<int32_t>(), 1536);
  EXPECT_EQ(b.targets.slice(0, 140 + 1152).max().item<int64_t>(), -100);
}

TEST(RaggedBatchTest, RefusesALayoutThatCannotHoldTheLines) {
  const auto data = DyckBatches();
  const auto lines = Pointers(data);
  RaggedLayout odd;
  odd.chunk = 60;
  EXPECT_THROW(MakeRaggedBatch(lines, kSos, kEos, torch::kCPU, odd), c10::Error);
  RaggedLayout few;
  few.chunks = 19;  // the seeds need 20 chunks of 64
  EXPECT_THROW(MakeRaggedBatch(lines, kSos, kEos, torch::kCPU, few), c10::Error);
  RaggedLayout slots;
  slots.line_slots = 100;  // 24 lines and 126 padding positions
  EXPECT_THROW(MakeRaggedBatch(lines, kSos, kEos, torch::kCPU, slots), c10::Error);
}

// A graph's static batch: the shapes of the host batch on the device, filled by a copy.
TEST(RaggedBatchTest, StaticBatchTakesTheHostBatchsCopy) {
  const auto data = DyckBatches();
  RaggedLayout layout;
  layout.line_slots = 1280;
  layout.own_offsets = true;
  const RaggedBatch host = MakeRaggedBatch(Pointers(data), kSos, kEos, torch::kCPU, layout);
  RaggedBatch fixed = StaticRaggedBatch(host, torch::kCPU);
  EXPECT_TRUE(fixed.seed_begin.empty());
  EXPECT_EQ(fixed.seed_slots, host.seed_slots);
  EXPECT_NE(fixed.ids.data_ptr(), host.ids.data_ptr());
  CopyRaggedBatch(host, &fixed);
  for (const auto& [a, b] : std::vector<std::pair<torch::Tensor, torch::Tensor>>{
           {fixed.ids, host.ids},               {fixed.targets, host.targets},
           {fixed.line_pos, host.line_pos},     {fixed.line_start, host.line_start},
           {fixed.line_seqstarts, host.line_seqstarts}, {fixed.counts, host.counts},
           {fixed.chunk_seed, host.chunk_seed}, {fixed.row_seed, host.row_seed},
           {fixed.seed_offsets, host.seed_offsets}, {fixed.padded_slot, host.padded_slot},
           {fixed.slot_row, host.slot_row}, {fixed.seed_own_offsets, host.seed_own_offsets}}) {
    EXPECT_TRUE(torch::equal(a, b));
  }
}

struct Result {
  torch::Tensor loss;  // [S], float64
  torch::Tensor grad;  // [S,P]
  std::vector<std::vector<torch::Tensor>> line_logits;  // [seed][line]: [n+1, V]
};

// One forward and backward (dropout off) of these lines, padded (one row per line).
Result PaddedStep(PackModel& model, const std::vector<std::vector<const TokenIds*>>& lines) {
  const LmBatch b = MakeLmBatch(lines, kSos, kEos, model.device());
  const int64_t S = b.ids.size(0), B = b.ids.size(1), T = b.ids.size(2);
  ForwardOptions fwd;
  fwd.train = true;
  model.flat_grad().zero_();
  const PackParams& p = model.params();
  torch::Tensor logits = model.Logits(p, model.Hidden(p, b.ids, b.lengths, fwd));
  torch::Tensor loss = LossPerSeed(logits, b.targets.view({S, -1}), b.counts);
  loss.sum().backward();
  Result r{loss.detach().cpu().to(torch::kFloat64), model.flat_grad().cpu().clone(), {}};
  logits = logits.detach().cpu().view({S, B, T, -1});
  for (int64_t s = 0; s < S; ++s) {
    r.line_logits.emplace_back();
    for (size_t i = 0; i < lines[s].size(); ++i) {
      r.line_logits[s].push_back(logits[s][i].narrow(0, 0, Positions(*lines[s][i])));
    }
  }
  return r;
}

// The same in the ragged layout.
Result RaggedStep(PackModel& model, const std::vector<std::vector<const TokenIds*>>& lines,
                  const RaggedLayout& layout) {
  const RaggedBatch b = MakeRaggedBatch(lines, kSos, kEos, model.device(), layout);
  RaggedForwardOptions fwd;
  fwd.train = true;
  model.flat_grad().zero_();
  const PackParams& p = model.params();
  torch::Tensor logits = RaggedLogits(p, RaggedHidden(model, p, b, fwd), b);
  torch::Tensor loss = RaggedLossPerSeed(logits, b);
  loss.sum().backward();
  Result r{loss.detach().cpu().to(torch::kFloat64), model.flat_grad().cpu().clone(), {}};
  logits = logits.detach().cpu();
  for (size_t s = 0; s < lines.size(); ++s) {
    r.line_logits.emplace_back();
    int64_t at = b.seed_begin[s];
    for (const TokenIds* line : lines[s]) {
      r.line_logits[s].push_back(logits.narrow(0, at, Positions(*line)));
      at += Positions(*line);
    }
  }
  return r;
}

void ExpectRaggedEqualsPadded(const ModelShape& shape, const RaggedLayout& layout) {
  const auto data = DyckBatches();
  const auto lines = Pointers(data);
  PackModel model(shape, {3, 7, 11}, torch::kCPU);
  const Result padded = PaddedStep(model, lines);
  const Result ragged = RaggedStep(model, lines, layout);
  EXPECT_TRUE(torch::allclose(ragged.loss, padded.loss, /*rtol=*/2e-6, /*atol=*/0))
      << "ragged " << ragged.loss << " padded " << padded.loss;
  const double scale = padded.grad.abs().max().item<double>();
  const double diff = (ragged.grad - padded.grad).abs().max().item<double>();
  EXPECT_LT(diff, 1e-5 * scale) << "max |grad difference| " << diff << " of " << scale;
  for (size_t s = 0; s < lines.size(); ++s) {
    for (size_t i = 0; i < lines[s].size(); ++i) {
      EXPECT_TRUE(torch::allclose(ragged.line_logits[s][i], padded.line_logits[s][i], 1e-4, 1e-5))
          << "seed " << s << " line " << i;
    }
  }
}

TEST(RaggedStepTest, LossAndGradientsEqualThePaddedStep) {
  ExpectRaggedEqualsPadded(SmallShape(), RaggedLayout{});
}

// Larger chunks and chunks past the seeds' own (what a captured graph's rounding adds), with
// the padded view as large as the largest seed (548 positions: 18 chunks of 32) or larger.
TEST(RaggedStepTest, PaddingChunksChangeNothing) {
  for (int64_t seed_chunks : {0, 18, 20}) {
    SCOPED_TRACE(seed_chunks);
    RaggedLayout layout;
    layout.chunk = 32;
    layout.chunks = 60;
    layout.seed_chunks = seed_chunks;
    ExpectRaggedEqualsPadded(SmallShape(), layout);
  }
}

TEST(RaggedStepTest, TiedEmbeddingsEqualThePaddedStep) {
  ModelShape shape = SmallShape();
  shape.tie_embeddings = true;
  ExpectRaggedEqualsPadded(shape, RaggedLayout{});
}

// --- The trainer in the ragged layout (PackTrainerOptions::ragged_chunk). ---

PackTrainerOptions RaggedOptions(const torch::Device& device, int64_t chunk) {
  PackTrainerOptions o = TrainerOptions(device, /*pack_lines=*/false);
  o.ragged_chunk = chunk;
  return o;
}

// The same lines per seed and step, the same losses and updates as the padded trainer.
void ExpectRaggedTrainingEqualsPadded(const torch::Device& device, double tolerance) {
  const std::vector<TokenIds> train = DyckTrain(96);
  PackTrainer padded(TrainerOptions(device, false), &train);
  PackTrainer ragged(RaggedOptions(device, kRaggedChunk), &train);
  for (int step = 1; step <= 8; ++step) {
    const torch::Tensor a = padded.Step().cpu().to(torch::kFloat64);
    const torch::Tensor b = ragged.Step().cpu().to(torch::kFloat64);
    EXPECT_TRUE(torch::allclose(b, a, tolerance, 0)) << "step " << step << ": " << b << a;
  }
  EXPECT_TRUE(torch::allclose(ragged.model().flat().cpu(), padded.model().flat().cpu(),
                              100 * tolerance, 1e-6));
  EXPECT_LT(ragged.computed_positions(), padded.computed_positions());
  // Where the padded trainer captures graphs (CUDA, LibTorch 2.4+), so does the ragged one.
  if (padded.num_graphs() > 0) {
    EXPECT_GT(ragged.graph_steps(), 0);
  }
}

TEST(RaggedStepTest, RaggedTrainerTakesThePaddedTrainersSteps) {
  ExpectRaggedTrainingEqualsPadded(torch::kCPU, 1e-5);
}

// Each step computes its seeds' own chunks: the sum over seeds of their positions in 64s.
TEST(RaggedStepTest, RaggedTrainerCountsItsPositions) {
  const std::vector<TokenIds> train = DyckTrain(96);
  const PackTrainerOptions o = RaggedOptions(torch::kCPU, 32);
  PackTrainer trainer(o, &train);
  std::vector<DataOrder> orders;
  for (int64_t seed : o.seeds) orders.emplace_back(seed, static_cast<int64_t>(train.size()), 8);
  int64_t computed = 0, real = 0;
  for (int step = 0; step < 3; ++step) {
    trainer.Step();
    for (DataOrder& order : orders) {
      std::vector<int64_t> tokens;
      for (int64_t i : order.NextBatch()) tokens.push_back(Positions(train[i]));
      computed += 32 * RaggedSeedChunks(tokens, 32);
      for (int64_t t : tokens) real += t;
    }
  }
  EXPECT_EQ(trainer.computed_positions(), computed);
  EXPECT_EQ(trainer.real_positions(), real);
  EXPECT_EQ(trainer.eager_steps(), 3);
}

// With dropout (the pack-level stream, reseeded per update) a resumed pack takes the straight
// pack's steps bit for bit; the masks do drop (the losses differ from dropout 0's).
TEST(RaggedStepTest, RaggedTrainerWithDropoutResumesBitExactly) {
  std::vector<TokenIds> train;  // lines of at most 40 tokens: a quick test
  for (const TokenIds& line : DyckTrain(200)) {
    if (line.size() <= 40) train.push_back(line);
  }
  PackTrainerOptions o = RaggedOptions(torch::kCPU, kRaggedChunk);
  o.config.dropout = 0.1;
  testing_util::ExpectResumeIsBitExact(o, train, /*split=*/3, /*total=*/5, /*min_graph_steps=*/0);
  PackTrainer dropped(o, &train);
  o.config.dropout = 0.0;
  PackTrainer kept(o, &train);
  EXPECT_FALSE(torch::equal(dropped.Step(), kept.Step()));
}

// The weight gradients from x's padded view transposed first
// (PackTrainerOptions::lt_transposed_weight_grads: "nn" for cuBLAS): the losses of the views as
// they stand, step by step, and with dropout a resumed pack takes the straight pack's bits.
void ExpectTransposedWeightGradsTrainAndResume(const torch::Device& device, double tolerance) {
  PackTrainerOptions views = RaggedOptions(device, kRaggedChunk);
  views.config.dropout = 0.1;
  PackTrainerOptions transposed = views;
  transposed.lt_transposed_weight_grads = true;
  const std::vector<TokenIds> train = DyckTrain(96);
  PackTrainer a(views, &train), b(transposed, &train);
  for (int step = 1; step <= 6; ++step) {
    const torch::Tensor la = a.Step().cpu().to(torch::kFloat64);
    const torch::Tensor lb = b.Step().cpu().to(torch::kFloat64);
    EXPECT_TRUE(torch::allclose(lb, la, tolerance, 0)) << "step " << step << ": " << lb << la;
  }
  testing_util::ExpectResumeIsBitExact(transposed, train, /*split=*/5, /*total=*/8,
                                       /*min_graph_steps=*/b.num_graphs() > 0 ? 4 : 0);
}

TEST(RaggedStepTest, TransposedWeightGradsTrainAndResume) {
  ExpectTransposedWeightGradsTrainAndResume(torch::kCPU, 1e-5);
}

TEST(RaggedStepTest, RefusesAChunkThatIsNotAMultipleOfEight) {
  const std::vector<TokenIds> train = DyckTrain(16);
  EXPECT_THROW(PackTrainer(RaggedOptions(torch::kCPU, 12), &train), c10::Error);
  EXPECT_THROW(PackTrainer(RaggedOptions(torch::kCPU, -8), &train), c10::Error);
}

// --- On a GPU (fp32 matmuls, TF32 off; our attention per line where built). Skipped
// without CUDA. ---

TEST(RaggedStepTest, RaggedTrainerTakesThePaddedTrainersStepsOnCuda) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  ExpectRaggedTrainingEqualsPadded(torch::Device(torch::kCUDA, 0), 1e-4);
}

// The weight gradients by our TF32 kernel (PackTrainerOptions::ragged_own_weight_grads; widths
// of 128 and 256, so that it serves): the losses the views' TF32 products give, and through the
// graph steps with dropout a resumed pack takes the same bits as one that never stopped.
TEST(RaggedStepTest, OwnWeightGradsTrainAndResumeBitExactlyInTf32OnCuda) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  PackTrainerOptions views = RaggedOptions(torch::Device(torch::kCUDA, 0), kRaggedChunk);
  views.config.d_model = 128;
  views.config.ff = 256;
  views.config.dropout = 0.1;
  views.tf32 = true;
  PackTrainerOptions own = views;
  own.ragged_own_weight_grads = true;
  const std::vector<TokenIds> train = DyckTrain(96);
  PackTrainer a(views, &train);
  const int64_t before = SeedRowsLinearGradsServed();
  PackTrainer b(own, &train);
  for (int step = 1; step <= 6; ++step) {
    const torch::Tensor la = a.Step().cpu().to(torch::kFloat64);
    const torch::Tensor lb = b.Step().cpu().to(torch::kFloat64);
    EXPECT_TRUE(torch::allclose(lb, la, 1e-3, 0)) << "step " << step << ": " << lb << la;
  }
  EXPECT_GT(SeedRowsLinearGradsServed(), before) << "the kernel never served";
  testing_util::ExpectResumeIsBitExact(own, train, /*split=*/5, /*total=*/8,
                                       /*min_graph_steps=*/b.num_graphs() > 0 ? 4 : 0);
  at::globalContext().setAllowTF32CuBLAS(false);  // the tests after this one expect fp32
}

TEST(RaggedStepTest, TransposedWeightGradsTrainAndResumeOnCuda) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  ExpectTransposedWeightGradsTrainAndResume(torch::Device(torch::kCUDA, 0), 1e-4);
}

TEST(RaggedStepTest, RaggedTrainerWithDropoutResumesBitExactlyOnCuda) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  PackTrainerOptions o = RaggedOptions(torch::Device(torch::kCUDA, 0), kRaggedChunk);
  o.config.dropout = 0.1;
  const std::vector<TokenIds> train = DyckTrain(96);
  // Graph steps where this LibTorch has them (a padded trainer's graphs say so).
  PackTrainerOptions padded_options = TrainerOptions(o.device, /*pack_lines=*/false);
  PackTrainer padded(padded_options, &train);
  for (int i = 0; i < 4; ++i) padded.Step();
  testing_util::ExpectResumeIsBitExact(o, train, /*split=*/5, /*total=*/8,
                                       /*min_graph_steps=*/padded.num_graphs() > 0 ? 4 : 0);
}

}  // namespace
}  // namespace sg
