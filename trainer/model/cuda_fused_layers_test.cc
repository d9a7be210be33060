// Our fused residual + LayerNorm and ReLU + dropout (cuda_fused_layers.h) against LibTorch's ops
// on random inputs, forward and backward, and in the graph step. Built only against a CUDA
// LibTorch; each test skips (and says so) without a CUDA device.
#include "trainer/model/cuda_fused_layers.h"

#include <c10/cuda/CUDAStream.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "trainer/model/cuda_relu_dropout.h"
#include "trainer/model/cuda_side_stream_linear.h"
#include "trainer/model/pack_trainer.h"
#include "trainer/model/ragged_layers.h"
#include "trainer/model/resume_test_util.h"
#include "trainer/trainer_test_util.h"

namespace sg {
namespace {

#define SG_REQUIRE_CUDA() \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device"

// Largest |a - b| / (atol + rtol |b|): <= 1 is within tolerance.
double WorstRatio(const torch::Tensor& a, const torch::Tensor& b, double rtol, double atol) {
  return ((a - b).abs() / (atol + rtol * b.abs())).max().item<double>();
}

// The pack model's LibTorch path (pack_model.cc, SeedLayerNorm(x + r, g, b)).
torch::Tensor Reference(const torch::Tensor& x, const torch::Tensor& r, const torch::Tensor& g,
                        const torch::Tensor& b) {
  torch::Tensor n = at::layer_norm(x + r, {x.size(-1)}, {}, {}, 1e-5);
  return torch::addcmul(b.unsqueeze(1), n, g.unsqueeze(1));
}

// `shift` floats before gamma's and beta's rows: 1 puts them off 16-byte boundaries, so the
// rows' kernels load 4 bytes at a time (cuda_seed_layer_norm.cu, VectorOk).
void ExpectMatchesLibTorch(int64_t S, int64_t N, int64_t d, bool side = false,
                           int64_t shift = 0) {
  auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCUDA);
  // Affine parameters as the model holds them: [S, d] views into one [S, P] buffer.
  const int64_t P = 2 * d + 64;
  torch::Tensor flat = torch::randn({S, P}, f32);
  torch::Tensor g = flat.narrow(1, shift, d).detach().add_(1.0).requires_grad_(true);
  torch::Tensor b = flat.narrow(1, d + 32 + shift, d).detach().requires_grad_(true);
  torch::Tensor x = (torch::randn({S, N, d}, f32) * 2 + 0.5).requires_grad_(true);
  torch::Tensor r = torch::randn({S, N, d}, f32).requires_grad_(true);
  torch::Tensor w = torch::randn({S, N, d}, f32);
  ASSERT_TRUE(FusedResidualLayerNormServes(x, r, g, b));

  torch::Tensor g2 = g.detach().clone().requires_grad_(true);
  torch::Tensor b2 = b.detach().clone().requires_grad_(true);
  torch::Tensor x2 = x.detach().clone().requires_grad_(true);
  torch::Tensor r2 = r.detach().clone().requires_grad_(true);

