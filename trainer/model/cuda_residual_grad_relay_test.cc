// The residual gradient relay (residual_grad_relay.h): a linear and a residual reading one x,
// their gradients with the skip gradient relayed into the linear's product, or into the
// backward of the residual that wrote x, against autograd's add, on random inputs; and the
// graph step with each (PackTrainerOptions::relay_residual_grads, relay_into_linears) against
// the step without, and its bit-exact resume. Built only against a CUDA LibTorch;
// each test skips (and says so) without a CUDA device.
#include "trainer/model/residual_grad_relay.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <utility>
#include <vector>

#include "trainer/model/cuda_fused_layers.h"
#include "trainer/model/cuda_side_stream_linear.h"
#include "trainer/model/pack_trainer.h"
#include "trainer/model/resume_test_util.h"
#include "trainer/trainer_test_util.h"

namespace sg {
namespace {

#define SG_REQUIRE_CUDA() \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device"

struct BlockGrads {
  torch::Tensor y, dx, dw, db, dg, dbeta;
};

// y = LN(x + drop(x @ wt (+ bias))) * g + beta by our functions, then backward of a random
// weighting of y; x's two gradients relayed (relay) or added by autograd. lt: the linear's
// products by cuBLASLt (the skip gradient added in the epilogue) or by LibTorch's bmm.
BlockGrads RunBlock(bool relay, bool lt, bool with_bias, double p) {
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCUDA, 0);
  const int64_t S = 3, N = 200, d = 128;
  torch::manual_seed(5);
  torch::Tensor x = torch::randn({S, N, d}, opts).requires_grad_();
  torch::Tensor flat = torch::randn({S, d * d + 64}, opts) / 16;
  torch::Tensor wt = flat.narrow(1, 16, d * d).view({S, d, d}).requires_grad_();
  torch::Tensor bias;
  if (with_bias) bias = torch::randn({S, d}, opts).requires_grad_();
  torch::Tensor g = (1 + torch::randn({S, d}, opts) / 4).requires_grad_();
  torch::Tensor beta = torch::randn({S, d}, opts).requires_grad_();
  torch::Tensor weight = torch::randn({S, N, d}, opts);
  const ResidualGradRelayPtr r =
      relay ? c10::make_intrusive<ResidualGradRelay>() : ResidualGradRelayPtr();
  torch::manual_seed(9);  // the dropout's key
  torch::Tensor h = SideStreamLinear(x, wt, bias, lt, false, r);
  torch::Tensor y = FusedResidualLayerNorm(x, h, g, beta, /*side_stream_affine=*/true, p, r);
  (y * weight).sum().backward();
  JoinSideStream(x.device());
  BlockGrads out;
  out.y = y.detach();
  out.dx = x.grad();
  out.dw = wt.grad();
  if (with_bias) out.db = bias.grad();
  out.dg = g.grad();
  out.dbeta = beta.grad();
  return out;
}

void ExpectRelayMatchesAutograd(bool lt, bool with_bias, double p) {
  const int64_t before = ResidualGradsRelayed().load();
  const BlockGrads ours = RunBlock(true, lt, with_bias, p);
  EXPECT_EQ(ResidualGradsRelayed().load(), before + 1) << "the relay was not taken";
  const BlockGrads want = RunBlock(false, lt, with_bias, p);
  EXPECT_EQ(ResidualGradsRelayed().load(), before + 1);
  EXPECT_TRUE(torch::equal(ours.y, want.y)) << "forward";
  const double scale = want.dx.abs().max().item<double>();
  const double diff = (ours.dx - want.dx).abs().max().item<double>();
  EXPECT_LE(diff, 1e-6 * scale) << "input gradient: max |diff| " << diff << " of " << scale;
  EXPECT_TRUE(torch::equal(ours.dw, want.dw)) << "weight gradient";
  if (with_bias) {  // braces: EXPECT_* expands to an if/else of its own
    EXPECT_TRUE(torch::equal(ours.db, want.db)) << "bias gradient";
  }
  EXPECT_TRUE(torch::equal(ours.dg, want.dg)) << "LayerNorm scale gradient";
  EXPECT_TRUE(torch::equal(ours.dbeta, want.dbeta)) << "LayerNorm shift gradient";
  std::printf("lt %d bias %d dropout %.1f: input gradient bit-equal %d (max |diff| %.3g)\n", lt,
              with_bias, p, static_cast<int>(torch::equal(ours.dx, want.dx)), diff);
}

// cuBLASLt's product with the skip gradient as its C: the same algorithm and one rounding of
// the same sum, so the same bits as autograd's add (the test says so if not, within 1e-6).
TEST(CudaResidualGradRelayTest, EpilogueSumMatchesAutogradsAdd) {
  SG_REQUIRE_CUDA();
  ExpectRelayMatchesAutograd(/*lt=*/true, /*with_bias=*/false, 0.0);
  ExpectRelayMatchesAutograd(/*lt=*/true, /*with_bias=*/true, 0.1);
}

// Without dropout the residual hands x and r one tensor: the relayed sum must not be written
// into it, which the side stream reads for the linear's weight gradient.
TEST(CudaResidualGradRelayTest, SharedGradientStaysIntactWithoutDropout) {
  SG_REQUIRE_CUDA();
  ExpectRelayMatchesAutograd(/*lt=*/true, /*with_bias=*/true, 0.0);
  ExpectRelayMatchesAutograd(/*lt=*/false, /*with_bias=*/false, 0.0);
}

TEST(CudaResidualGradRelayTest, BmmFallbackAddsTheSkipGradient) {
  SG_REQUIRE_CUDA();
  ExpectRelayMatchesAutograd(/*lt=*/false, /*with_bias=*/true, 0.1);
}

// The relay serves one residual; a linear whose residual never ran backward fails loudly
// rather than losing the skip gradient.
TEST(CudaResidualGradRelayTest, MissingSkipGradientFailsLoudly) {
  SG_REQUIRE_CUDA();
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCUDA, 0);
  torch::Tensor x = torch::randn({2, 16, 64}, opts).requires_grad_();
  torch::Tensor wt = torch::randn({2, 64, 64}, opts).requires_grad_();
  const ResidualGradRelayPtr r = c10::make_intrusive<ResidualGradRelay>();
  torch::Tensor h = SideStreamLinear(x, wt, {}, true, false, r);
  r->armed = true;  // as a residual's forward would, whose backward then never hands it over
  EXPECT_ANY_THROW(h.sum().backward());
  JoinSideStream(x.device());
}

