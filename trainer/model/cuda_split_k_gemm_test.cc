// The chain's products by our split-K wgmma kernel (cuda_split_k_gemm_kernel.h): forward with
// its bias and input gradient against a float64 bmm for every split and stage count, tails of
// rows and shares of one stage, the same bits twice; SeedGemmForward / SeedGemmInputGrad
// taking it inside a ScopedSplitKProducts and cuBLASLt outside or where it does not serve;
// the graph step with it (PackTrainerOptions::split_k_products) against cuBLASLt's products,
// and its bit-exact resume. Built only against a CUDA LibTorch; each test skips (and says so)
// without a CUDA device, the kernel's ones without a Hopper GPU (compute capability 9.0).
#include "trainer/model/cuda_split_k_gemm_kernel.h"

#include <c10/cuda/CUDAStream.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "trainer/model/cuda_seed_gemm.h"
#include "trainer/model/pack_trainer.h"
#include "trainer/model/resume_test_util.h"
#include "trainer/model/tf32_scope_test_util.h"
#include "trainer/trainer_test_util.h"

namespace sg {
namespace {

#define SG_REQUIRE_CUDA() \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device"
#define SG_REQUIRE_SPLIT_K()                                  \
  SG_REQUIRE_CUDA();                                          \
  if (!cuda_kernels::SplitKGemmRunsOn(0)) {                   \
    GTEST_SKIP() << "device 0 is not a Hopper GPU (sm_90a)"; \
  }

using testing_util::Tf32Scope;

torch::TensorOptions Cuda() {
  return torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCUDA, 0);
}

// A [seeds, in, out] view of a flat [S, P] buffer, each seed's matrix 16 floats into its row,
// rows padded to 64 floats, as the pack lays its weights out.
torch::Tensor PackView(int64_t seeds, int64_t in, int64_t out) {
  const int64_t P = ((16 + in * out + 63) / 64) * 64;
  return torch::randn({seeds, P}, Cuda()).narrow(1, 16, in * out).view({seeds, in, out});
}

struct Shape {
  int64_t seeds, rows, in, out;
  std::string Name() const {
    return std::to_string(seeds) + "x" + std::to_string(rows) + " " + std::to_string(in) + "->" +
           std::to_string(out);
  }
};

// The product by the kernel itself: c = a wt (+ bias) with forward, else a wt^T.
torch::Tensor Launch(bool forward, const torch::Tensor& a, const torch::Tensor& wt,
                     const torch::Tensor& bias, int split, int stages) {
  const int64_t S = a.size(0), M = a.size(1), K = a.size(2);
  const int64_t N = forward ? wt.size(2) : wt.size(1);
  torch::Tensor c = torch::full({S, M, N}, NAN, Cuda());  // every entry must be written
  cuda_kernels::SplitKGemmArgs g;
  g.forward = forward;
  g.a = a.data_ptr<float>(), g.a_seed_stride = M * K, g.lda = K;
  g.b = wt.data_ptr<float>(), g.b_seed_stride = wt.stride(0), g.ldb = wt.size(2);
  g.c = c.data_ptr<float>(), g.c_seed_stride = M * N, g.ldc = N;
  if (bias.defined()) g.bias = bias.data_ptr<float>(), g.bias_seed_stride = bias.stride(0);
  g.m = M, g.n = N, g.k = K, g.seeds = S, g.split = split, g.stages = stages;
  EXPECT_EQ(cuda_kernels::LaunchSplitKGemm(g, c10::cuda::getCurrentCUDAStream(0).stream()),
            cudaSuccess);
  return c;
}

// |a - ref| <= 2e-3 x max|ref| against a float64 product: TF32 keeps 10 mantissa bits, so each
// product's inputs round by at most 2^-11 relative; 2e-3 of the output's scale is well above
// that and far below a wrong layout's or a lost share's error.
void ExpectNearFloat64(const torch::Tensor& got, const torch::Tensor& ref,
                       const std::string& what) {
  ASSERT_FALSE(got.isnan().any().item<bool>()) << what << ": an entry not written";
  const double scale = ref.abs().max().item<double>();
  const double diff = (got.to(torch::kFloat64) - ref).abs().max().item<double>();
  EXPECT_LE(diff, 2e-3 * scale) << what << ": max |diff| " << diff << " of " << scale;
}

TEST(CudaSplitKGemmTest, ProductsMatchFloat64ForEverySplit) {
  SG_REQUIRE_SPLIT_K();
  torch::manual_seed(3);
  // A QF layer's output projection; rows that leave a tail of a tile; a share of one stage
  // (k 128 in 4 shares of 32).
  for (const Shape& s : {Shape{10, 256, 512, 512}, Shape{3, 200, 256, 384},
                         Shape{2, 72, 128, 128}}) {
    const torch::Tensor wt = PackView(s.seeds, s.in, s.out) / std::sqrt(double(s.in));
    const torch::Tensor x = torch::randn({s.seeds, s.rows, s.in}, Cuda());
    const torch::Tensor dy = torch::randn({s.seeds, s.rows, s.out}, Cuda());
    const torch::Tensor bias = PackView(s.seeds, 1, s.out).squeeze(1);
    const torch::Tensor w64 = wt.to(torch::kFloat64);
    const torch::Tensor y_ref = torch::baddbmm(bias.to(torch::kFloat64).unsqueeze(1),
                                               x.to(torch::kFloat64), w64);
    const torch::Tensor dx_ref = torch::bmm(dy.to(torch::kFloat64), w64.transpose(1, 2));
    for (int split : {1, 2, 4}) {
      for (int stages : {3, 4}) {
        const std::string name = s.Name() + " split " + std::to_string(split) + ", " +
                                 std::to_string(stages) + " stages";
        const torch::Tensor y = Launch(true, x, wt, bias, split, stages);
        ExpectNearFloat64(y, y_ref, name + " forward");
        EXPECT_TRUE(torch::equal(Launch(true, x, wt, bias, split, stages), y))
            << name << ": forward not the same bits twice";
        const torch::Tensor dx = Launch(false, dy, wt, {}, split, stages);
        ExpectNearFloat64(dx, dx_ref, name + " input gradient");
        EXPECT_TRUE(torch::equal(Launch(false, dy, wt, {}, split, stages), dx))
            << name << ": input gradient not the same bits twice";
      }
    }
  }
}

TEST(CudaSplitKGemmTest, RefusesWhatItDoesNotServe) {
  SG_REQUIRE_SPLIT_K();
  const torch::Tensor a = torch::randn({2, 64, 256}, Cuda());
  const torch::Tensor b = torch::randn({2, 256, 256}, Cuda());
  torch::Tensor c = torch::empty({2, 64, 256}, Cuda());
  auto args = [&] {
    cuda_kernels::SplitKGemmArgs g;
    g.a = a.data_ptr<float>(), g.a_seed_stride = 64 * 256, g.lda = 256;
    g.b = b.data_ptr<float>(), g.b_seed_stride = 256 * 256, g.ldb = 256;
    g.c = c.data_ptr<float>(), g.c_seed_stride = 64 * 256, g.ldc = 256;
    g.m = 64, g.n = 256, g.k = 256, g.seeds = 2;
    return g;
  };
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream(0).stream();
  cuda_kernels::SplitKGemmArgs g = args();
  ASSERT_EQ(cuda_kernels::LaunchSplitKGemm(g, stream), cudaSuccess);
  g = args(), g.n = 192, g.ldc = 192;  // not a multiple of the tile
  EXPECT_EQ(cuda_kernels::LaunchSplitKGemm(g, stream), cudaErrorInvalidValue);
  g = args(), g.split = 3;
  EXPECT_EQ(cuda_kernels::LaunchSplitKGemm(g, stream), cudaErrorInvalidValue);
  g = args(), g.k = 224, g.split = 4;  // 56 a share: not whole stages
  EXPECT_EQ(cuda_kernels::LaunchSplitKGemm(g, stream), cudaErrorInvalidValue);
  g = args(), g.stages = 2;
  EXPECT_EQ(cuda_kernels::LaunchSplitKGemm(g, stream), cudaErrorInvalidValue);
  g = args(), g.a = a.data_ptr<float>() + 1;  // not 16-byte aligned
  EXPECT_EQ(cuda_kernels::LaunchSplitKGemm(g, stream), cudaErrorInvalidValue);
  g = args(), g.forward = false, g.bias = b.data_ptr<float>();  // a bias on the input gradient
  EXPECT_EQ(cuda_kernels::LaunchSplitKGemm(g, stream), cudaErrorInvalidValue);
  g = args(), g.m = 0;
  EXPECT_EQ(cuda_kernels::LaunchSplitKGemm(g, stream), cudaErrorInvalidValue);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
}

TEST(CudaSplitKGemmTest, SplitFillsTheDeviceWithTheFewestBlocks) {
  SG_REQUIRE_SPLIT_K();
  // A 10-seed QF pack (256 rows a seed) on 132 SMs: 80 tiles of the 512-column products take
  // two shares, 240 or 320 tiles one; k 64 cannot be split into shares of two stages.
  EXPECT_EQ(cuda_kernels::SplitKFor(10, 256, 512, 512, 132), 2);
  EXPECT_EQ(cuda_kernels::SplitKFor(10, 256, 512, 2048, 132), 2);
  EXPECT_EQ(cuda_kernels::SplitKFor(10, 256, 1536, 512, 132), 1);
  EXPECT_EQ(cuda_kernels::SplitKFor(10, 256, 2048, 512, 132), 1);
  EXPECT_EQ(cuda_kernels::SplitKFor(2, 256, 512, 512, 132), 4);
  EXPECT_EQ(cuda_kernels::SplitKFor(2, 256, 512, 64, 132), 1);
  EXPECT_EQ(cuda_kernels::SplitKFor(2, 256, 512, 128, 132), 2);
}

// Inside a ScopedSplitKProducts SeedGemmForward and SeedGemmInputGrad give the kernel's bits
// (its own split, 3 stages); outside it, and where the kernel does not serve (96 columns, an
// addend), cuBLASLt's product, still right.
TEST(CudaSplitKGemmTest, SeedGemmTakesItInsideTheScope) {
  SG_REQUIRE_SPLIT_K();
  Tf32Scope tf32(true);
  torch::manual_seed(4);
  const Shape s{10, 256, 512, 512};
  const torch::Tensor wt = PackView(s.seeds, s.in, s.out) / std::sqrt(double(s.in));
  const torch::Tensor x = torch::randn({s.seeds, s.rows, s.in}, Cuda());
  const torch::Tensor dy = torch::randn({s.seeds, s.rows, s.out}, Cuda());
  const torch::Tensor bias = PackView(s.seeds, 1, s.out).squeeze(1);
  const int split = cuda_kernels::SplitKFor(s.seeds, s.rows, s.out, s.in, 132);
  ASSERT_TRUE(SetSplitKProductsShape(split, 3).ok());
  torch::Tensor y, dx, y_lt, dx_lt;
  {
    ScopedSplitKProducts scope(torch::Device(torch::kCUDA, 0), true);
    ASSERT_TRUE(SeedGemmForward(x, wt, bias, &y));
    ASSERT_TRUE(SeedGemmInputGrad(dy, wt, &dx));
  }
  ASSERT_TRUE(SeedGemmForward(x, wt, bias, &y_lt));
  ASSERT_TRUE(SeedGemmInputGrad(dy, wt, &dx_lt));
  EXPECT_TRUE(torch::equal(y, Launch(true, x, wt, bias, split, 3)));
  EXPECT_TRUE(torch::equal(dx, Launch(false, dy, wt, {}, split, 3)));
  ExpectNearFloat64(y_lt, y.to(torch::kFloat64), "cuBLASLt's forward against ours");
  ExpectNearFloat64(dx_lt, dx.to(torch::kFloat64), "cuBLASLt's input gradient against ours");
  ASSERT_TRUE(SetSplitKProductsShape(0, 3).ok());

  ScopedSplitKProducts scope(torch::Device(torch::kCUDA, 0), true);
  const torch::Tensor w96 = PackView(2, 128, 96);
  const torch::Tensor x96 = torch::randn({2, 64, 128}, Cuda());
  torch::Tensor y96;
  ASSERT_TRUE(SeedGemmForward(x96, w96, {}, &y96));
  ExpectNearFloat64(y96, torch::bmm(x96.to(torch::kFloat64), w96.to(torch::kFloat64)),
                    "96 columns, by cuBLASLt");
  const torch::Tensor addend = torch::randn({s.seeds, s.rows, s.in}, Cuda());
  torch::Tensor dx_add;
  ASSERT_TRUE(SeedGemmInputGrad(dy, wt, &dx_add, addend));
  ExpectNearFloat64(dx_add,
                    torch::baddbmm(addend.to(torch::kFloat64), dy.to(torch::kFloat64),
                                   wt.to(torch::kFloat64).transpose(1, 2)),
                    "input gradient with an addend, by cuBLASLt");
  EXPECT_FALSE(SetSplitKProductsShape(3, 3).ok());
  EXPECT_FALSE(SetSplitKProductsShape(1, 5).ok());
}

PackTrainerOptions WideOptions(bool split_k, double dropout = 0.1, double lr = 3e-3) {
  PackTrainerOptions o = testing_util::CudaPackedOptions({0, 1, 2}, 128, 4, dropout);
  o.config.lr = lr;
  o.tf32 = true;
  o.lt_gemms = true;
  o.split_k_products = split_k;
  return o;
}

// The graph step with the chain's products by our kernel follows cuBLASLt's step by step and
// is bit-equal to a second trainer of its own kind; as in CudaWeightGradSumsTest's, TF32 with
// other kernels parts by rounding that Adam turns into whole steps near zero, so the paper's
// learning rate and no dropout.
TEST(CudaSplitKGemmTest, GraphTrainerFollowsCublasLt) {
  SG_REQUIRE_SPLIT_K();
  const auto train = testing_util::SyntheticLines(80, 12, 12);
  PackTrainer ours(WideOptions(true, 0.0, 1e-4), &train);
  PackTrainer ours2(WideOptions(true, 0.0, 1e-4), &train);
  PackTrainer plain(WideOptions(false, 0.0, 1e-4), &train);
  double worst = 0;
  bool differs = false;
  for (int i = 0; i < 30; ++i) {
    const std::vector<double> a = testing_util::ToVector(ours.Step());
    const std::vector<double> b = testing_util::ToVector(plain.Step());
    EXPECT_EQ(testing_util::ToVector(ours2.Step()), a) << "step " << i + 1;
    for (size_t s = 0; s < a.size(); ++s) {
      worst = std::max(worst, std::abs(a[s] - b[s]) / std::abs(b[s]));
      differs = differs || a[s] != b[s];
      // sg-bench --check-cpu's TF32 tolerance (against fp32 on the CPU, over 100 steps).
      EXPECT_NEAR(a[s], b[s], 5e-3 * std::abs(b[s])) << "seed " << s << " step " << i + 1;
    }
  }
  EXPECT_EQ(ours.graph_steps(), 30);
  // Other kernels: some loss parts in its last bits, or the option took no product.
  EXPECT_TRUE(differs) << "the split-K trainer took cuBLASLt's products";
  std::printf("losses over 30 steps, max relative difference against cuBLASLt: %.3g\n", worst);
}

TEST(CudaSplitKGemmTest, SplitKProductsResumeIsBitExact) {
  SG_REQUIRE_SPLIT_K();
  testing_util::ExpectResumeIsBitExact(WideOptions(true), testing_util::TailedLines());
}

}  // namespace
}  // namespace sg