  torch::Tensor y = FusedResidualLayerNorm(x, r, g, b, side);
  torch::Tensor y2 = Reference(x2, r2, g2, b2);
  EXPECT_LE(WorstRatio(y, y2, 1e-5, 1e-5), 1.0) << "d " << d;
  (y * w).sum().backward();
  JoinSideStream(x.device());
  (y2 * w).sum().backward();
  EXPECT_LE(WorstRatio(x.grad(), x2.grad(), 1e-4, 1e-5), 1.0) << "d " << d;
  EXPECT_LE(WorstRatio(r.grad(), r2.grad(), 1e-4, 1e-5), 1.0) << "d " << d;
  EXPECT_LE(WorstRatio(g.grad(), g2.grad(), 1e-4, 1e-4), 1.0) << "d " << d;
  EXPECT_LE(WorstRatio(b.grad(), b2.grad(), 1e-4, 1e-4), 1.0) << "d " << d;
  EXPECT_TRUE(g.grad().is_contiguous());
}

TEST(CudaFusedLayersTest, ResidualLayerNormMatchesLibTorch) {
  SG_REQUIRE_CUDA();
  torch::manual_seed(5);
  ExpectMatchesLibTorch(3, 37, 64);
  ExpectMatchesLibTorch(10, 320, 512);  // the paper's width, a 10-seed pack's batch
  ExpectMatchesLibTorch(1, 5, 1024);
}

// Each of the rows' kernels' three forms: 16-byte loads compiled for the model's width (512,
// above), 16-byte loads for any multiple of 128 (384), 4-byte loads (96: not a multiple of
// 128; 512 with the affine rows one float off 16-byte boundaries).
TEST(CudaFusedLayersTest, ResidualLayerNormMatchesLibTorchOnEveryLoadWidth) {
  SG_REQUIRE_CUDA();
  torch::manual_seed(13);
  ExpectMatchesLibTorch(4, 33, 384);
  ExpectMatchesLibTorch(2, 9, 96);
  ExpectMatchesLibTorch(4, 33, 512, /*side=*/false, /*shift=*/1);
}

// The affine gradients on the side stream (as in the graph step): the same values.
TEST(CudaFusedLayersTest, ResidualLayerNormWithAffineGradientsOnTheSideStreamMatchesLibTorch) {
  SG_REQUIRE_CUDA();
  torch::manual_seed(6);
  ExpectMatchesLibTorch(3, 37, 64, /*side=*/true);
  ExpectMatchesLibTorch(10, 320, 512, /*side=*/true);
}

TEST(CudaFusedLayersTest, ServesOnlyWhatTheKernelsTake) {
  SG_REQUIRE_CUDA();
  auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCUDA);
  torch::Tensor x = torch::randn({2, 4, 64}, f32), g = torch::randn({2, 64}, f32);
  EXPECT_TRUE(FusedResidualLayerNormServes(x, x, g, g));
  torch::Tensor odd = torch::randn({2, 4, 48}, f32), odd_g = torch::randn({2, 48}, f32);
  EXPECT_FALSE(FusedResidualLayerNormServes(odd, odd, odd_g, odd_g));  // 48: not 32k
  EXPECT_FALSE(FusedResidualLayerNormServes(x.cpu(), x.cpu(), g.cpu(), g.cpu()));
  EXPECT_FALSE(FusedResidualLayerNormServes(x.to(torch::kBFloat16), x, g, g));
  EXPECT_FALSE(FusedResidualLayerNormServes(x, x, g.t().contiguous().t(), g));  // stride(1) 2
}

// --- The ragged layout's rows (FusedRaggedResidualLayerNorm, trainer/model/ragged_batch.h) ---

// Seeds of 64, 192 and 128 rows back to back: the row -> seed table and the seeds' row starts
// on the device.
struct RaggedRowsForTest {
  std::vector<int64_t> begin = {0, 64, 256, 384};
  torch::Tensor row_seed, seed_row_begin;
  RaggedRowsForTest() {
    auto i64 = torch::TensorOptions().dtype(torch::kInt64).device(torch::kCUDA);
    std::vector<int64_t> seeds;
    for (size_t s = 0; s + 1 < begin.size(); ++s) {
      seeds.insert(seeds.end(), begin[s + 1] - begin[s], static_cast<int64_t>(s));
    }
    row_seed = torch::tensor(seeds, i64);
    seed_row_begin = torch::tensor(begin, i64);
  }
};

