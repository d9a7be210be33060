// The layers' products by cuBLASLt (cuda_seed_gemm.h) against LibTorch's bmm / baddbmm on
// random inputs, in fp32 and TF32, through the side-stream linear's autograd, and in the graph
// step. Built only against a CUDA LibTorch; each test skips (and says so) without a CUDA device.
#include "trainer/model/cuda_seed_gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "trainer/model/cuda_side_stream_linear.h"
#include "trainer/model/pack_trainer.h"
#include "trainer/model/resume_test_util.h"
#include "trainer/model/tf32_scope_test_util.h"
#include "trainer/trainer_test_util.h"

namespace sg {
namespace {

#define SG_REQUIRE_CUDA() \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device"

using testing_util::Tf32Scope;

struct Shape {
  int64_t seeds, rows, in, out;
  std::string Name() const {
    return std::to_string(seeds) + "x" + std::to_string(rows) + " " + std::to_string(in) + "->" +
           std::to_string(out);
  }
};

// |a - b| <= tol x max|b|: TF32 products differ from another kernel's in the last bits of the
// 10-bit mantissa, relative to the output's scale rather than to each element.
void ExpectClose(const torch::Tensor& a, const torch::Tensor& b, double tol,
                 const std::string& what) {
  const double scale = b.abs().max().item<double>();
  const double diff = (a - b).abs().max().item<double>();
  EXPECT_LE(diff, tol * scale) << what << ": max |diff| " << diff << " of " << scale;
}

// The weights as the pack lays them out: a flat [S, P] buffer, each seed's matrix 16 floats
// into its row, rows padded to 64 floats (pack_model.h).
torch::Tensor PackWeights(const Shape& s, int64_t offset = 16) {
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCUDA, 0);
  const int64_t P = ((offset + s.in * s.out + 63) / 64) * 64;
  torch::Tensor flat = torch::randn({s.seeds, P}, opts) / std::sqrt(static_cast<double>(s.in));
  return flat.narrow(1, offset, s.in * s.out).view({s.seeds, s.in, s.out});
}

void ExpectProductsMatch(bool tf32) {
  Tf32Scope scope(tf32);
  const double tol = tf32 ? 5e-3 : 2e-6;
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCUDA, 0);
  torch::manual_seed(5);
  for (const Shape& s : {Shape{3, 37, 64, 96}, Shape{10, 256, 512, 512},
                         Shape{10, 256, 512, 1536}, Shape{4, 64, 2048, 512}}) {
    const torch::Tensor wt = PackWeights(s);
    const torch::Tensor x = torch::randn({s.seeds, s.rows, s.in}, opts);
    const torch::Tensor dy = torch::randn({s.seeds, s.rows, s.out}, opts);
    const torch::Tensor bias = torch::randn({s.seeds, s.out}, opts);
    const std::string name = s.Name() + (tf32 ? " tf32" : " fp32");

    torch::Tensor y, yb, dx;
    ASSERT_TRUE(SeedGemmForward(x, wt, {}, &y)) << name;
    ExpectClose(y, torch::bmm(x, wt), tol, name + " forward");
    ASSERT_TRUE(SeedGemmForward(x, wt, bias, &yb)) << name;
    ExpectClose(yb, torch::baddbmm(bias.unsqueeze(1), x, wt), tol, name + " forward + bias");
    ASSERT_TRUE(SeedGemmInputGrad(dy, wt, &dx)) << name;
    ExpectClose(dx, torch::bmm(dy, wt.transpose(1, 2)), tol, name + " input gradient");
    // The weight gradient into a strided destination, as into a view of a flat buffer.
    torch::Tensor dw = PackWeights(s).zero_();
    ASSERT_TRUE(SeedGemmWeightGrad(x, dy, dw)) << name;
    ExpectClose(dw, torch::bmm(x.transpose(1, 2), dy), tol, name + " weight gradient");

    // The same algorithm every call: the same bits.
    torch::Tensor again, dw_again = PackWeights(s).zero_();
    ASSERT_TRUE(SeedGemmForward(x, wt, bias, &again));
    EXPECT_TRUE(torch::equal(again, yb)) << name;
    ASSERT_TRUE(SeedGemmWeightGrad(x, dy, dw_again));
    EXPECT_TRUE(torch::equal(dw_again, dw)) << name;

    // From x transposed first (the "nn" product; PackTrainerOptions::lt_transposed_weight_
    // grads): the same sums, and the same bits on a second call.
    torch::Tensor dw_xt = PackWeights(s).zero_(), dw_xt_again = PackWeights(s).zero_();
    ASSERT_TRUE(SeedGemmWeightGrad(x, dy, dw_xt, /*transpose_x=*/true)) << name;
    ExpectClose(dw_xt, torch::bmm(x.transpose(1, 2), dy), tol, name + " weight gradient, x^T");
    ASSERT_TRUE(SeedGemmWeightGrad(x, dy, dw_xt_again, /*transpose_x=*/true)) << name;
    EXPECT_TRUE(torch::equal(dw_xt_again, dw_xt)) << name;
  }
}

