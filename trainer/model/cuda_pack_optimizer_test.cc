// Our optimizer kernels (cuda_pack_adamw.h through cuda_pack_optimizer.h) against the LibTorch
// path they replace, on random inputs; the graph step with them; its bit-exact resume. Built
// only against a CUDA LibTorch; each test skips (and says so) without a CUDA device.
#include "trainer/model/cuda_pack_optimizer.h"

#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <gtest/gtest.h>
#include <torch/version.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "trainer/model/pack_trainer.h"
#include "trainer/model/resume_test_util.h"
#include "trainer/trainer_test_util.h"

namespace sg {
namespace {

#define SG_REQUIRE_CUDA()                                        \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device"

constexpr bool kHasFusedAdamW =
    TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4);

#define SG_REQUIRE_LIBTORCH_PATH() \
  if (!kHasFusedAdamW) GTEST_SKIP() << "LibTorch < 2.4 has no fused AdamW with a tensor lr"

torch::TensorOptions F32() {
  return torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCUDA);
}

// Slots of awkward sizes: one element, odd lengths (misaligned seeds' gradients), several
// chunks, exactly one chunk, and more slots than one launch takes.
std::vector<ParamSlot> RandomLayout() {
  std::vector<std::vector<int64_t>> shapes = {{1}, {4097}, {20000}, {33, 7}, {8192}, {3}, {512}};
  for (int i = 0; i < 40; ++i) shapes.push_back({16 * (i % 5 + 1) + i % 3});
  std::vector<ParamSlot> layout;
  int64_t offset = 0;
  for (size_t i = 0; i < shapes.size(); ++i) {
    ParamSlot slot;
    slot.name = "p" + std::to_string(i);
    slot.shape = shapes[i];
    slot.numel = 1;
    for (int64_t d : shapes[i]) slot.numel *= d;
    offset = (offset + kSlotAlign - 1) / kSlotAlign * kSlotAlign;
    slot.offset = offset;
    offset += slot.numel;
    layout.push_back(slot);
  }
  return layout;
}

// Seed s's gradients scaled by (s + 1) / 2, so the seeds' norms differ.
std::vector<torch::Tensor> RandomGrads(const std::vector<ParamSlot>& layout, int64_t seeds) {
  torch::Tensor scale = (torch::arange(seeds, F32()) + 1) / 2;
  std::vector<torch::Tensor> grads;
  for (const ParamSlot& slot : layout) {
    std::vector<int64_t> shape = {seeds}, per_seed = {seeds};
    shape.insert(shape.end(), slot.shape.begin(), slot.shape.end());
    per_seed.resize(shape.size(), 1);
    grads.push_back((torch::randn(shape, F32()) * scale.view(per_seed)).contiguous());
  }
  return grads;
}

std::vector<torch::Tensor> Clones(const std::vector<torch::Tensor>& ts) {
  std::vector<torch::Tensor> out;
  for (const torch::Tensor& t : ts) out.push_back(t.clone());
  return out;
}

// Weights and moments of a pack, [S, P] each.
struct PackState {
  torch::Tensor flat, m, v;
  PackState Clone() const { return {flat.clone(), m.clone(), v.clone()}; }
};

PackState RandomState(int64_t seeds, int64_t row) {
  return {torch::randn({seeds, row}, F32()), torch::randn({seeds, row}, F32()) * 0.01,
          torch::rand({seeds, row}, F32()) * 1e-4};
}

// Largest |a - b| / (atol + rtol |b|): <= 1 is within tolerance.
double WorstRatio(const torch::Tensor& a, const torch::Tensor& b, double rtol, double atol) {
  return ((a - b).abs() / (atol + rtol * b.abs())).max().item<double>();
}

// The same AdamW in double on the CPU, the spec's formulas with no rounding to float: the
// reference both float implementations are measured against. LibTorch's fused AdamW and ours
// round in different places (ours forms the moments in double, LibTorch in float with its
// constants in float), so where a moment nearly cancels they differ by far more than their
// relative tolerance, while both stay as close to the exact value as float allows.
struct ExactState {
  torch::Tensor flat, m, v;  // float64, CPU
  explicit ExactState(const PackState& s)
      : flat(s.flat.cpu().to(torch::kFloat64)),
        m(s.m.cpu().to(torch::kFloat64)),
        v(s.v.cpu().to(torch::kFloat64)) {}
};