TEST(CudaFusedLayersTest, RaggedResidualLayerNormMatchesTheSegmentReference) {
  SG_REQUIRE_CUDA();
  auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCUDA);
  torch::manual_seed(12);
  const RaggedRowsForTest rows;
  const int64_t S = 3, N = 384, d = 512;
  torch::Tensor flat = torch::randn({S, 2 * d + 64}, f32);
  torch::Tensor g = flat.narrow(1, 0, d).detach().add_(1.0).requires_grad_(true);
  torch::Tensor b = flat.narrow(1, d + 32, d).detach().requires_grad_(true);
  torch::Tensor x = (torch::randn({N, d}, f32) * 2 + 0.5).requires_grad_(true);
  torch::Tensor r = torch::randn({N, d}, f32).requires_grad_(true);
  torch::Tensor w = torch::randn({N, d}, f32);
  ASSERT_TRUE(FusedRaggedResidualLayerNormServes(x, r, g, b, rows.row_seed, rows.seed_row_begin));
  EXPECT_FALSE(FusedRaggedResidualLayerNormServes(x, r, g, b, rows.row_seed.narrow(0, 0, 10),
                                                  rows.seed_row_begin));
  torch::Tensor g2 = g.detach().clone().requires_grad_(true);
  torch::Tensor b2 = b.detach().clone().requires_grad_(true);
  torch::Tensor x2 = x.detach().clone().requires_grad_(true);
  torch::Tensor r2 = r.detach().clone().requires_grad_(true);
  torch::Tensor y = FusedRaggedResidualLayerNorm(x, r, g, b, rows.row_seed, rows.seed_row_begin);
  torch::Tensor y2 = SegmentResidualLayerNorm(x2, r2, g2, b2, rows.begin);
  EXPECT_LE(WorstRatio(y, y2, 1e-5, 1e-5), 1.0);
  (y * w).sum().backward();
  (y2 * w).sum().backward();
  EXPECT_LE(WorstRatio(x.grad(), x2.grad(), 1e-4, 1e-5), 1.0);
  EXPECT_LE(WorstRatio(r.grad(), r2.grad(), 1e-4, 1e-5), 1.0);
  EXPECT_LE(WorstRatio(g.grad(), g2.grad(), 1e-4, 1e-4), 1.0);
  EXPECT_LE(WorstRatio(b.grad(), b2.grad(), 1e-4, 1e-4), 1.0);
}

// One seed's rows, ragged or as [1, N, d]: the same kernels, the same dropout mask (a hash of
// the key and the element's index), the same bits.
TEST(CudaFusedLayersTest, RaggedResidualDropoutLayerNormOfOneSeedIsThePackedOnes) {
  SG_REQUIRE_CUDA();
  auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCUDA);
  auto i64 = torch::TensorOptions().dtype(torch::kInt64).device(torch::kCUDA);
  torch::manual_seed(13);
  const int64_t N = 200, d = 256;
  torch::Tensor g = (torch::randn({1, d}, f32) + 1).requires_grad_(true);
  torch::Tensor b = torch::randn({1, d}, f32).requires_grad_(true);
  torch::Tensor x = torch::randn({N, d}, f32).requires_grad_(true);
  torch::Tensor r = torch::randn({N, d}, f32).requires_grad_(true);
  torch::Tensor w = torch::randn({N, d}, f32);
  torch::cuda::manual_seed(21);
  torch::Tensor y = FusedRaggedResidualLayerNorm(x, r, g, b, torch::zeros({N}, i64),
                                                 torch::tensor({int64_t{0}, N}, i64), false, 0.1);
  (y * w).sum().backward();
  torch::Tensor g2 = g.detach().clone().requires_grad_(true);
  torch::Tensor b2 = b.detach().clone().requires_grad_(true);
  torch::Tensor x2 = x.detach().clone().unsqueeze(0).requires_grad_(true);
  torch::Tensor r2 = r.detach().clone().unsqueeze(0).requires_grad_(true);
  torch::cuda::manual_seed(21);
  torch::Tensor y2 = FusedResidualLayerNorm(x2, r2, g2, b2, false, 0.1);
  (y2 * w.unsqueeze(0)).sum().backward();
  EXPECT_TRUE(torch::equal(y, y2.squeeze(0)));
  EXPECT_TRUE(torch::equal(r.grad(), r2.grad().squeeze(0)));
  EXPECT_TRUE(torch::equal(g.grad(), g2.grad()));
  EXPECT_FALSE(torch::equal(r.grad(), x.grad()));  // the mask dropped something
}

// --- Residual dropout inside the LayerNorm kernels (ResidualDropout) ---