struct ChainGrads {
  torch::Tensor y, dx, dr, dw, dg1, db1, dg2, db2;
};

// u = LN1(x + drop(r)), y = LN2(u + drop(u @ wt)): u read by the linear and by LN2, its skip
// gradient relayed from LN2's backward to LN1's (relay) or added by autograd.
ChainGrads RunChain(bool relay, double p) {
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCUDA, 0);
  const int64_t S = 2, N = 300, d = 512;
  torch::manual_seed(21);
  torch::Tensor x = torch::randn({S, N, d}, opts).requires_grad_();
  torch::Tensor r = torch::randn({S, N, d}, opts).requires_grad_();
  torch::Tensor wt = (torch::randn({S, d, d}, opts) / 24).requires_grad_();
  auto affine = [&](double shift) {
    return std::make_pair((1 + torch::randn({S, d}, opts) / 4).requires_grad_(),
                          (shift + torch::randn({S, d}, opts)).requires_grad_());
  };
  auto [g1, b1] = affine(0.0);
  auto [g2, b2] = affine(0.5);
  torch::Tensor weight = torch::randn({S, N, d}, opts);
  const ResidualGradRelayPtr u_relay =
      relay ? c10::make_intrusive<ResidualGradRelay>() : ResidualGradRelayPtr();
  torch::manual_seed(3);  // the dropouts' keys
  torch::Tensor u = FusedResidualLayerNorm(x, r, g1, b1, true, p, {}, u_relay);
  torch::Tensor h = SideStreamLinear(u, wt, {}, true, false);
  torch::Tensor y = FusedResidualLayerNorm(u, h, g2, b2, true, p, u_relay);
  (y * weight).sum().backward();
  JoinSideStream(x.device());
  return {y.detach(), x.grad(),  r.grad(),  wt.grad(),
          g1.grad(),  b1.grad(), g2.grad(), b2.grad()};
}