// grad_scale: the per-seed divisor (undefined: none), as the kernels take it.
void ExactAdamW(ExactState& r, const std::vector<torch::Tensor>& grads,
                const std::vector<ParamSlot>& layout, int step, double lr,
                const torch::Tensor& grad_scale, const AdamWOptions& o) {
  const int64_t S = r.flat.size(0);
  const double bc1 = 1 - std::pow(o.beta1, step), bc2 = 1 - std::pow(o.beta2, step);
  for (size_t i = 0; i < layout.size(); ++i) {
    const ParamSlot& slot = layout[i];
    torch::Tensor g = grads[i].cpu().to(torch::kFloat64).view({S, -1});
    if (grad_scale.defined()) g = g / grad_scale.cpu().to(torch::kFloat64).view({S, 1});
    torch::Tensor p = r.flat.narrow(1, slot.offset, slot.numel);
    torch::Tensor m = r.m.narrow(1, slot.offset, slot.numel);
    torch::Tensor v = r.v.narrow(1, slot.offset, slot.numel);
    if (o.weight_decay != 0) p.mul_(1 - lr * o.weight_decay);
    m.mul_(o.beta1).add_(g * (1 - o.beta1));
    v.mul_(o.beta2).add_(g * g * (1 - o.beta2));
    p.sub_(m / (v.sqrt() / std::sqrt(bc2) + o.eps) * (lr / bc1));
  }
}

// The exact per-seed clip divisor: max(1, (norm + 1e-6) / clip), norm in double.
torch::Tensor ExactClipScale(const std::vector<torch::Tensor>& grads, int64_t S, double clip) {
  torch::Tensor sq = torch::zeros({S}, torch::kFloat64);
  for (const torch::Tensor& g : grads) {
    sq += g.cpu().to(torch::kFloat64).view({S, -1}).square().sum(1);
  }
  return ((sq.sqrt() + 1e-6) / clip).clamp_min(1.0);
}

// A float result's worst error against the exact one, elementwise relative to the value with a
// floor of 1e-3 of the tensor's largest magnitude (a moment that cancels to ~0 has no relative
// precision to keep; its error is judged against the terms' scale).
double ErrorToExact(const torch::Tensor& a, const torch::Tensor& exact) {
  const double floor = 1e-3 * exact.abs().max().item<double>();
  return ((a.cpu().to(torch::kFloat64) - exact).abs() / (exact.abs() + floor))
      .max()
      .item<double>();
}

// Ours must be as close to the exact AdamW as LibTorch's fused one is (with room for a float
// rounding more), and within 1e-4 of it in any case: at ErrorToExact's floor that is 1e-7 of
// the tensor's largest magnitude, about one float rounding of it. On the H200 (2026-12-04) ours
// was at most 4.2e-7 (weights), 4.7e-5 (exp_avg, where it cancels) and 3.4e-7 (exp_avg_sq);
// LibTorch's 3.3e-5, 1.3e-4 and 1.3e-5 (its moments' constants are rounded to float).
void ExpectAsExactAsLibTorch(const PackState& ours, const PackState& theirs,
                             const ExactState& exact) {
  const std::pair<const char*, std::array<torch::Tensor, 3>> parts[] = {
      {"weights", {ours.flat, theirs.flat, exact.flat}},
      {"exp_avg", {ours.m, theirs.m, exact.m}},
      {"exp_avg_sq", {ours.v, theirs.v, exact.v}}};
  for (const auto& [name, t] : parts) {
    const double e_ours = ErrorToExact(t[0], t[2]), e_theirs = ErrorToExact(t[1], t[2]);
    std::cout << name << ": error to the exact AdamW, ours " << e_ours << ", LibTorch's "
              << e_theirs << "\n";
    EXPECT_LE(e_ours, std::max(2 * e_theirs, 2e-7)) << name;
    EXPECT_LE(e_ours, 1e-4) << name;
  }
}

double BitwiseEqualShare(const torch::Tensor& a, const torch::Tensor& b) {
  return (a == b).to(torch::kFloat64).mean().item<double>();
}

// The elements of a row that no slot covers (alignment gaps and the row's padding).
torch::Tensor PaddingMask(const std::vector<ParamSlot>& layout, int64_t row) {
  torch::Tensor mask = torch::ones({row}, torch::kBool);
  for (const ParamSlot& slot : layout) mask.narrow(0, slot.offset, slot.numel).fill_(false);
  return mask.to(torch::kCUDA);
}