// Random inputs of a residual + LayerNorm with per-seed affine rows, each a leaf that takes a
// gradient, and w, the weights of the loss (y * w).sum().
struct ResidualInputs {
  torch::Tensor g, b, x, r, w;
};
ResidualInputs RandomResidualInputs(int64_t S, int64_t N, int64_t d) {
  auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCUDA);
  ResidualInputs in;
  in.g = (torch::randn({S, d}, f32) + 1.0).requires_grad_(true);
  in.b = torch::randn({S, d}, f32).requires_grad_(true);
  in.x = torch::randn({S, N, d}, f32).requires_grad_(true);
  in.r = torch::randn({S, N, d}, f32).requires_grad_(true);
  in.w = torch::randn({S, N, d}, f32);
  return in;
}

// The mask shows in the gradients: r's is x's through the mask, scaled by 1 / (1 - p). The
// forward must then be LibTorch's LayerNorm of x + r dropped out by that mask.
TEST(CudaFusedLayersTest, ResidualDropoutLayerNormMatchesLibTorchWithItsMask) {
  SG_REQUIRE_CUDA();
  auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCUDA);
  torch::manual_seed(8);
  const int64_t S = 4, N = 301, d = 512;
  const double p = 0.1;
  const float inv_keep = 1.0f / (1.0f - static_cast<float>(p));
  const auto [g, b, x, r, w] = RandomResidualInputs(S, N, d);
  torch::cuda::manual_seed(11);
  torch::Tensor y = FusedResidualLayerNorm(x, r, g, b, /*side_stream_affine=*/false, p);
  (y * w).sum().backward();
  const torch::Tensor kept = r.grad() != 0;
  EXPECT_TRUE(torch::equal(r.grad(), torch::where(kept, x.grad() * torch::full({}, inv_keep, f32),
                                                  torch::zeros_like(x.grad()))))
      << "r's gradient is x's through the mask";
  const double share = kept.to(torch::kFloat64).mean().item<double>();
  EXPECT_NEAR(share, 1.0 - p, 0.003) << "share kept";

  torch::Tensor g2 = g.detach().clone().requires_grad_(true);
  torch::Tensor b2 = b.detach().clone().requires_grad_(true);
  torch::Tensor x2 = x.detach().clone().requires_grad_(true);
  const torch::Tensor dropped = torch::where(kept, r.detach() * torch::full({}, inv_keep, f32),
                                             torch::zeros_like(x2));
  torch::Tensor y2 = Reference(x2, dropped, g2, b2);
  EXPECT_LE(WorstRatio(y.detach(), y2.detach(), 1e-5, 1e-5), 1.0) << "forward";
  (y2 * w).sum().backward();
  EXPECT_LE(WorstRatio(x.grad(), x2.grad(), 1e-4, 1e-5), 1.0) << "x's gradient";
  EXPECT_LE(WorstRatio(g.grad(), g2.grad(), 1e-4, 1e-4), 1.0) << "g's gradient";
  EXPECT_LE(WorstRatio(b.grad(), b2.grad(), 1e-4, 1e-4), 1.0) << "b's gradient";

  // The same key gives the same mask; the next call draws another.
  torch::NoGradGuard no_grad;
  torch::cuda::manual_seed(11);
  const torch::Tensor again = FusedResidualLayerNorm(x, r, g, b, false, p);
  EXPECT_TRUE(torch::equal(again, y.detach()));
  EXPECT_FALSE(torch::equal(FusedResidualLayerNorm(x, r, g, b, false, p), again));
}