// The residual that wrote u adds its skip gradient as its kernels read u's gradient: one
// rounding of the same sum as autograd's add, so the same bits everywhere.
TEST(CudaResidualGradRelayTest, LayerNormKernelsAddTheSkipGradientAsAutogradDoes) {
  SG_REQUIRE_CUDA();
  for (double p : {0.0, 0.1}) {
    const int64_t before = ResidualGradsRelayed().load();
    const ChainGrads ours = RunChain(true, p);
    EXPECT_EQ(ResidualGradsRelayed().load(), before + 1) << "the relay was not taken";
    const ChainGrads want = RunChain(false, p);
    EXPECT_TRUE(torch::equal(ours.y, want.y)) << "forward, dropout " << p;
    EXPECT_TRUE(torch::equal(ours.dx, want.dx)) << "x, dropout " << p;
    EXPECT_TRUE(torch::equal(ours.dr, want.dr)) << "r, dropout " << p;
    EXPECT_TRUE(torch::equal(ours.dw, want.dw)) << "weight, dropout " << p;
    EXPECT_TRUE(torch::equal(ours.dg1, want.dg1)) << "LN1 scale, dropout " << p;
    EXPECT_TRUE(torch::equal(ours.db1, want.db1)) << "LN1 shift, dropout " << p;
    EXPECT_TRUE(torch::equal(ours.dg2, want.dg2)) << "LN2 scale, dropout " << p;
    EXPECT_TRUE(torch::equal(ours.db2, want.db2)) << "LN2 shift, dropout " << p;
  }
}

// A residual whose reader never handed its skip gradient over fails loudly.
TEST(CudaResidualGradRelayTest, LayerNormWithoutItsSkipGradientFailsLoudly) {
  SG_REQUIRE_CUDA();
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCUDA, 0);
  torch::Tensor x = torch::randn({2, 16, 64}, opts).requires_grad_();
  torch::Tensor g = torch::ones({2, 64}, opts), b = torch::zeros({2, 64}, opts);
  const ResidualGradRelayPtr out = c10::make_intrusive<ResidualGradRelay>();
  torch::Tensor u = FusedResidualLayerNorm(x, x * 2, g, b, false, 0.0, {}, out);
  out->armed = true;  // as the reading residual's forward would; its backward never runs
  EXPECT_ANY_THROW(u.sum().backward());
}

// Packed rows attending per line (the path the relay serves), graph steps.
PackTrainerOptions RelayOptions(bool relay, bool tf32, double dropout) {
  PackTrainerOptions o = testing_util::CudaPackedOptions({0, 1, 2}, 64, 2, dropout);
  o.config.lr = 1e-4;
  o.tf32 = tf32;
  o.relay_residual_grads = relay;
  return o;
}

// The graph step with the relay (into the residuals' kernels, the default, or into the
// linears' products) follows the one with autograd's adds step by step.
TEST(CudaResidualGradRelayTest, GraphTrainerFollowsAutogradsAdds) {
  SG_REQUIRE_CUDA();
  const auto train = testing_util::SyntheticLines(80, 12, 12);
  for (int mode = 0; mode < 4; ++mode) {
    const bool tf32 = mode % 2 == 1, into_linears = mode >= 2;
    const int64_t before = ResidualGradsRelayed().load();
    PackTrainerOptions relayed = RelayOptions(true, tf32, 0.1);
    relayed.relay_into_linears = into_linears;
    PackTrainer ours(relayed, &train);
    PackTrainer plain(RelayOptions(false, tf32, 0.1), &train);
    int equal = 0, total = 0;
    for (int i = 0; i < 20; ++i) {
      const std::vector<double> a = testing_util::ToVector(ours.Step());
      const std::vector<double> b = testing_util::ToVector(plain.Step());
      for (size_t s = 0; s < a.size(); ++s) {
        EXPECT_NEAR(a[s], b[s], 1e-5 * std::abs(b[s])) << "seed " << s << " step " << i + 1;
        equal += a[s] == b[s];
        ++total;
      }
    }
    EXPECT_EQ(ours.graph_steps(), 20);
    // Each layer's residuals but the embedding's (into the residuals' kernels: 3 of 4 in the
    // 2-layer model), in the warm-up and the capture of each graph.
    EXPECT_GE(ResidualGradsRelayed().load() - before, 2 * (into_linears ? 4 : 3));
    std::printf("tf32 %d, into linears %d: losses bit-equal in %d of %d\n", tf32, into_linears,
                equal, total);
  }
}

TEST(CudaResidualGradRelayTest, RelayResumeIsBitExact) {
  SG_REQUIRE_CUDA();
  const int64_t before = ResidualGradsRelayed().load();
  testing_util::ExpectResumeIsBitExact(RelayOptions(true, true, 0.1),
                                       testing_util::TailedLines());
  EXPECT_GT(ResidualGradsRelayed().load(), before);
}

}  // namespace
}  // namespace sg
