// Attention per line (cuda_line_attention.h), LibTorch's kernel and ours, against attention
// computed line by line in double on the CPU; ours with dropout against finite differences of
// its own forward (the backward must drop what the forward dropped) and for the share it
// drops, and its determinism; its TF32 form against the reference and the fp32 form; the
// packed graph trainer with each: the masked trainer's steps, and with ours a bit-exact
// resume. Also the resume of packed training with dropout through the mask: bit-exact for
// short rows (QF's), close for rows past kMaxGraphLength (Dyck's; LibTorch's fused kernel),
// and bit-exact through our TF32 kernels for short rows. Built only against a CUDA LibTorch;
// each test skips (and says so) without a CUDA device.
#include "trainer/model/cuda_line_attention.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "trainer/model/pack_trainer.h"
#include "trainer/model/resume_test_util.h"
#include "trainer/model/tf32_scope_test_util.h"
#include "trainer/trainer_test_util.h"

namespace sg {
namespace {

#define SG_REQUIRE_LINE_ATTENTION()                                        \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";    \
  if (!LineAttentionAvailable()) GTEST_SKIP() << "no variable-length attention in this LibTorch"

using testing_util::ToVector;

// Causal attention within each line, in double, one line at a time: q, k, v [S,N,H,dh].
torch::Tensor Reference(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                        const std::vector<int32_t>& starts, double scale) {
  const int64_t S = q.size(0), N = q.size(1), H = q.size(2), dh = q.size(3);
  auto flat = [&](const torch::Tensor& t) {
    return t.to(torch::kCPU, torch::kFloat64).reshape({S * N, H, dh});
  };
  torch::Tensor qf = flat(q), kf = flat(k), vf = flat(v);
  torch::Tensor out = torch::zeros({S * N, H, dh}, qf.options());
  for (size_t l = 0; l + 1 < starts.size(); ++l) {
    const int64_t a = starts[l], n = starts[l + 1] - starts[l];
    if (n == 0) continue;
    torch::Tensor ql = qf.narrow(0, a, n).transpose(0, 1);  // [H,n,dh]
    torch::Tensor kl = kf.narrow(0, a, n).transpose(0, 1);
    torch::Tensor vl = vf.narrow(0, a, n).transpose(0, 1);
    torch::Tensor scores = torch::bmm(ql, kl.transpose(1, 2)) * scale;
    torch::Tensor future = torch::ones({n, n}, torch::kBool).triu(1);
    scores = scores.masked_fill(future, -std::numeric_limits<double>::infinity());
    out.narrow(0, a, n).copy_(torch::bmm(torch::softmax(scores, -1), vl).transpose(0, 1));
  }
  return out.view({S, N, H * dh});
}

struct Inputs {
  torch::Tensor q, k, v;  // [S,N,H,dh] views as the model makes them (k, v interleaved)
  torch::Tensor qkv;      // the leaves
  std::vector<int32_t> starts;
  torch::Tensor starts_dev;
};

// S=3 seeds of N=2 rows x 192 positions: lines of 1 to 150 positions (several kernel blocks),
// then 5 empty slots.
Inputs MakeInputs(int64_t H, int64_t dh) {
  const int64_t S = 3, T = 192, N = 2 * T;
  auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCUDA);
  Inputs in;
  in.qkv = torch::randn({S, N, H, 3, dh}, f32).requires_grad_(true);
  std::vector<torch::Tensor> parts = in.qkv.unbind(3);
  in.q = parts[0];
  in.k = parts[1];
  in.v = parts[2];
  const std::vector<int32_t> row_lines = {150, 1, 30, 11};  // 192 positions per row
  for (int64_t r = 0; r < S * 2; ++r) {
    int32_t at = static_cast<int32_t>(r * T);
    const std::vector<int32_t> lines =
        r % 2 == 0 ? row_lines : std::vector<int32_t>{64, 65, 63};
    for (int32_t n : lines) {
      in.starts.push_back(at);
      at += n;
    }
  }
  for (int i = 0; i < 6; ++i) in.starts.push_back(static_cast<int32_t>(S * N));
  in.starts_dev = torch::tensor(in.starts, torch::kInt32).to(torch::kCUDA);
  return in;
}

using testing_util::Tf32Scope;  // our attention per line follows cuBLAS's TF32 switch

// tf32: whether our kernels may use TF32 (cuBLAS's flag, which a trainer may have left on);
// out_tol: of the outputs' max |difference|; grad_tol: relative to the largest gradient.
void ExpectMatchesAttentionLineByLine(bool own, const std::vector<int64_t>& head_dims,
                                      bool tf32 = false, double out_tol = 2e-5,
                                      double grad_tol = 1e-4) {
  Tf32Scope tf32_scope(tf32);
  torch::manual_seed(3);
  for (int64_t dh : head_dims) {
    SCOPED_TRACE(dh);
    const int64_t H = 4;
    Inputs in = MakeInputs(H, dh);
    const double scale = 1.0 / std::sqrt(static_cast<double>(dh));
    torch::Tensor out = own ? OwnLineAttention(in.q, in.k, in.v, in.starts_dev, 0.0, scale)
                            : LineAttention(in.q, in.k, in.v, in.starts_dev, 192, scale);
    ASSERT_EQ(out.sizes(), (std::vector<int64_t>{3, 384, H * dh}));
    torch::Tensor want = Reference(in.q, in.k, in.v, in.starts, scale);
    const double diff = (out.cpu().to(torch::kFloat64) - want).abs().max().item<double>();
    EXPECT_LT(diff, out_tol) << "max |difference| to the line-by-line attention";

    // Gradients against the reference's (autograd in double on the CPU).
    torch::Tensor w = torch::randn_like(out);
    (out * w).sum().backward();
    torch::Tensor qkv64 = in.qkv.detach().cpu().to(torch::kFloat64).requires_grad_(true);
    std::vector<torch::Tensor> p = qkv64.unbind(3);
    (Reference(p[0], p[1], p[2], in.starts, scale) * w.cpu().to(torch::kFloat64))
        .sum()
        .backward();
    const double gscale = qkv64.grad().abs().max().item<double>();
    const double gdiff =
        (in.qkv.grad().cpu().to(torch::kFloat64) - qkv64.grad()).abs().max().item<double>();
    EXPECT_LT(gdiff, grad_tol * gscale)
        << "gradients: max |difference| " << gdiff << " of " << gscale;
  }
}

TEST(CudaLineAttentionTest, MatchesAttentionLineByLine) {
  SG_REQUIRE_LINE_ATTENTION();
  ExpectMatchesAttentionLineByLine(/*own=*/false, {8, 64});
}

#define SG_REQUIRE_OWN_LINE_ATTENTION()                                  \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";    \
  if (!OwnLineAttentionAvailable()) GTEST_SKIP() << "not in this build"

TEST(CudaOwnLineAttentionTest, MatchesAttentionLineByLine) {
  SG_REQUIRE_OWN_LINE_ATTENTION();
  ExpectMatchesAttentionLineByLine(/*own=*/true, {8, 16, 32, 64});
}

// The tensor-core kernels (cuda_line_attention_tf32.h; head width 8 stays on the fp32 ones),
// within TF32's rounding of the reference.
TEST(CudaOwnLineAttentionTest, Tf32MatchesAttentionLineByLine) {
  SG_REQUIRE_OWN_LINE_ATTENTION();
  ExpectMatchesAttentionLineByLine(/*own=*/true, {8, 16, 32, 64}, /*tf32=*/true, 2e-2, 2e-2);
}

// The same generator state drops the same probabilities in both forms: with dropout 0.3 the
// TF32 kernels' outputs and gradients stay within TF32's rounding of the fp32 kernels' (a
// different mask would move them by O(1)), and differ from them (the tensor cores ran).
TEST(CudaOwnLineAttentionTest, Tf32DropsWhatTheFp32KernelsDrop) {
  SG_REQUIRE_OWN_LINE_ATTENTION();
  torch::manual_seed(9);
  const Inputs in = MakeInputs(4, 64);
  const torch::Tensor w = torch::randn({3, 384, 4 * 64}, in.q.options());
  auto run = [&](bool tf32) {
    Tf32Scope scope(tf32);
    torch::Tensor qkv = in.qkv.detach().clone().requires_grad_(true);
    std::vector<torch::Tensor> p = qkv.unbind(3);
    torch::manual_seed(10);
    const torch::Tensor out = OwnLineAttention(p[0], p[1], p[2], in.starts_dev, 0.3, 0.125);
    (out * w).sum().backward();
    return std::make_pair(out.detach(), qkv.grad());
  };
  const auto fp32 = run(false), tf32 = run(true), again = run(true);
  const double out_diff = (tf32.first - fp32.first).abs().max().item<double>();
  EXPECT_LT(out_diff, 2e-2);
  EXPECT_GT(out_diff, 0.0) << "bit-equal to the fp32 kernels: the tensor cores did not run";
  const double gscale = fp32.second.abs().max().item<double>();
  EXPECT_LT((tf32.second - fp32.second).abs().max().item<double>(), 2e-2 * gscale);
  EXPECT_TRUE(torch::equal(tf32.first, again.first)) << "not deterministic";
  EXPECT_TRUE(torch::equal(tf32.second, again.second)) << "gradients not deterministic";
}

TEST(CudaOwnLineAttentionTest, DroppedForwardAndBackwardAgree) {
  SG_REQUIRE_OWN_LINE_ATTENTION();
  Tf32Scope fp32(false);  // finite differences need fp32's precision
  torch::manual_seed(4);
  Inputs in = MakeInputs(2, 16);
  const double scale = 0.25, p = 0.3;
  torch::Tensor w = torch::randn({3, 384, 32}, torch::TensorOptions().device(torch::kCUDA));
  // The loss with the generator at one state: every call drops the same probabilities.
  auto loss = [&](const torch::Tensor& q) {
    torch::manual_seed(77);
    return (OwnLineAttention(q, in.k, in.v, in.starts_dev, p, scale) * w).sum();
  };
  torch::Tensor q = in.q.detach().clone().requires_grad_(true);
  loss(q).backward();
  const torch::Tensor grad = q.grad();
  torch::NoGradGuard no_grad;
  torch::manual_seed(77);
  const torch::Tensor dropped = OwnLineAttention(q, in.k, in.v, in.starts_dev, p, scale);
  torch::manual_seed(77);
  EXPECT_TRUE(torch::equal(dropped, OwnLineAttention(q, in.k, in.v, in.starts_dev, p, scale)))
      << "the same generator state must drop the same probabilities";
  EXPECT_FALSE(torch::equal(dropped, OwnLineAttention(q, in.k, in.v, in.starts_dev, p, scale)))
      << "the next call must draw other masks";
  EXPECT_FALSE(torch::allclose(dropped, OwnLineAttention(q, in.k, in.v, in.starts_dev, 0.0, scale)))
      << "dropout did nothing";
  // Directional derivatives along three random directions.
  for (int i = 0; i < 3; ++i) {
    const torch::Tensor dir = torch::randn_like(q);
    const double eps = 1e-2;
    const double numeric =
        (loss(q + eps * dir).item<double>() - loss(q - eps * dir).item<double>()) / (2 * eps);
    const double analytic = (grad * dir).sum().item<double>();
    EXPECT_NEAR(analytic, numeric, 2e-3 * std::abs(numeric) + 1e-2) << "direction " << i;
  }
}

// Uniform attention (q = 0) over lines of 256 positions, v = 1: each output is the share of
// kept probabilities / (1 - p), 1 on average if the masks keep 1 - p of them.
TEST(CudaOwnLineAttentionTest, KeepsOneMinusPOfTheProbabilities) {
  SG_REQUIRE_OWN_LINE_ATTENTION();
  auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCUDA);
  const int64_t S = 2, N = 1024, H = 8, dh = 64;
  torch::Tensor q = torch::zeros({S, N, H, dh}, f32), k = torch::randn({S, N, H, dh}, f32);
  torch::Tensor v = torch::ones({S, N, H, dh}, f32);
  torch::Tensor starts = torch::arange(0, S * N + 1, 256, f32.dtype(torch::kInt32));
  torch::manual_seed(5);
  for (double p : {0.1, 0.5}) {
    const torch::Tensor out = OwnLineAttention(q, k, v, starts, p, 0.125).cpu();
    const double mean = out.mean().item<double>();
    EXPECT_NEAR(mean, 1.0, 0.01) << "p " << p;
    EXPECT_GT(out.std().item<double>(), 0.01) << "p " << p;
  }
}