TEST(CudaPackOptimizerTest, GradNormMatchesLibTorchAndDouble) {
  SG_REQUIRE_CUDA();
  SG_REQUIRE_LIBTORCH_PATH();
  torch::manual_seed(1);
  const int64_t S = 4;
  const std::vector<ParamSlot> layout = RandomLayout();
  const std::vector<torch::Tensor> grads = RandomGrads(layout, S);
  // Exact per-seed norms in double on the CPU.
  torch::Tensor sq = torch::zeros({S}, torch::kFloat64);
  for (const torch::Tensor& g : grads) {
    sq += g.to(torch::kFloat64).cpu().view({S, -1}).square().sum(1);
  }
  torch::Tensor exact = sq.sqrt();
  // A clip between the seeds' norms: the first seeds are not clipped, the last are.
  const double clip = exact[S / 2].item<double>();

  torch::Tensor acc = torch::rand({S}, torch::TensorOptions().dtype(torch::kFloat64).device(
                                           torch::kCUDA));
  const torch::Tensor acc_before = acc.clone();
  PackGradNorm ours = CudaPackGradNorm(grads, layout, clip, &acc);
  PackGradNorm theirs = TorchPackGradNorm(grads, S, clip);
  EXPECT_LE(WorstRatio(ours.norm.cpu().to(torch::kFloat64), exact, 2e-6, 0), 1.0)
      << ours.norm << exact;
  EXPECT_LE(WorstRatio(ours.norm, theirs.norm, 1e-5, 0), 1.0) << ours.norm << theirs.norm;
  EXPECT_LE(WorstRatio(ours.grad_scale, theirs.grad_scale, 1e-5, 0), 1.0)
      << ours.grad_scale << theirs.grad_scale;
  for (int64_t s = 0; s < S; ++s) {
    if (exact[s].item<double>() < clip * 0.99) {
      EXPECT_EQ(ours.grad_scale[s].item<float>(), 1.0f) << "seed " << s << " is not clipped";
    }
  }
  EXPECT_GT(ours.grad_scale[S - 1].item<float>(), 1.2f);  // about 4/3
  // The accumulator gets the float norm added in double.
  EXPECT_TRUE(torch::equal(acc, acc_before + ours.norm.to(torch::kFloat64)));

  // Without clipping: no scale, the same norm.
  PackGradNorm unclipped = CudaPackGradNorm(grads, layout, 0.0, nullptr);
  EXPECT_FALSE(unclipped.grad_scale.defined());
  EXPECT_TRUE(torch::equal(unclipped.norm, ours.norm));
}

// Our AdamW against LibTorch's _fused_adamw_ given the same clip factors, for several steps,
// with and without weight decay and clipping.
void ExpectAdamWMatches(double weight_decay, bool clipped) {
  torch::manual_seed(2);
  const int64_t S = 3;
  const std::vector<ParamSlot> layout = RandomLayout();
  const int64_t P = ParamRowLength(layout);
  AdamWOptions o;
  o.weight_decay = weight_decay;
  const PackState init = RandomState(S, P);
  PackState ours = init.Clone(), theirs = init.Clone();
  ExactState exact(init);
  torch::Tensor step = torch::zeros({}, F32()), lr = torch::zeros({}, F32());
  for (int k = 1; k <= 6; ++k) {
    step.fill_(static_cast<double>(k));
    lr.fill_(1e-3 * k);  // a warm-up
    const std::vector<torch::Tensor> grads = RandomGrads(layout, S);
    const std::vector<torch::Tensor> grads_before = Clones(grads);
    torch::Tensor scale;
    if (clipped) scale = TorchPackGradNorm(grads, S, 5.0).grad_scale;
    CudaPackAdamW(ours.flat, ours.m, ours.v, grads, layout, step, lr, scale, o);
    std::vector<torch::Tensor> their_grads = Clones(grads);
    TorchPackAdamW(theirs.flat, theirs.m, theirs.v, their_grads, layout, step, lr, scale, o);
    ExactAdamW(exact, grads_before, layout, k, lr.item<double>(), scale, o);
    for (size_t i = 0; i < grads.size(); ++i) {
      ASSERT_TRUE(torch::equal(grads[i], grads_before[i])) << "our AdamW wrote gradient " << i;
    }
  }
  ExpectAsExactAsLibTorch(ours, theirs, exact);
  std::cout << "weight_decay " << weight_decay << ", clipped " << clipped
            << ": bitwise-equal share after 6 steps: weights "
            << BitwiseEqualShare(ours.flat, theirs.flat) << ", exp_avg "
            << BitwiseEqualShare(ours.m, theirs.m) << ", exp_avg_sq "
            << BitwiseEqualShare(ours.v, theirs.v) << "\n";
  // Outside the slots nothing moved.
  const torch::Tensor pad = PaddingMask(layout, P).expand({S, P});
  EXPECT_TRUE(torch::equal(ours.flat.masked_select(pad), init.flat.masked_select(pad)));
  EXPECT_TRUE(torch::equal(ours.m.masked_select(pad), init.m.masked_select(pad)));
  EXPECT_TRUE(torch::equal(ours.v.masked_select(pad), init.v.masked_select(pad)));
  // And the weights did move.
  EXPECT_FALSE(torch::equal(ours.flat, init.flat));
}

