// The linear with weight gradients on a side stream (cuda_side_stream_linear.h) against
// LibTorch's bmm / baddbmm on random inputs, and in the graph step. Built only against a CUDA
// LibTorch; each test skips (and says so) without a CUDA device.
#include "trainer/model/cuda_side_stream_linear.h"

#include <c10/cuda/CUDAStream.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "trainer/model/cuda_seed_column_sums.h"
#include "trainer/model/pack_trainer.h"
#include "trainer/model/resume_test_util.h"
#include "trainer/trainer_test_util.h"

namespace sg {
namespace {

#define SG_REQUIRE_CUDA() \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device"

struct Grads {
  torch::Tensor out, dx, dw, db;
};

// out = x @ wt (+ bias) by `side` (ours) or LibTorch's ops, then backward of a random
// weighting of out. wt is a leaf viewing a flat buffer with gaps between seeds, as the pack
// model's weights are (a view that required grad itself would add a copy of its gradient on
// the current stream, which the caller would have to join first).
Grads Run(bool side, bool with_bias, int64_t out = 96) {
  torch::manual_seed(7);
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCUDA, 0);
  const int64_t S = 3, N = 37, in = 64;
  torch::Tensor x = torch::randn({S, N, in}, opts).requires_grad_();
  torch::Tensor flat = torch::randn({S, in * out + 40}, opts);
  torch::Tensor wt = flat.narrow(1, 16, in * out).view({S, in, out}).requires_grad_();
  torch::Tensor bias;
  if (with_bias) bias = torch::randn({S, out}, opts).requires_grad_();
  torch::Tensor weight = torch::randn({S, N, out}, opts);
  torch::Tensor y = side ? SideStreamLinear(x, wt, bias)
                         : (with_bias ? torch::baddbmm(bias.unsqueeze(1), x, wt)
                                      : torch::bmm(x, wt));
  (y * weight).sum().backward();
  JoinSideStream(x.device());
  Grads g;
  g.out = y.detach();
  g.dx = x.grad();
  g.dw = wt.grad();
  if (with_bias) g.db = bias.grad();
  return g;
}

void ExpectSame(bool with_bias, int64_t out = 96) {
  const Grads ours = Run(true, with_bias, out), want = Run(false, with_bias, out);
  EXPECT_TRUE(torch::equal(ours.out, want.out)) << "forward";
  EXPECT_TRUE(torch::allclose(ours.dx, want.dx, 1e-6, 1e-6)) << "input gradient";
  EXPECT_TRUE(torch::allclose(ours.dw, want.dw, 1e-6, 1e-6)) << "weight gradient";
  if (with_bias) {
    EXPECT_TRUE(torch::allclose(ours.db, want.db, 1e-5, 1e-5)) << "bias gradient";
  }
  std::printf("bit-equal: dx %d, dw %d, db %d\n", torch::equal(ours.dx, want.dx),
              torch::equal(ours.dw, want.dw),
              with_bias ? static_cast<int>(torch::equal(ours.db, want.db)) : -1);
}

TEST(CudaSideStreamLinearTest, GradientsMatchBmm) {
  SG_REQUIRE_CUDA();
  ExpectSame(/*with_bias=*/false);
}

TEST(CudaSideStreamLinearTest, GradientsMatchBaddbmm) {
  SG_REQUIRE_CUDA();
  ExpectSame(/*with_bias=*/true);
}

// The output layer's width (QF's V + 2 = 71 logits; PackModel::Logits takes this function in
// graph steps since session 31): rows not 16-byte aligned, so LibTorch's products serve and
// only the bias gradient is ours.
TEST(CudaSideStreamLinearTest, GradientsMatchBaddbmmAtTheOutputLayersWidth) {
  SG_REQUIRE_CUDA();
  ExpectSame(/*with_bias=*/true, /*out=*/71);
}

// The bias gradient's kernel (cuda_seed_column_sums.h) against LibTorch's sum over the rows:
// float4 columns, columns that are not a multiple of 4, a start off the 16-byte alignment, one
// row, QF's shape; the same bits on a second run.
TEST(CudaSideStreamLinearTest, SeedColumnSumsMatchTorchSum) {
  SG_REQUIRE_CUDA();
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCUDA, 0);
  torch::manual_seed(3);
  struct Shape {
    int64_t seeds, rows, cols, skip;  // skip: floats before dy in its buffer
  };
  for (const Shape& sh : {Shape{3, 37, 96, 0}, Shape{2, 5, 130, 0}, Shape{4, 19, 64, 1},
                          Shape{1, 1, 3, 0}, Shape{10, 256, 2048, 0}}) {
    const int64_t n = sh.seeds * sh.rows * sh.cols;
    torch::Tensor buffer = torch::randn({n + sh.skip}, opts);
    torch::Tensor dy = buffer.narrow(0, sh.skip, n).view({sh.seeds, sh.rows, sh.cols});
    auto sums = [&] {
      torch::Tensor out = torch::empty({sh.seeds, sh.cols}, opts);
      const cudaError_t err = cuda_kernels::LaunchSeedColumnSums(
          dy.data_ptr<float>(), sh.seeds, sh.rows, sh.cols, out.data_ptr<float>(),
          c10::cuda::getCurrentCUDAStream().stream());
      EXPECT_EQ(err, cudaSuccess);
      return out;
    };
    const torch::Tensor ours = sums();
    const std::string shape = std::to_string(sh.seeds) + "x" + std::to_string(sh.rows) + "x" +
                              std::to_string(sh.cols) + "+" + std::to_string(sh.skip);
    EXPECT_TRUE(torch::allclose(ours, dy.sum(1), 1e-5, 1e-4)) << shape;
    EXPECT_TRUE(torch::equal(ours, sums())) << shape;
  }
  float* none = nullptr;
  EXPECT_EQ(cuda_kernels::LaunchSeedColumnSums(none, 0, 4, 4, none, nullptr),
            cudaErrorInvalidValue);
}