using testing_util::TailedLines;

PackTrainerOptions PackedOptions(bool line_attention, double dropout, bool own = false) {
  PackTrainerOptions o = testing_util::CudaPackedOptions({2, 5, 9}, 64, 4, dropout);
  o.tf32 = false;
  o.line_attention = line_attention;
  o.own_line_attention = own;
  return o;
}

void ExpectFollowsTheMaskedTrainer(bool own) {
  const auto train = TailedLines(120);
  PackTrainer per_line(PackedOptions(true, 0.0, own), &train);
  PackTrainer masked(PackedOptions(false, 0.0), &train);
  bool any_bit_differs = false;
  for (int i = 0; i < 20; ++i) {
    const std::vector<double> a = ToVector(per_line.Step()), b = ToVector(masked.Step());
    for (size_t s = 0; s < a.size(); ++s) {
      // The first step differs by rounding alone; later ones also by the weights' drift
      // (Adam divides small differences of small gradients).
      const double tolerance = i == 0 ? 1e-5 : 5e-4;
      EXPECT_NEAR(a[s], b[s], tolerance * std::abs(b[s])) << "seed " << s << " step " << i + 1;
      any_bit_differs = any_bit_differs || a[s] != b[s];
    }
  }
  EXPECT_GT(per_line.graph_steps(), 10);
  EXPECT_GT(per_line.num_graphs(), 1);
  // Weights whose gradients are near zero may step either way (Adam takes steps of about lr
  // whatever the gradient's size), so no weight may be more than one step apart, and on
  // average far less.
  const torch::Tensor dw = (per_line.model().flat() - masked.model().flat()).abs();
  const double lr = PackedOptions(true, 0.0).config.lr;
  EXPECT_LT(dw.max().item<double>(), lr) << "mean " << dw.mean().item<double>();
  EXPECT_LT(dw.mean().item<double>(), 0.05 * lr) << "max " << dw.max().item<double>();
  // The two attentions round differently: 20 bit-identical steps would mean it never ran.
  EXPECT_TRUE(any_bit_differs);
}