TEST(CudaPackOptimizerTest, AdamWMatchesFusedAdamWWithClipFactor) {
  SG_REQUIRE_CUDA();
  SG_REQUIRE_LIBTORCH_PATH();
  ExpectAdamWMatches(0.0, true);
}

TEST(CudaPackOptimizerTest, AdamWMatchesFusedAdamWWithWeightDecay) {
  SG_REQUIRE_CUDA();
  SG_REQUIRE_LIBTORCH_PATH();
  ExpectAdamWMatches(0.01, true);
}

TEST(CudaPackOptimizerTest, AdamWMatchesFusedAdamWWithoutClipping) {
  SG_REQUIRE_CUDA();
  SG_REQUIRE_LIBTORCH_PATH();
  ExpectAdamWMatches(0.0, false);
}

// The whole clip + AdamW, ours against LibTorch's, on the same gradients step after step.
TEST(CudaPackOptimizerTest, ClipAndAdamWFollowLibTorchOverSteps) {
  SG_REQUIRE_CUDA();
  SG_REQUIRE_LIBTORCH_PATH();
  torch::manual_seed(3);
  const int64_t S = 5;
  const std::vector<ParamSlot> layout = RandomLayout();
  const int64_t P = ParamRowLength(layout);
  AdamWOptions o;
  PackState ours = RandomState(S, P);
  PackState theirs = ours.Clone();
  ExactState exact(ours);
  torch::Tensor step = torch::zeros({}, F32()), lr = torch::zeros({}, F32());
  for (int k = 1; k <= 8; ++k) {
    step.fill_(static_cast<double>(k));
    lr.fill_(3e-3);
    const std::vector<torch::Tensor> grads = RandomGrads(layout, S);
    PackGradNorm n1 = CudaPackGradNorm(grads, layout, 40.0, nullptr);
    CudaPackAdamW(ours.flat, ours.m, ours.v, grads, layout, step, lr, n1.grad_scale, o);
    std::vector<torch::Tensor> their_grads = Clones(grads);
    PackGradNorm n2 = TorchPackGradNorm(their_grads, S, 40.0);
    TorchPackAdamW(theirs.flat, theirs.m, theirs.v, their_grads, layout, step, lr,
                   n2.grad_scale, o);
    ASSERT_LE(WorstRatio(n1.norm, n2.norm, 1e-5, 0), 1.0) << "step " << k;
    ExactAdamW(exact, grads, layout, k, lr.item<double>(), ExactClipScale(grads, S, 40.0), o);
  }
  ExpectAsExactAsLibTorch(ours, theirs, exact);
}

// Captured in a CUDA graph, the kernels read step, lr and gradients at replay time and give
// bit-identical results to the same launches made directly.
TEST(CudaPackOptimizerTest, GraphReplayEqualsDirectLaunches) {
  SG_REQUIRE_CUDA();
  torch::manual_seed(4);
  const int64_t S = 3;
  const std::vector<ParamSlot> layout = RandomLayout();
  const int64_t P = ParamRowLength(layout);
  AdamWOptions o;
  o.weight_decay = 0.01;
  const double clip = 30.0;
  PackState direct = RandomState(S, P);
  PackState graphed = direct.Clone();
  torch::Tensor step = torch::zeros({}, F32()), lr = torch::zeros({}, F32());
  auto acc_opts = torch::TensorOptions().dtype(torch::kFloat64).device(torch::kCUDA);
  torch::Tensor direct_acc = torch::zeros({S}, acc_opts), graphed_acc = torch::zeros({S}, acc_opts);
  std::vector<torch::Tensor> static_grads = RandomGrads(layout, S);

  // Load the kernels before capture (what the trainer's warm-up step does).
  {
    PackState scratch = direct.Clone();
    step.fill_(1.0);
    lr.fill_(1e-3);
    PackGradNorm n = CudaPackGradNorm(static_grads, layout, clip, nullptr);
    CudaPackAdamW(scratch.flat, scratch.m, scratch.v, static_grads, layout, step, lr,
                  n.grad_scale, o);
  }
  torch::cuda::synchronize();
  at::cuda::CUDAGraph graph;
  {
    c10::cuda::CUDAStream side = c10::cuda::getStreamFromPool();
    c10::cuda::CUDAStreamGuard guard(side);
    graph.capture_begin();
    PackGradNorm n = CudaPackGradNorm(static_grads, layout, clip, &graphed_acc);
    CudaPackAdamW(graphed.flat, graphed.m, graphed.v, static_grads, layout, step, lr,
                  n.grad_scale, o);
    graph.capture_end();
  }
  torch::cuda::synchronize();
  for (int k = 1; k <= 5; ++k) {
    const std::vector<torch::Tensor> grads = RandomGrads(layout, S);
    for (size_t i = 0; i < grads.size(); ++i) static_grads[i].copy_(grads[i]);
    step.fill_(static_cast<double>(k));
    lr.fill_(2e-3 / k);
    graph.replay();
    PackGradNorm n = CudaPackGradNorm(grads, layout, clip, &direct_acc);
    CudaPackAdamW(direct.flat, direct.m, direct.v, grads, layout, step, lr, n.grad_scale, o);
    torch::cuda::synchronize();
    ASSERT_TRUE(torch::equal(graphed.flat, direct.flat)) << "step " << k;
    ASSERT_TRUE(torch::equal(graphed.m, direct.m)) << "step " << k;
    ASSERT_TRUE(torch::equal(graphed.v, direct.v)) << "step " << k;
    ASSERT_TRUE(torch::equal(graphed_acc, direct_acc)) << "step " << k;
  }
}