// One gradient feeding this linear and another node (a residual add hands both inputs the same
// tensor): autograd sums the other branch's gradient into it in place once it holds the only
// reference, so the side stream must have read it first. Sizes that make the side GEMM slow
// against that add.
TEST(CudaSideStreamLinearTest, GradientSharedWithAResidualStaysIntact) {
  SG_REQUIRE_CUDA();
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCUDA, 0);
  const int64_t S = 4, N = 4096, d = 512;
  torch::manual_seed(11);
  const torch::Tensor h_init = torch::randn({S, N, d}, opts);
  const torch::Tensor w_init = torch::randn({S, d, d}, opts) / 32;
  const torch::Tensor weight = torch::randn({S, N, d}, opts);
  auto weight_grad = [&](bool side) {
    torch::Tensor h0 = h_init.clone().requires_grad_();
    torch::Tensor wt = w_init.clone().requires_grad_();
    torch::Tensor h = h0 * 2.0;
    torch::Tensor y = side ? SideStreamLinear(h, wt) : torch::bmm(h, wt);
    ((h + y) * weight).sum().backward();
    JoinSideStream(h.device());
    return std::make_pair(wt.grad(), h0.grad());
  };
  const auto want = weight_grad(false);
  for (int round = 0; round < 3; ++round) {
    const auto ours = weight_grad(true);
    EXPECT_TRUE(torch::allclose(ours.first, want.first, 1e-5, 1e-4)) << "weight, round " << round;
    EXPECT_TRUE(torch::allclose(ours.second, want.second, 1e-5, 1e-4)) << "input, round " << round;
  }
}

PackTrainerOptions CudaOptions(std::vector<int64_t> seeds, TrainConfig config, bool side) {
  PackTrainerOptions o = testing_util::TinyTrainerOptions(std::move(seeds), std::move(config),
                                                          torch::Device(torch::kCUDA, 0));
  o.side_stream_weight_grads = side;
  o.tf32 = false;
  return o;
}

using testing_util::ToVector;

// The same GEMMs on another stream: the training follows the one without it step by step.
TEST(CudaSideStreamLinearTest, GraphTrainerFollowsTheOneStreamTrainer) {
  SG_REQUIRE_CUDA();
  const auto train = testing_util::SyntheticLines(60, 12, 12);
  const std::vector<int64_t> seeds = {2, 5};
  TrainConfig config = testing_util::TinyConfig();
  PackTrainer side(CudaOptions(seeds, config, true), &train);
  PackTrainer plain(CudaOptions(seeds, config, false), &train);
  int equal = 0, total = 0;
  for (int i = 0; i < 30; ++i) {
    const std::vector<double> a = ToVector(side.Step()), b = ToVector(plain.Step());
    for (size_t s = 0; s < seeds.size(); ++s) {
      EXPECT_NEAR(a[s], b[s], 1e-5 * std::abs(b[s])) << "seed " << seeds[s] << " step " << i + 1;
      equal += a[s] == b[s];
      ++total;
    }
  }
  EXPECT_EQ(side.graph_steps(), 30);
  const double dw = (side.model().flat() - plain.model().flat()).abs().max().item<double>();
  EXPECT_LT(dw, 1e-4);
  std::printf("losses bit-equal in %d of %d; weights max |diff| %.3g\n", equal, total, dw);
}

TEST(CudaSideStreamLinearTest, GraphTrainerResumeIsBitExact) {
  SG_REQUIRE_CUDA();
  TrainConfig config = testing_util::TinyConfig();
  config.dropout = 0.1;
  testing_util::ExpectResumeIsBitExact(CudaOptions({0, 1}, config, true),
                                       testing_util::SyntheticLines(25, 8), /*split=*/7,
                                       /*total=*/12, /*min_graph_steps=*/12);
}

// The step captured on a high-priority stream (high_priority_chain, the default for padded and
// packed steps): the same kernels in the same order on each stream, only scheduled
// differently, so the same bits as the capture at normal priority, dropout and clipping on,
// over graphs of several length buckets.
TEST(CudaSideStreamLinearTest, HighPriorityChainTakesTheSameStepsOnCuda) {
  SG_REQUIRE_CUDA();
  const auto train = testing_util::SyntheticLines(80, 23, 40);
  TrainConfig config = testing_util::TinyConfig();
  config.dropout = 0.1;
  config.clip = 0.5;
  PackTrainerOptions o = CudaOptions({3, 7, 11}, config, true);
  o.high_priority_chain = false;
  PackTrainer plain(o, &train);
  o.high_priority_chain = true;
  PackTrainer high(o, &train);
  for (int i = 1; i <= 8; ++i) {
    EXPECT_EQ(ToVector(high.Step()), ToVector(plain.Step())) << "step " << i;
  }
  EXPECT_EQ(high.graph_steps(), 8);
  EXPECT_EQ(high.graph_steps(), plain.graph_steps());
  EXPECT_TRUE(torch::equal(high.model().flat(), plain.model().flat()));
}

}  // namespace
}  // namespace sg