// A mask is a hash of each element's index, so the 16-byte and the 4-byte loads' kernels drop
// the same elements of the same key: x, r, gamma and beta copied one float off 16-byte
// boundaries take the 4-byte kernels forward and backward, and give r's gradient the same zeros
// and nearly the same values (their sums' order differs).
TEST(CudaFusedLayersTest, ResidualDropoutMaskIsTheSameAtEveryLoadWidth) {
  SG_REQUIRE_CUDA();
  auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCUDA);
  torch::manual_seed(14);
  const int64_t S = 3, N = 45, d = 512;
  const double p = 0.1;
  const auto [g, b, x, r, w] = RandomResidualInputs(S, N, d);
  const auto off_boundary = [&](const torch::Tensor& t) {
    torch::Tensor buffer = torch::empty({t.numel() + 1}, f32);
    torch::Tensor copy = buffer.narrow(0, 1, t.numel()).view(t.sizes());
    copy.copy_(t.detach());
    return copy.requires_grad_(true);
  };
  torch::Tensor x1 = off_boundary(x), r1 = off_boundary(r);
  ASSERT_NE(reinterpret_cast<std::uintptr_t>(x1.data_ptr()) % 16, 0u);
  ASSERT_TRUE(FusedResidualLayerNormServes(x1, r1, g, b));
  torch::Tensor g1 = off_boundary(g), b1 = off_boundary(b);

  torch::cuda::manual_seed(15);
  torch::Tensor y = FusedResidualLayerNorm(x, r, g, b, /*side_stream_affine=*/false, p);
  torch::cuda::manual_seed(15);
  torch::Tensor y1 = FusedResidualLayerNorm(x1, r1, g1, b1, /*side_stream_affine=*/false, p);
  EXPECT_LE(WorstRatio(y1.detach(), y.detach(), 1e-5, 1e-5), 1.0) << "forward";
  (y * w).sum().backward();
  (y1 * w).sum().backward();
  EXPECT_TRUE(torch::equal(r.grad() == 0, r1.grad() == 0)) << "the same elements dropped";
  EXPECT_LE(WorstRatio(r1.grad(), r.grad(), 1e-4, 1e-5), 1.0) << "r's gradient";
  EXPECT_LE(WorstRatio(x1.grad(), x.grad(), 1e-4, 1e-5), 1.0) << "x's gradient";
  EXPECT_LE(WorstRatio(g1.grad(), g.grad(), 1e-4, 1e-4), 1.0) << "g's gradient";
}

// --- ReLU + dropout (cuda_relu_dropout.h) ---

TEST(CudaFusedLayersTest, ReluDropoutKeepsOneMinusPAndScales) {
  SG_REQUIRE_CUDA();
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCUDA, 0);
  torch::manual_seed(3);
  // An odd element count: the kernel's scalar tail runs too.
  const torch::Tensor h = torch::randn({4, 3001, 257}, opts);
  const double p = 0.1;
  const torch::Tensor y = FusedReluDropout(h, p);
  const float inv_keep = 1.0f / (1.0f - static_cast<float>(p));
  const torch::Tensor scaled = h * torch::full({}, inv_keep, opts);
  const torch::Tensor positive = h > 0, kept = y != 0;
  EXPECT_EQ((y.masked_select(h <= 0) != 0).sum().item<int64_t>(), 0) << "ReLU";
  EXPECT_TRUE(torch::equal(y.masked_select(kept), scaled.masked_select(kept))) << "scale";
  const double share = kept.sum().item<double>() / positive.sum().item<double>();
  EXPECT_NEAR(share, 1.0 - p, 0.003) << "share of the positive elements kept";
  // The same key gives the same mask; the next call draws another.
  torch::cuda::manual_seed(5);
  const torch::Tensor a = FusedReluDropout(h, p);
  torch::cuda::manual_seed(5);
  EXPECT_TRUE(torch::equal(a, FusedReluDropout(h, p)));
  EXPECT_FALSE(torch::equal(a, FusedReluDropout(h, p)));
}

// 192,000 elements (whole groups of 128: the backward reads the forward's mask bits) and
// 189,000 (not: it reads y).
TEST(CudaFusedLayersTest, ReluDropoutBackwardPassesWhereTheForwardKept) {
  SG_REQUIRE_CUDA();
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCUDA, 0);
  torch::manual_seed(4);
  for (int64_t width : {64, 63}) {
    const torch::Tensor h = torch::randn({3, 1000, width}, opts).requires_grad_();
    const torch::Tensor dy = torch::randn({3, 1000, width}, opts);
    const double p = 0.25;
    const torch::Tensor y = FusedReluDropout(h, p);
    (y * dy).sum().backward();
    const torch::Tensor want = torch::where(
        y.detach() > 0, dy * torch::full({}, 1.0f / 0.75f, opts), torch::zeros_like(dy));
    EXPECT_TRUE(torch::equal(h.grad(), want)) << "width " << width;
    EXPECT_FALSE(FusedReluDropoutServes(h.detach().cpu(), p)) << "CPU tensors";
    EXPECT_FALSE(FusedReluDropoutServes(h.detach(), 0.0)) << "no dropout";
  }
}