TEST(CudaSeedGemmTest, ProductsMatchBmmInFp32) {
  SG_REQUIRE_CUDA();
  ASSERT_TRUE(SeedGemmAvailable());
  ExpectProductsMatch(/*tf32=*/false);
}

TEST(CudaSeedGemmTest, ProductsMatchBmmInTf32) {
  SG_REQUIRE_CUDA();
  ExpectProductsMatch(/*tf32=*/true);
}

// What it does not serve it leaves to LibTorch: nothing written, false.
TEST(CudaSeedGemmTest, LeavesWhatItDoesNotServe) {
  SG_REQUIRE_CUDA();
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCUDA, 0);
  const Shape s{2, 16, 64, 32};
  const torch::Tensor x = torch::randn({s.seeds, s.rows, s.in}, opts);
  torch::Tensor y;
  // A weight one float off 16-byte alignment.
  EXPECT_FALSE(SeedGemmForward(x, PackWeights(s, /*offset=*/1), {}, &y));
  // A transposed view of the input.
  const torch::Tensor xt = torch::randn({s.seeds, s.in, s.rows}, opts).transpose(1, 2);
  EXPECT_FALSE(SeedGemmForward(xt, PackWeights(s), {}, &y));
  // Mismatched inner sizes, CPU tensors, fp64.
  EXPECT_FALSE(SeedGemmForward(x, PackWeights(Shape{2, 16, 48, 32}), {}, &y));
  EXPECT_FALSE(SeedGemmForward(x.cpu(), PackWeights(s).cpu(), {}, &y));
  EXPECT_FALSE(SeedGemmForward(x.to(torch::kFloat64), PackWeights(s).to(torch::kFloat64), {},
                               &y));
  EXPECT_FALSE(y.defined());
}

// Through the side-stream linear's autograd: output and the three gradients as bmm's.
TEST(CudaSeedGemmTest, SideStreamLinearWithLtGemmsMatchesBaddbmm) {
  SG_REQUIRE_CUDA();
  Tf32Scope scope(false);
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCUDA, 0);
  torch::manual_seed(9);
  const Shape s{3, 40, 64, 128};
  const torch::Tensor x0 = torch::randn({s.seeds, s.rows, s.in}, opts);
  const torch::Tensor w0 = PackWeights(s);
  const torch::Tensor b0 = torch::randn({s.seeds, s.out}, opts);
  const torch::Tensor weight = torch::randn({s.seeds, s.rows, s.out}, opts);
  auto run = [&](bool lt, bool lt_xt) {
    torch::Tensor x = x0.clone().requires_grad_(), b = b0.clone().requires_grad_();
    torch::Tensor flat = w0.new_zeros({s.seeds, w0.stride(0)});
    flat.narrow(1, 16, s.in * s.out).copy_(w0.reshape({s.seeds, -1}));
    torch::Tensor wt = flat.narrow(1, 16, s.in * s.out).view({s.seeds, s.in, s.out});
    wt.requires_grad_();
    torch::Tensor y = SideStreamLinear(x, wt, b, lt, lt_xt);
    (y * weight).sum().backward();
    JoinSideStream(x.device());
    return std::vector<torch::Tensor>{y.detach(), x.grad(), wt.grad(), b.grad()};
  };
  const std::vector<torch::Tensor> want = run(false, false);
  const char* names[] = {"output", "input gradient", "weight gradient", "bias gradient"};
  for (bool lt_xt : {false, true}) {
    const std::vector<torch::Tensor> ours = run(true, lt_xt);
    for (int i = 0; i < 4; ++i) {
      ExpectClose(ours[i], want[i], 2e-6, std::string(names[i]) + (lt_xt ? ", x^T" : ""));
    }
  }
}

