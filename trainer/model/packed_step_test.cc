// Packed rows (several lines per row, line_packing.h) against the padded batch (one row per
// line): the same per-seed token-mean loss, the same gradients, positions restarting per line,
// and no attention across lines. On the CPU; the *OnCuda tests repeat them on a GPU and skip
// where there is none.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <random>
#include <vector>

#include "trainer/model/cuda_line_attention.h"
#include "trainer/model/data_order.h"
#include "trainer/model/dyck_test_lines.h"
#include "trainer/model/graph_buckets.h"
#include "trainer/model/lm_batch.h"
#include "trainer/model/pack_model.h"
#include "trainer/model/pack_trainer.h"

namespace sg {
namespace {

using namespace dyck_test;  // NOLINT: the shared lines and options

// The tensors are tiny: intra-op threads only contend with each other (and with whatever else
// runs on a CI machine's few cores).
class OneThread : public ::testing::Environment {
 public:
  void SetUp() override { at::set_num_threads(1); }
};
::testing::Environment* const kOneThread = ::testing::AddGlobalTestEnvironment(new OneThread);

struct StepResult {
  torch::Tensor loss;   // [S]
  torch::Tensor grad;   // [S,P]
  torch::Tensor logits; // [S,B,T,V] as the batch lays its rows out
  LmBatch batch;
};

// One training forward and backward of `model` on these lines (dropout off), padded or
// packed into rows of `row_len` positions (0: the default length). line_slots >= 0: packed
// with attention per line (cuda_line_attention.h), that many line slots (0: the lines).
StepResult ForwardBackward(PackModel& model, const std::vector<std::vector<const TokenIds*>>& lines,
                           bool packed, int64_t row_len = 0, int64_t line_slots = -1,
                           bool one_row = false, int64_t one_row_granule = kOneRowGranule) {
  LmBatchLayout layout;
  layout.packed = packed;
  layout.one_row = one_row;
  layout.one_row_granule = one_row_granule;
  layout.len = row_len;
  layout.line_slots = line_slots;
  StepResult r;
  r.batch = MakeLmBatch(lines, kSos, kEos, model.device(), layout);
  const LmBatch& b = r.batch;
  const int64_t S = b.ids.size(0), B = b.ids.size(1), T = b.ids.size(2);
  ForwardOptions fwd;
  fwd.train = true;  // dropout 0: the training forward without masks
  if (packed) fwd.line_start = &b.line_start;
  if (packed && line_slots >= 0) fwd.line_seqstarts = &b.line_seqstarts;
  model.flat_grad().zero_();
  const PackParams& p = model.params();
  torch::Tensor logits = model.Logits(p, model.Hidden(p, b.ids, b.lengths, fwd));
  r.loss = LossPerSeed(logits, b.targets.view({S, -1}), b.counts);
  r.loss.sum().backward();
  r.loss = r.loss.detach().cpu().to(torch::kFloat64);
  r.grad = model.flat_grad().cpu().clone();
  r.logits = logits.detach().cpu().view({S, B, T, -1});
  return r;
}

// Each line's logits [n+1, V] in a batch, found from where MakeLmBatch put it.
torch::Tensor LineLogits(const StepResult& r, int64_t s, int64_t line,
                         const std::vector<std::vector<const TokenIds*>>& lines, bool packed) {
  const int64_t n = static_cast<int64_t>(lines[s][line]->size()) + 1;
  if (!packed) return r.logits[s][line].narrow(0, 0, n);
  // Packed: find the line by its slot (PackIntoRows at the batch's row length).
  std::vector<int64_t> tokens;
  for (const TokenIds* l : lines[s]) tokens.push_back(static_cast<int64_t>(l->size()) + 1);
  int64_t rows = 0;
  const std::vector<PackedSlot> slots = PackIntoRows(tokens, r.batch.ids.size(2), &rows);
  return r.logits[s][slots[line].row].narrow(0, slots[line].offset, n);
}

void ExpectPackedEqualsPadded(const torch::Device& device, int64_t line_slots = -1,
                              bool one_row = false, int64_t one_row_granule = kOneRowGranule) {
  const auto data = DyckBatches();
  const auto lines = Pointers(data);
  PackModel model(SmallShape(), {3, 7, 11}, device);
  const StepResult padded = ForwardBackward(model, lines, /*packed=*/false);
  // 301-token longest line: rows of 512, and of 320 (a length the graphs never use, to pack
  // the rows tighter: several lines per row in every seed). One row per seed: its own length.
  const std::vector<int64_t> row_lens =
      one_row ? std::vector<int64_t>{0} : std::vector<int64_t>{0, 320};
  for (int64_t row_len : row_lens) {
    SCOPED_TRACE(row_len);
    const StepResult packed = ForwardBackward(model, lines, /*packed=*/true, row_len,
                                              line_slots, one_row, one_row_granule);
    // The layout really packs: fewer rows than lines, and some row holds several lines.
    ASSERT_LT(packed.batch.ids.size(1), one_row ? 2 : 8);
    if (one_row) {  // as long as the seed with most positions, in multiples of the granule
      int64_t most = 0;
      for (const auto& seed : lines) {
        int64_t total = 0;
        for (const TokenIds* l : seed) total += static_cast<int64_t>(l->size()) + 1;
        most = std::max(most, total);
      }
      ASSERT_EQ(packed.batch.ids.size(2), OneRowLength(most, one_row_granule));
    }
    ASSERT_GT(packed.batch.line_start.max().item<int64_t>(), 0);
    // Per-seed token-mean loss: the same targets and counts, summed in another order.
    EXPECT_TRUE(torch::allclose(packed.loss, padded.loss, /*rtol=*/2e-6, /*atol=*/0))
        << "packed " << packed.loss << " padded " << padded.loss;
    EXPECT_TRUE(torch::equal(packed.batch.counts.cpu(), padded.batch.counts.cpu()));
    // Gradients of every parameter of every seed.
    const double scale = padded.grad.abs().max().item<double>();
    const double diff = (packed.grad - padded.grad).abs().max().item<double>();
    EXPECT_LT(diff, 1e-5 * scale) << "max |grad difference| " << diff << " of " << scale;
    // Every line's logits, wherever it sits in its row: positions restart at the line.
    for (int64_t s = 0; s < 3; ++s) {
      for (int64_t i = 0; i < 8; ++i) {
        EXPECT_TRUE(torch::allclose(LineLogits(packed, s, i, lines, true),
                                    LineLogits(padded, s, i, lines, false), 1e-4, 1e-5))
            << "seed " << s << " line " << i;
      }
    }
  }
}

TEST(PackedStepTest, LossAndGradientsEqualThePaddedStep) {
  ExpectPackedEqualsPadded(torch::kCPU);
}

// Every seed's lines in one row (the seeds' lines take 466, 548 and 140 positions: rows of 768).
TEST(PackedStepTest, OneRowPerSeedEqualsThePaddedStep) {
  ExpectPackedEqualsPadded(torch::kCPU, /*line_slots=*/-1, /*one_row=*/true);
}

// Rows in multiples of 16 positions (PackTrainerOptions::one_row_granule) instead of 256: a
// row shorter than the default's here.
TEST(PackedStepTest, OneRowPerSeedInSixteensEqualsThePaddedStep) {
  const auto data = DyckBatches();  // the pointers below point into it
  const auto lines = Pointers(data);
  int64_t most = 0;
  for (const auto& seed : lines) {
    int64_t total = 0;
    for (const TokenIds* l : seed) total += static_cast<int64_t>(l->size()) + 1;
    most = std::max(most, total);
  }
  ASSERT_LT(OneRowLength(most, 16), OneRowLength(most));
  ExpectPackedEqualsPadded(torch::kCPU, /*line_slots=*/-1, /*one_row=*/true,
                           /*one_row_granule=*/16);
}

TEST(PackedStepTest, NoTokenSeesAnotherLine) {
  const auto data = DyckBatches();
  auto lines = Pointers(data);
  PackModel model(SmallShape(), {3, 7, 11}, torch::kCPU);
  const StepResult before = ForwardBackward(model, lines, /*packed=*/true, 320);
  // Seed 0's 300-token line shares its row with shorter lines packed after it: change its
  // brackets (same length). Those lines must not notice; the line itself must.
  std::vector<std::vector<TokenIds>> changed = data;
  for (int32_t& id : changed[0][1]) id = id <= 20 ? 1 + id % 20 : 21 + id % 20;
  auto changed_lines = Pointers(changed);
  const StepResult after = ForwardBackward(model, changed_lines, /*packed=*/true, 320);
  for (int64_t i = 0; i < 8; ++i) {
    if (i == 1) continue;
    EXPECT_TRUE(torch::equal(LineLogits(before, 0, i, lines, true),
                             LineLogits(after, 0, i, changed_lines, true)))
        << "line " << i << " changed when another line of its row did";
  }
  EXPECT_FALSE(torch::allclose(LineLogits(before, 0, 1, lines, true),
                               LineLogits(after, 0, 1, changed_lines, true)));
  // Lines after the long one in its row exist (else the check above proves nothing).
  std::vector<int64_t> tokens;
  for (const TokenIds* l : lines[0]) tokens.push_back(static_cast<int64_t>(l->size()) + 1);
  int64_t rows = 0;
  const std::vector<PackedSlot> slots = PackIntoRows(tokens, 320, &rows);
  int64_t after_long = 0;
  for (int64_t i = 0; i < 8; ++i) {
    if (i != 1 && slots[i].row == slots[1].row && slots[i].offset > slots[1].offset) ++after_long;
  }
  EXPECT_GT(after_long, 0);
}

// The trainer with pack_lines takes the same steps as without: the same lines per seed and
// step (the data order does not change), the same loss, the same updates.
void ExpectPackedTrainingEqualsPadded(const torch::Device& device, double tolerance,
                                      bool one_row = false,
                                      int64_t one_row_granule = kOneRowGranule) {
  const std::vector<TokenIds> train = DyckTrain(96);
  PackTrainer padded(TrainerOptions(device, false), &train);
  PackTrainer packed(TrainerOptions(device, true, one_row, one_row_granule), &train);
  for (int step = 1; step <= 8; ++step) {
    const torch::Tensor a = padded.Step().cpu().to(torch::kFloat64);
    const torch::Tensor b = packed.Step().cpu().to(torch::kFloat64);
    EXPECT_TRUE(torch::allclose(b, a, tolerance, 0)) << "step " << step << ": " << b << a;
  }
  EXPECT_TRUE(torch::allclose(packed.model().flat().cpu(), padded.model().flat().cpu(),
                              100 * tolerance, 1e-6));
}

TEST(PackedStepTest, PackedTrainerTakesThePaddedTrainersSteps) {
  ExpectPackedTrainingEqualsPadded(torch::kCPU, 1e-5);
}

// The positions each trainer's steps computed and the real ones among them, against the same
// steps' lines (DataOrder, as the trainer draws them): padded rows as long as the longest
// line, and one row per seed in 16s as long as the seed with most positions.
TEST(PackedStepTest, TrainersCountTheirPositions) {
  std::vector<TokenIds> train;  // short lines: a quick test
  for (const TokenIds& line : DyckTrain(200)) {
    if (line.size() <= 30) train.push_back(line);
  }
  const int64_t n = static_cast<int64_t>(train.size());
  const PackTrainerOptions padded_options = TrainerOptions(torch::kCPU, false);
  PackTrainer padded(padded_options, &train);
  PackTrainer one_row(TrainerOptions(torch::kCPU, true, /*one_row=*/true, 16), &train);
  std::vector<DataOrder> orders;
  for (int64_t seed : padded_options.seeds) orders.emplace_back(seed, n, 8);
  const int64_t S = static_cast<int64_t>(orders.size());
  int64_t real = 0, padded_positions = 0, one_row_positions = 0;
  for (int step = 0; step < 3; ++step) {
    padded.Step();
    one_row.Step();
    int64_t longest = 0, most = 0;
    for (DataOrder& order : orders) {
      int64_t total = 0;
      for (int64_t i : order.NextBatch()) {
        const int64_t positions = static_cast<int64_t>(train[i].size()) + 1;
        longest = std::max(longest, positions);
        total += positions;
      }
      most = std::max(most, total);
      real += total;
    }
    padded_positions += S * 8 * longest;
    one_row_positions += S * OneRowLength(most, 16);
  }
  EXPECT_EQ(padded.real_positions(), real);
  EXPECT_EQ(one_row.real_positions(), real);
  EXPECT_EQ(padded.computed_positions(), padded_positions);
  EXPECT_EQ(one_row.computed_positions(), one_row_positions);
  EXPECT_LT(one_row.computed_positions(), padded.computed_positions());
}

TEST(PackedStepTest, OneRowTrainerTakesThePaddedTrainersSteps) {
  ExpectPackedTrainingEqualsPadded(torch::kCPU, 1e-5, /*one_row=*/true);
  ExpectPackedTrainingEqualsPadded(torch::kCPU, 1e-5, /*one_row=*/true, /*one_row_granule=*/16);
}

// --- The same on a GPU (fp32 matmuls, TF32 off). Skipped without CUDA. ---

bool Cuda() { return torch::cuda::is_available(); }

TEST(PackedStepTest, LossAndGradientsEqualThePaddedStepOnCuda) {
  if (!Cuda()) GTEST_SKIP() << "no CUDA device";
  at::globalContext().setAllowTF32CuBLAS(false);
  ExpectPackedEqualsPadded(torch::Device(torch::kCUDA, 0));
}

// Attention per line instead of the block-diagonal mask: the same loss, gradients and logits;
// with as many line slots as lines, and with empty slots after them (as the graph step has).
TEST(PackedStepTest, LossAndGradientsEqualThePaddedStepWithAttentionPerLineOnCuda) {
  if (!Cuda()) GTEST_SKIP() << "no CUDA device";
  if (!LineAttentionAvailable()) GTEST_SKIP() << "no variable-length attention in this LibTorch";
  at::globalContext().setAllowTF32CuBLAS(false);
  ExpectPackedEqualsPadded(torch::Device(torch::kCUDA, 0), /*line_slots=*/0);
  // More slots than positions (each padding position is a line): empty slots at the end.
  ExpectPackedEqualsPadded(torch::Device(torch::kCUDA, 0), /*line_slots=*/12000);
  ExpectPackedEqualsPadded(torch::Device(torch::kCUDA, 0), /*line_slots=*/0, /*one_row=*/true);
}

// One row per seed with attention per line (dropout 0 here: LibTorch's kernel), graph steps.
TEST(PackedStepTest, OneRowTrainerTakesThePaddedTrainersStepsOnCuda) {
  if (!Cuda()) GTEST_SKIP() << "no CUDA device";
  if (!LineAttentionAvailable()) GTEST_SKIP() << "no variable-length attention in this LibTorch";
  ExpectPackedTrainingEqualsPadded(torch::Device(torch::kCUDA, 0), 1e-4, /*one_row=*/true);
}

// Graph steps where this LibTorch has them (rows of 320 and 512 take the fused attention);
// the padded trainer's batches of up to 301 tokens step eagerly.
TEST(PackedStepTest, PackedTrainerTakesThePaddedTrainersStepsOnCuda) {
  if (!Cuda()) GTEST_SKIP() << "no CUDA device";
  ExpectPackedTrainingEqualsPadded(torch::Device(torch::kCUDA, 0), 1e-4);
}

// One row per seed is decided per step (TrainStepUsesOneRow): a step whose usual rows would be
// past 256 positions captures one row per seed (rows 1, as long as its longest seed's lines),
// a step of short lines keeps its rows (QF's rows of 64 never take it). Dyck-like lines mix
// both kinds of step.
TEST(PackedStepTest, OneRowPerSeedOnlyInStepsWhoseRowsWouldBeLongOnCuda) {
  if (!Cuda()) GTEST_SKIP() << "no CUDA device";
  const std::vector<TokenIds> dyck = DyckTrain(96);
  std::vector<TokenIds> short_lines;
  for (const TokenIds& line : dyck) {
    if (line.size() <= 30) short_lines.push_back(line);
  }
  ASSERT_GE(short_lines.size(), 40u);
  PackTrainerOptions o = TrainerOptions(torch::Device(torch::kCUDA, 0), true, /*one_row=*/true);
  PackTrainer mixed(o, &dyck);
  PackTrainer short_only(o, &short_lines);
  for (int step = 0; step < 10; ++step) {
    mixed.Step();
    short_only.Step();
  }
  ASSERT_GT(short_only.num_graphs(), 0);
  for (const auto& [rows, len] : short_only.graph_shapes()) {
    EXPECT_EQ(len, 64) << rows << " x " << len << ": short lines keep their rows of 64";
  }
  int one_row = 0, usual = 0;
  for (const auto& [rows, len] : mixed.graph_shapes()) {
    if (len > kMaxGraphLength) {
      EXPECT_EQ(rows, 1) << rows << " x " << len << ": long rows, not one per seed";
      ++one_row;
    } else {
      ++usual;
    }
  }
  EXPECT_GT(one_row, 0) << "no graph step took one row per seed";
  EXPECT_GT(usual, 0) << "every graph step took one row per seed";
}

// Asked for (one_row_from 1, lengths in 16s), steps of short lines take one row per seed too,
// through our attention per line, and train as the padded trainer does (dropout 0).
TEST(PackedStepTest, ShortLinesTakeOneRowPerSeedWhenAskedOnCuda) {
  if (!Cuda()) GTEST_SKIP() << "no CUDA device";
  if (!OwnLineAttentionAvailable()) GTEST_SKIP() << "our attention per line is not built";
  std::vector<TokenIds> short_lines;
  for (const TokenIds& line : DyckTrain(400)) {
    if (line.size() <= 30) short_lines.push_back(line);
  }
  ASSERT_GE(short_lines.size(), 96u);
  const torch::Device cuda(torch::kCUDA, 0);
  PackTrainerOptions o = TrainerOptions(cuda, true, /*one_row=*/true, /*one_row_granule=*/16);
  o.one_row_from = 1;
  PackTrainer one_row(o, &short_lines);
  PackTrainer padded(TrainerOptions(cuda, false), &short_lines);
  for (int step = 1; step <= 10; ++step) {
    const torch::Tensor a = padded.Step().cpu().to(torch::kFloat64);
    const torch::Tensor b = one_row.Step().cpu().to(torch::kFloat64);
    EXPECT_TRUE(torch::allclose(b, a, 1e-4, 0)) << "step " << step << ": " << b << a;
  }
  ASSERT_GT(one_row.num_graphs(), 0);
  for (const auto& [rows, len] : one_row.graph_shapes()) {
    EXPECT_EQ(rows, 1) << rows << " x " << len;
    EXPECT_EQ(len % 16, 0) << rows << " x " << len;
    EXPECT_LT(len, 256) << rows << " x " << len << ": 8 short lines, in 16s";
  }
}

}  // namespace
}  // namespace sg