// The forward's mask (session 31): bit l of word 4 g + e is whether element 128 g + 4 l + e of
// y is positive, and the backward from it gives the bits of the backward from y. Only whole
// groups of 128 at 16-byte boundaries keep one; a launch asked for another fails.
TEST(CudaFusedLayersTest, ReluDropoutMaskBitsAreWhereTheOutputIsPositive) {
  SG_REQUIRE_CUDA();
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCUDA, 0);
  torch::manual_seed(9);
  const int64_t n = 128 * 1037;
  const torch::Tensor h = torch::randn({n}, opts), dy = torch::randn({n}, opts);
  torch::Tensor y = torch::empty_like(h);
  ASSERT_EQ(cuda_kernels::ReluDropoutMaskWords(n, h.data_ptr<float>(), y.data_ptr<float>()),
            n / 32);
  torch::Tensor mask = torch::full({n / 32}, -1, opts.dtype(torch::kInt32));
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream().stream();
  cuda_kernels::DropoutKey key;
  key.seed = 1234;
  auto* bits = reinterpret_cast<uint32_t*>(mask.data_ptr<int32_t>());
  ASSERT_EQ(cuda_kernels::LaunchReluDropoutForward(h.data_ptr<float>(), n, 0.3f, key,
                                                   y.data_ptr<float>(), stream, bits),
            cudaSuccess);
  const torch::Tensor words = torch::bitwise_and(mask.cpu().to(torch::kInt64), int64_t{0xffffffff});
  const torch::Tensor j = torch::arange(n, torch::kInt64);
  const torch::Tensor word = torch::div(j, 128, "floor") * 4 + torch::remainder(j, 4);
  const torch::Tensor lane = torch::div(torch::remainder(j, 128), 4, "floor");
  const torch::Tensor bit =
      torch::bitwise_and(torch::bitwise_right_shift(words.index_select(0, word), lane), 1);
  EXPECT_TRUE(torch::equal(bit == 1, y.cpu() > 0)) << "the mask's bits";
  torch::Tensor from_y = torch::empty_like(h), from_mask = torch::empty_like(h);
  ASSERT_EQ(cuda_kernels::LaunchReluDropoutBackward(y.data_ptr<float>(), dy.data_ptr<float>(), n,
                                                    0.3f, from_y.data_ptr<float>(), stream),
            cudaSuccess);
  ASSERT_EQ(cuda_kernels::LaunchReluDropoutBackwardFromMask(bits, dy.data_ptr<float>(), n, 0.3f,
                                                            from_mask.data_ptr<float>(), stream),
            cudaSuccess);
  EXPECT_TRUE(torch::equal(from_y, from_mask));
  EXPECT_EQ(cuda_kernels::ReluDropoutMaskWords(n - 4, h.data_ptr<float>(), y.data_ptr<float>()),
            0);
  EXPECT_EQ(cuda_kernels::ReluDropoutMaskWords(n - 128, h.data_ptr<float>() + 1,
                                               y.data_ptr<float>()),
            0);
  EXPECT_EQ(cuda_kernels::LaunchReluDropoutForward(h.data_ptr<float>(), n - 4, 0.3f, key,
                                                   y.data_ptr<float>(), stream, bits),
            cudaErrorInvalidValue);
}

PackTrainerOptions CudaOptions(std::vector<int64_t> seeds, TrainConfig config, bool fused) {
  PackTrainerOptions o = testing_util::TinyTrainerOptions(std::move(seeds), std::move(config),
                                                          torch::Device(torch::kCUDA, 0));
  o.fused_layer_norm = fused;
  o.tf32 = false;  // TF32 would turn the kernels' last-bit differences into visible ones
  return o;
}

