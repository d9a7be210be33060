// The layers' weight gradients by our wgmma kernel with their sums of squares
// (cuda_wgmma_weight_grad_kernel.h, cuda_weight_grad_sums.h): the product against a float64
// bmm, the sums against the gradient's own squares, the same bits twice; which gradients a
// claim covers; and the graph step with them (PackTrainerOptions::wgmma_weight_grads) against
// cuBLASLt's products and the norm's full pass, and its bit-exact resume. Built only against a
// CUDA LibTorch; each test skips (and says so) without a CUDA device, the kernel's ones without
// a Hopper GPU (compute capability 9.0).
#include "trainer/model/cuda_weight_grad_sums.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "trainer/model/cuda_pack_optimizer.h"
#include "trainer/model/cuda_seed_gemm.h"
#include "trainer/model/cuda_wgmma_weight_grad_kernel.h"
#include "trainer/model/pack_trainer.h"
#include "trainer/model/resume_test_util.h"
#include "trainer/model/tf32_scope_test_util.h"
#include "trainer/trainer_test_util.h"

namespace sg {
namespace {

#define SG_REQUIRE_CUDA() \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device"
#define SG_REQUIRE_WGMMA()                                 \
  SG_REQUIRE_CUDA();                                       \
  if (!cuda_kernels::WgmmaWeightGradRunsOn(0)) {           \
    GTEST_SKIP() << "device 0 is not a Hopper GPU (sm_90a)"; \
  }

using testing_util::Tf32Scope;

torch::TensorOptions Cuda() {
  return torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCUDA, 0);
}

// A [seeds, in, out] view of a flat [S, P] buffer, each seed's matrix 16 floats into its row,
// rows padded to 64 floats, as the pack lays its weights and gradients out.
torch::Tensor PackView(int64_t seeds, int64_t in, int64_t out) {
  const int64_t P = ((16 + in * out + 63) / 64) * 64;
  return torch::zeros({seeds, P}, Cuda()).narrow(1, 16, in * out).view({seeds, in, out});
}

TEST(CudaWeightGradSumsTest, WgmmaWeightGradMatchesBmmAndSumsItsSquares) {
  SG_REQUIRE_WGMMA();
  Tf32Scope tf32(true);
  torch::manual_seed(11);
  struct Shape {
    int64_t seeds, rows, in, out;
  };
  for (const Shape& s : {Shape{10, 256, 512, 1536}, Shape{3, 200, 256, 384},
                         Shape{2, 37, 2048, 128}}) {
    const std::string name = std::to_string(s.seeds) + "x" + std::to_string(s.rows) + " " +
                             std::to_string(s.in) + "->" + std::to_string(s.out);
    const torch::Tensor x = torch::randn({s.seeds, s.rows, s.in}, Cuda());
    const torch::Tensor dy = torch::randn({s.seeds, s.rows, s.out}, Cuda());
    const int64_t tiles = cuda_kernels::WgmmaWeightGradTiles(s.in, s.out);
    WeightGradSums sums(x.device(), s.seeds, tiles + 5);
    torch::Tensor dw = PackView(s.seeds, s.in, s.out);
    torch::Tensor db = torch::full({s.seeds, s.out}, std::nanf(""), Cuda());
    bool wrote_db = false;
    {
      ScopedWeightGradSums scope(x.device(), &sums);
      ASSERT_TRUE(SeedGemmWeightGrad(x, dy, dw, false, &db, &wrote_db)) << name;
    }
    // The bias gradient from the same stages: dy's column sums, in float against float64.
    ASSERT_TRUE(wrote_db) << name;
    const torch::Tensor db_ref = dy.to(torch::kFloat64).sum(1);
    EXPECT_LE((db.to(torch::kFloat64) - db_ref).abs().max().item<double>(),
              1e-5 * db_ref.abs().max().item<double>() + 1e-5)
        << name;
    ASSERT_EQ(sums.claims(), 1) << name;
    ASSERT_EQ(sums.used(), tiles) << name;
    // The product: TF32 inputs (10-bit mantissas) against float64's, relative to its scale.
    const torch::Tensor ref =
        torch::bmm(x.to(torch::kFloat64).transpose(1, 2), dy.to(torch::kFloat64));
    const double scale = ref.abs().max().item<double>();
    const double diff = (dw.to(torch::kFloat64) - ref).abs().max().item<double>();
    EXPECT_LE(diff, 2e-3 * scale) << name << ": max |diff| " << diff << " of " << scale;
    // The sums: each seed's tiles add up to the sum of squares of what was written to dw.
    const torch::Tensor got = sums.sums().narrow(1, 0, tiles).to(torch::kFloat64).sum(1);
    const torch::Tensor want = dw.to(torch::kFloat64).pow(2).sum({1, 2});
    const double rel = ((got - want).abs() / want).max().item<double>();
    EXPECT_LT(rel, 1e-5) << name;
    // The same bits again, and without active sums cuBLASLt's product claims nothing.
    torch::Tensor dw_again = PackView(s.seeds, s.in, s.out);
    torch::Tensor db_again = torch::empty_like(db);
    const torch::Tensor sums_before = sums.sums().clone();
    sums.Reset();
    {
      ScopedWeightGradSums scope(x.device(), &sums);
      ASSERT_TRUE(SeedGemmWeightGrad(x, dy, dw_again, false, &db_again, &wrote_db)) << name;
    }
    EXPECT_TRUE(torch::equal(dw_again, dw)) << name;
    EXPECT_TRUE(torch::equal(db_again, db)) << name;
    EXPECT_TRUE(torch::equal(sums.sums(), sums_before)) << name;
    sums.Reset();
    torch::Tensor dw_cublas = PackView(s.seeds, s.in, s.out);
    ASSERT_TRUE(SeedGemmWeightGrad(x, dy, dw_cublas)) << name;
    EXPECT_EQ(sums.claims(), 0) << name;
    const double between = (dw_cublas - dw).abs().max().item<double>();
    EXPECT_LE(between, 4e-3 * scale) << name << ": against cuBLASLt's " << between;
  }
}

// Past its room a claim fails (the product then goes to cuBLASLt), and shapes the kernel does
// not serve claim nothing.
TEST(CudaWeightGradSumsTest, ClaimsOnlyWhatFits) {
  SG_REQUIRE_WGMMA();
  Tf32Scope tf32(true);
  const torch::Tensor x = torch::randn({2, 64, 256}, Cuda());
  const torch::Tensor dy = torch::randn({2, 64, 256}, Cuda());
  WeightGradSums sums(x.device(), 2, 6);  // one 256 x 256 gradient is 4 tiles
  ScopedWeightGradSums scope(x.device(), &sums);
  torch::Tensor a = PackView(2, 256, 256), b = PackView(2, 256, 256);
  ASSERT_TRUE(SeedGemmWeightGrad(x, dy, a));
  ASSERT_TRUE(SeedGemmWeightGrad(x, dy, b));
  EXPECT_EQ(sums.claims(), 1);
  EXPECT_EQ(sums.used(), 4);
  EXPECT_LE((a - b).abs().max().item<double>(), 4e-3 * b.abs().max().item<double>());
  torch::Tensor c = PackView(2, 256, 96);  // out not a multiple of 128
  ASSERT_TRUE(SeedGemmWeightGrad(x, dy.narrow(2, 0, 96).contiguous(), c));
  EXPECT_EQ(sums.claims(), 1);
}

// The norm from the sums equals the norm's full pass over the same gradients (other sums in
// another order: rounding only), with the clip factor; a gradient changed after its kernel
// sends the norm back to the full pass.
TEST(CudaWeightGradSumsTest, NormFromTheSumsEqualsTheFullPass) {
  SG_REQUIRE_WGMMA();
  Tf32Scope tf32(true);
  torch::manual_seed(3);
  const int64_t S = 4, N = 96;
  // A layout of three slots: two weights the kernel serves, a bias it does not.
  std::vector<ParamSlot> layout(3);
  layout[0].name = "w_a";
  layout[0].shape = {256, 384};
  layout[1].name = "bias";
  layout[1].shape = {384};
  layout[2].name = "w_b";
  layout[2].shape = {128, 256};
  int64_t offset = 0;
  for (ParamSlot& slot : layout) {
    slot.numel = 1;
    for (int64_t d : slot.shape) slot.numel *= d;
    slot.offset = offset;
    offset += (slot.numel + 15) / 16 * 16;
  }
  WeightGradSums sums(torch::Device(torch::kCUDA, 0), S, WeightGradSums::CapacityFor(layout));
  EXPECT_EQ(sums.capacity(), 2 * 3 + 1 * 2);
  std::vector<torch::Tensor> grads;
  {
    ScopedWeightGradSums scope(torch::Device(torch::kCUDA, 0), &sums);
    torch::Tensor wa = torch::empty({S, 256, 384}, Cuda());
    ASSERT_TRUE(SeedGemmWeightGrad(torch::randn({S, N, 256}, Cuda()),
                                   torch::randn({S, N, 384}, Cuda()), wa));
    torch::Tensor wb = torch::empty({S, 128, 256}, Cuda());
    ASSERT_TRUE(SeedGemmWeightGrad(torch::randn({S, N, 128}, Cuda()),
                                   torch::randn({S, N, 256}, Cuda()), wb));
    grads = {wa, torch::randn({S, 384}, Cuda()), wb};
  }
  ASSERT_EQ(sums.claims(), 2);
  const int64_t used_before = WeightGradSumsUsed();
  const PackGradNorm fused = CudaPackGradNorm(grads, layout, 1.0, nullptr, &sums);
  EXPECT_EQ(WeightGradSumsUsed(), used_before + 1);
  const PackGradNorm full = CudaPackGradNorm(grads, layout, 1.0, nullptr);
  const torch::Tensor want = torch::stack({grads[0].to(torch::kFloat64).pow(2).sum({1, 2}),
                                           grads[1].to(torch::kFloat64).pow(2).sum(1),
                                           grads[2].to(torch::kFloat64).pow(2).sum({1, 2})})
                                 .sum(0)
                                 .sqrt();
  for (int64_t s = 0; s < S; ++s) {
    const double f = fused.norm[s].item<double>(), g = full.norm[s].item<double>();
    EXPECT_NEAR(f, g, 1e-6 * g) << "seed " << s;
    EXPECT_NEAR(f, want[s].item<double>(), 1e-5 * g) << "seed " << s;
    EXPECT_NEAR(fused.grad_scale[s].item<double>(), full.grad_scale[s].item<double>(),
                1e-6 * full.grad_scale[s].item<double>());
  }
  // Changed in place after its kernel: the sums are stale, the norm reads every gradient.
  grads[2].mul_(2.0);
  const PackGradNorm again = CudaPackGradNorm(grads, layout, 1.0, nullptr, &sums);
  EXPECT_EQ(WeightGradSumsUsed(), used_before + 1);
  const PackGradNorm full_again = CudaPackGradNorm(grads, layout, 1.0, nullptr);
  EXPECT_TRUE(torch::equal(again.norm, full_again.norm));
}

// A claim covers only the same view of the same memory at the same version.
TEST(CudaWeightGradSumsTest, CoverNeedsTheSameViewAndVersion) {
  SG_REQUIRE_CUDA();
  WeightGradSums sums(torch::Device(torch::kCUDA, 0), 2, 8);
  torch::Tensor dw = torch::zeros({2, 128, 128}, Cuda());
  torch::Tensor other = torch::zeros({2, 128, 128}, Cuda());
  ASSERT_NE(sums.Claim(dw, 2), nullptr);
  EXPECT_EQ(sums.Cover({other, dw}), std::vector<int>({1}));
  EXPECT_EQ(sums.Cover({dw.clone()}), std::vector<int>({-1}));
  EXPECT_EQ(sums.Cover({dw.view({2, 64, 256})}), std::vector<int>({-1}));
  dw.add_(1.0);  // changed in place after its kernel: its sums are stale
  EXPECT_EQ(sums.Cover({dw}), std::vector<int>({-1}));
  EXPECT_EQ(sums.Claim(other, 7), nullptr);  // past the room
  sums.Reset();
  EXPECT_EQ(sums.claims(), 0);
  EXPECT_EQ(sums.used(), 0);
}

// Widths the kernel serves (multiples of 128): d 128, ff 256, 4 heads; lines packed into rows
// with attention per line, TF32 on, as sg-train trains.
PackTrainerOptions WideOptions(bool wgmma, double dropout = 0.1, double lr = 3e-3) {
  PackTrainerOptions o = testing_util::CudaPackedOptions({0, 1, 2}, 128, 4, dropout);
  o.config.lr = lr;
  o.tf32 = true;
  o.lt_gemms = true;
  o.wgmma_weight_grads = wgmma;
  return o;
}

// The graph step with the weight gradients by our kernel and the norm from their sums follows
// cuBLASLt's products and the norm's full pass step by step, and is bit-equal to a second
// trainer of its own kind. Both are TF32 with other kernels, so their updates part by TF32's
// rounding, which Adam turns into whole steps where a gradient is near zero: at 3e-3 and with
// dropout this tiny model's losses parted by up to 5% within 20 steps (session 29), so the
// comparison takes the paper's learning rate and no dropout, as sg-bench --check-cpu does.
TEST(CudaWeightGradSumsTest, GraphTrainerFollowsTheFullNormPass) {
  SG_REQUIRE_WGMMA();
  const auto train = testing_util::SyntheticLines(80, 12, 12);
  const int64_t used_before = WeightGradSumsUsed();
  PackTrainer ours(WideOptions(true, 0.0, 1e-4), &train);
  PackTrainer ours2(WideOptions(true, 0.0, 1e-4), &train);
  PackTrainer plain(WideOptions(false, 0.0, 1e-4), &train);
  double worst = 0;
  for (int i = 0; i < 30; ++i) {
    const std::vector<double> a = testing_util::ToVector(ours.Step());
    const std::vector<double> b = testing_util::ToVector(plain.Step());
    EXPECT_EQ(testing_util::ToVector(ours2.Step()), a) << "step " << i + 1;
    for (size_t s = 0; s < a.size(); ++s) {
      worst = std::max(worst, std::abs(a[s] - b[s]) / std::abs(b[s]));
      // sg-bench --check-cpu's TF32 tolerance (against fp32 on the CPU, over 100 steps).
      EXPECT_NEAR(a[s], b[s], 5e-3 * std::abs(b[s])) << "seed " << s << " step " << i + 1;
    }
  }
  EXPECT_EQ(ours.graph_steps(), 30);
  // Every capture of both trainers took the sums (one norm a capture).
  EXPECT_GE(WeightGradSumsUsed() - used_before, 2);
  std::printf("losses over 30 steps, max relative difference against cuBLASLt: %.3g\n", worst);
}

TEST(CudaWeightGradSumsTest, WgmmaWeightGradsResumeIsBitExact) {
  SG_REQUIRE_WGMMA();
  const int64_t used_before = WeightGradSumsUsed();
  testing_util::ExpectResumeIsBitExact(WideOptions(true), testing_util::TailedLines());
  EXPECT_GT(WeightGradSumsUsed(), used_before);
}

}  // namespace
}  // namespace sg