// The graph trainer with the layers' products by cuBLASLt follows the one with LibTorch's,
// step by step (fp32: another kernel, the same sums in another order), and is bit-equal to a
// second trainer of its own kind.
TEST(CudaSeedGemmTest, GraphTrainerFollowsTheLibTorchGemms) {
  SG_REQUIRE_CUDA();
  const auto train = testing_util::SyntheticLines(60, 12, 12);
  const std::vector<int64_t> seeds = {2, 5};
  TrainConfig config = testing_util::TinyConfig();
  config.dropout = 0.1;
  auto options = [&](bool lt) {
    PackTrainerOptions o = testing_util::TinyTrainerOptions(seeds, config,
                                                            torch::Device(torch::kCUDA, 0));
    o.tf32 = false;
    o.lt_gemms = lt;
    return o;
  };
  PackTrainer lt(options(true), &train), lt2(options(true), &train), plain(options(false), &train);
  for (int i = 0; i < 30; ++i) {
    const std::vector<double> a = testing_util::ToVector(lt.Step());
    const std::vector<double> b = testing_util::ToVector(plain.Step());
    EXPECT_EQ(testing_util::ToVector(lt2.Step()), a) << "step " << i + 1;
    for (size_t s = 0; s < seeds.size(); ++s) {
      EXPECT_NEAR(a[s], b[s], 1e-5 * std::abs(b[s])) << "seed " << seeds[s] << " step " << i + 1;
    }
  }
  EXPECT_EQ(lt.graph_steps(), 30);
  const double dw = (lt.model().flat() - plain.model().flat()).abs().max().item<double>();
  EXPECT_LT(dw, 1e-4);
  std::printf("weights after 30 steps, max |diff| against LibTorch's GEMMs: %.3g\n", dw);
}

// Resumes bit for bit with the products by cuBLASLt (testing_util::ExpectResumeIsBitExact: a
// straight run against a second trainer that stages its state and a third that resumes from
// it, in one process, so their activations sit elsewhere in the allocator's memory): short
// QF-like rows, then rows with a long tail, TF32 and dropout on. Session 24's full GPU run
// found two trainers of one process parting with the first version (pointer-dependent
// alignment in the plan's key) in CudaLineAttentionTest.PackedLongRowsResumeWithDropout-
// IsBitExact; these are the tests that must pass before lt_gemms becomes the default.
PackTrainerOptions LtResumeOptions() {
  TrainConfig config = testing_util::TinyConfig();
  config.d_model = 64;
  config.heads = 4;
  config.ff = 128;
  config.batch_size = 8;
  config.dropout = 0.1;
  PackTrainerOptions o =
      testing_util::TinyTrainerOptions({0, 1, 2}, config, torch::Device(torch::kCUDA, 0));
  o.lt_gemms = true;
  o.tf32 = true;
  // Lines packed into rows, attending per line by our kernels, as sg-train trains.
  o.pack_lines = true;
  o.line_attention = true;
  o.own_line_attention = true;
  return o;
}

TEST(CudaSeedGemmTest, ShortRowsResumeIsBitExact) {
  SG_REQUIRE_CUDA();
  testing_util::ExpectResumeIsBitExact(LtResumeOptions(),
                                       testing_util::SyntheticLines(120, 8, 14));
}

TEST(CudaSeedGemmTest, TailedRowsResumeIsBitExact) {
  SG_REQUIRE_CUDA();
  testing_util::ExpectResumeIsBitExact(LtResumeOptions(), testing_util::TailedLines());
}

// The weight gradients from x transposed (a copy on the side stream, then the "nn" product)
// resume bit for bit too: the copy's block is the side stream's, in the graph's pool.
TEST(CudaSeedGemmTest, TransposedWeightGradsResumeIsBitExact) {
  SG_REQUIRE_CUDA();
  PackTrainerOptions o = LtResumeOptions();
  o.lt_transposed_weight_grads = true;
  testing_util::ExpectResumeIsBitExact(o, testing_util::TailedLines());
}

}  // namespace
}  // namespace sg