TrainConfig Width64() {
  TrainConfig config = testing_util::TinyConfig();
  config.d_model = 64;  // the kernel takes multiples of 32
  config.ff = 128;
  return config;
}

using testing_util::ToVector;

TEST(CudaFusedLayersTest, GraphTrainerFollowsLibTorchLayerNorm) {
  SG_REQUIRE_CUDA();
  const auto train = testing_util::SyntheticLines(60, 12, 12);
  const std::vector<int64_t> seeds = {2, 5};
  PackTrainer fused(CudaOptions(seeds, Width64(), true), &train);
  PackTrainer plain(CudaOptions(seeds, Width64(), false), &train);
  bool any_bit_differs = false;
  for (int i = 0; i < 30; ++i) {
    const std::vector<double> a = ToVector(fused.Step()), b = ToVector(plain.Step());
    for (size_t s = 0; s < seeds.size(); ++s) {
      EXPECT_NEAR(a[s], b[s], 1e-4 * std::abs(b[s])) << "seed " << seeds[s] << " step " << i + 1;
      any_bit_differs = any_bit_differs || a[s] != b[s];
    }
  }
  EXPECT_EQ(fused.graph_steps(), 30);
  // The two LayerNorms round differently, so 30 steps without a single differing bit would
  // mean the fused kernel never ran.
  EXPECT_TRUE(any_bit_differs);
}

// The graph step with dropout takes our fused dropout kernel unless `fused` (a switch of
// PackTrainerOptions) is turned off: other masks, so other losses from the first step on, in
// the same range.
void ExpectGraphTrainerTakesTheFusedDropout(bool PackTrainerOptions::*fused) {
  const auto train = testing_util::SyntheticLines(60, 12, 12);
  TrainConfig config = Width64();
  config.dropout = 0.1;
  const std::vector<int64_t> seeds = {2, 5};
  PackTrainerOptions off = CudaOptions(seeds, config, true);
  off.*fused = false;
  PackTrainer with(CudaOptions(seeds, config, true), &train);
  PackTrainer without(off, &train);
  double sum_with = 0, sum_without = 0;
  bool any_differs = false;
  for (int i = 0; i < 20; ++i) {
    const std::vector<double> a = ToVector(with.Step()), b = ToVector(without.Step());
    for (size_t s = 0; s < seeds.size(); ++s) {
      ASSERT_TRUE(std::isfinite(a[s])) << "step " << i + 1;
      sum_with += a[s];
      sum_without += b[s];
      any_differs = any_differs || a[s] != b[s];
    }
  }
  EXPECT_TRUE(any_differs);
  EXPECT_NEAR(sum_with / sum_without, 1.0, 0.05);
  EXPECT_EQ(with.graph_steps(), 20);
}

TEST(CudaFusedLayersTest, GraphTrainerTakesTheFusedReluDropout) {
  SG_REQUIRE_CUDA();
  ExpectGraphTrainerTakesTheFusedDropout(&PackTrainerOptions::fused_relu_dropout);
}

// The residual branches' dropout inside our LayerNorm kernels.
TEST(CudaFusedLayersTest, GraphTrainerTakesTheFusedResidualDropout) {
  SG_REQUIRE_CUDA();
  ExpectGraphTrainerTakesTheFusedDropout(&PackTrainerOptions::fused_residual_dropout);
}

TEST(CudaFusedLayersTest, GraphTrainerResumeIsBitExact) {
  SG_REQUIRE_CUDA();
  TrainConfig config = Width64();
  config.dropout = 0.1;  // our ReLU + dropout's and residual dropout's masks replayed too
  testing_util::ExpectResumeIsBitExact(CudaOptions({0, 1}, config, true),
                                       testing_util::SyntheticLines(25, 8), /*split=*/7,
                                       /*total=*/12, /*min_graph_steps=*/12);
}

}  // namespace
}  // namespace sg