TEST(CudaLineAttentionTest, GraphTrainerFollowsTheMaskedTrainer) {
  SG_REQUIRE_LINE_ATTENTION();
  ExpectFollowsTheMaskedTrainer(/*own=*/false);
}

TEST(CudaOwnLineAttentionTest, GraphTrainerFollowsTheMaskedTrainer) {
  SG_REQUIRE_OWN_LINE_ATTENTION();
  ExpectFollowsTheMaskedTrainer(/*own=*/true);
}

// Resumes bit for bit (testing_util::ExpectResumeIsBitExact: 14 steps straight against 9,
// save, resume, 5 more). Not asked of LibTorch's attention per line, whose backward is not
// deterministic (cuda_line_attention.h).

// Packed rows with dropout (the masked attention and torch::dropout): QF's rows of 64.
TEST(CudaLineAttentionTest, PackedShortRowsResumeWithDropoutIsBitExact) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  testing_util::ExpectResumeIsBitExact(PackedOptions(true, 0.1),
                                       testing_util::SyntheticLines(120, 8, 14));
}

// Rows past kMaxGraphLength with dropout: LibTorch's fused attention with the mask as a bias.
// Its backward splits a long row's keys among blocks and adds their shares of dQ with atomics
// (LibTorch's attention_backward.cu, num_splits_key, unless deterministic algorithms are on
// process-wide), so two runs of one step may differ in the last bits: 2 of 5 runs of the
// bit-exact form of this test parted on an H100 with LibTorch's GEMMs (session 25). A resume
// must follow the uninterrupted run as closely as the masked trainer follows ours above.
TEST(CudaLineAttentionTest, PackedLongRowsResumeWithDropoutStaysClose) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const PackTrainerOptions options = PackedOptions(true, 0.1);
  const auto train = TailedLines(120);
  constexpr int kSplit = 9, kTotal = 14;
  PackTrainer straight(options, &train);
  std::vector<std::vector<double>> want;
  for (int i = 0; i < kTotal; ++i) want.push_back(ToVector(straight.Step()));
  EXPECT_GE(straight.graph_steps(), 8);
  std::string state;
  {
    PackTrainer first(options, &train);
    for (int i = 0; i < kSplit; ++i) first.Step();
    state = first.StageState()->Finish();
  }
  PackTrainer resumed(options, &train);
  ASSERT_TRUE(resumed.LoadState(state).ok());
  for (int i = kSplit; i < kTotal; ++i) {
    const std::vector<double> got = ToVector(resumed.Step());
    ASSERT_EQ(got.size(), want[i].size());
    for (size_t s = 0; s < got.size(); ++s) {
      EXPECT_NEAR(got[s], want[i][s], 5e-4 * std::abs(want[i][s])) << "seed " << s
                                                                   << " step " << i + 1;
    }
  }
  const torch::Tensor dw = (resumed.model().flat() - straight.model().flat()).abs();
  EXPECT_LT(dw.max().item<double>(), options.config.lr) << "mean " << dw.mean().item<double>();
  EXPECT_LT(dw.mean().item<double>(), 0.05 * options.config.lr);
  EXPECT_EQ(resumed.TakeStats().steps, kTotal);
}