PackTrainerOptions CudaOptions(std::vector<int64_t> seeds, TrainConfig config, bool own) {
  PackTrainerOptions o = testing_util::TinyTrainerOptions(std::move(seeds), std::move(config),
                                                          torch::Device(torch::kCUDA, 0));
  o.own_optimizer_kernels = own;
  o.tf32 = false;  // TF32 would turn the kernels' last-bit differences into visible ones
  return o;
}

using testing_util::ToVector;

// The graph step with our kernels follows the graph step with LibTorch's (same batches, no
// dropout), clipping and weight decay on.
TEST(CudaPackOptimizerTest, GraphTrainerFollowsLibTorchOptimizer) {
  SG_REQUIRE_CUDA();
  SG_REQUIRE_LIBTORCH_PATH();
  const auto train = testing_util::SyntheticLines(60, 11, 12);
  TrainConfig config = testing_util::TinyConfig();
  config.clip = 0.5;
  config.weight_decay = 0.01;
  const std::vector<int64_t> seeds = {3, 7, 11};
  PackTrainer ours(CudaOptions(seeds, config, true), &train);
  PackTrainer theirs(CudaOptions(seeds, config, false), &train);
  constexpr int kSteps = 40;
  std::vector<double> first;
  std::vector<double> last;
  for (int i = 0; i < kSteps; ++i) {
    const std::vector<double> a = ToVector(ours.Step()), b = ToVector(theirs.Step());
    for (size_t s = 0; s < seeds.size(); ++s) {
      EXPECT_NEAR(a[s], b[s], 1e-4 * std::abs(b[s])) << "seed " << seeds[s] << " step " << i + 1;
    }
    if (i == 0) first = a;
    last = a;
  }
  EXPECT_EQ(ours.graph_steps(), kSteps);
  EXPECT_EQ(theirs.graph_steps(), kSteps);
  EXPECT_LE(WorstRatio(ours.model().flat(), theirs.model().flat(), 1e-3, 1e-5), 1.0);
  const PackTrainer::Stats a = ours.TakeStats(), b = theirs.TakeStats();
  for (size_t s = 0; s < seeds.size(); ++s) {
    EXPECT_NEAR(a.grad_norm[s], b.grad_norm[s], 1e-4 * b.grad_norm[s]) << "seed " << seeds[s];
    EXPECT_LT(last[s], first[s]) << "seed " << seeds[s] << " learned nothing";
  }
}

// Stop after 9 steps, save, resume in a new trainer: the next steps, the weights and both
// moments equal an uninterrupted run's bit for bit (dropout on: its stream is stateless).
TEST(CudaPackOptimizerTest, GraphTrainerResumeIsBitExact) {
  SG_REQUIRE_CUDA();
  TrainConfig config = testing_util::TinyConfig();
  config.dropout = 0.1;
  testing_util::ExpectResumeIsBitExact(CudaOptions({0, 1}, config, true),
                                       testing_util::SyntheticLines(25, 8), /*split=*/9,
                                       /*total=*/14, /*min_graph_steps=*/14);
}

}  // namespace
}  // namespace sg