TEST(CudaOwnLineAttentionTest, GraphTrainerResumeWithDropoutIsBitExact) {
  SG_REQUIRE_OWN_LINE_ATTENTION();
  testing_util::ExpectResumeIsBitExact(PackedOptions(true, 0.1, /*own=*/true), TailedLines(120));
}

// QF-like short rows through our kernels (rows of any length) with TF32 on: the tensor-core
// kernels inside the captured graphs.
TEST(CudaOwnLineAttentionTest, PackedShortRowsResumeWithTf32IsBitExact) {
  SG_REQUIRE_OWN_LINE_ATTENTION();
  PackTrainerOptions o = PackedOptions(true, 0.1, /*own=*/true);
  o.tf32 = true;
  o.own_line_attention_from = 1;
  testing_util::ExpectResumeIsBitExact(o, testing_util::SyntheticLines(120, 8, 14));
}

TEST(CudaOwnLineAttentionTest, GraphTrainerResumeWithoutDropoutIsBitExact) {
  SG_REQUIRE_OWN_LINE_ATTENTION();
  testing_util::ExpectResumeIsBitExact(PackedOptions(true, 0.0, /*own=*/true), TailedLines(120));
}

// A graph step's inputs as one copy into one buffer (one_copy_inputs, the default) or as a
// copy a tensor and two fills: the same inputs, so the same steps, over several graphs.
TEST(CudaOwnLineAttentionTest, GraphTrainerWithOneCopyInputsTakesTheSameSteps) {
  SG_REQUIRE_OWN_LINE_ATTENTION();
  const auto train = TailedLines(120);
  for (bool tf32 : {false, true}) {
    PackTrainerOptions o = PackedOptions(true, 0.1, /*own=*/true);
    o.tf32 = tf32;
    o.one_copy_inputs = true;
    PackTrainer one(o, &train);
    o.one_copy_inputs = false;
    PackTrainer separate(o, &train);
    for (int i = 1; i <= 16; ++i) {
      EXPECT_EQ(ToVector(one.Step()), ToVector(separate.Step())) << "step " << i;
    }
    EXPECT_GE(one.graph_steps(), 10);
    EXPECT_EQ(one.graph_steps(), separate.graph_steps());
  }
}

// The same inputs and generator state give the same bits, gradients included: no atomics.
TEST(CudaOwnLineAttentionTest, IsDeterministic) {
  SG_REQUIRE_OWN_LINE_ATTENTION();
  torch::manual_seed(6);
  const Inputs in = MakeInputs(8, 64);
  const torch::Tensor w = torch::randn({3, 384, 8 * 64}, in.q.options());
  auto run = [&] {
    torch::Tensor qkv = in.qkv.detach().clone().requires_grad_(true);
    std::vector<torch::Tensor> p = qkv.unbind(3);
    torch::manual_seed(8);
    const torch::Tensor out = OwnLineAttention(p[0], p[1], p[2], in.starts_dev, 0.1, 0.125);
    (out * w).sum().backward();
    return std::make_pair(out.detach(), qkv.grad());
  };
  const auto a = run(), b = run();
  EXPECT_TRUE(torch::equal(a.first, b.first));
  EXPECT_TRUE(torch::equal(a.second, b.second));
}

}  // namespace
}  // namespace sg
