// The table-driven ragged operations (ragged_table_ops.h: what a captured graph runs) against
// the host-offset reference (ragged_layers.h): values and every gradient, on random inputs;
// on the CPU (LibTorch's bmm over gathered weights) and, where there is a GPU, on CUDA (our
// batched GEMM over chunks, cuda_chunk_gemm.h) with the same bits twice.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "trainer/model/cuda_chunk_gemm.h"
#include "trainer/model/cuda_padded_rows.h"
#include "trainer/model/cuda_seed_weight_grad.h"
#include "trainer/model/cuda_side_stream_linear.h"
#include "trainer/model/dyck_test_lines.h"
#include "trainer/model/ragged_batch.h"
#include "trainer/model/ragged_layers.h"
#include "trainer/model/ragged_table_ops.h"

namespace sg {
namespace {

using namespace dyck_test;  // NOLINT: the shared lines

// The seeds' segments of the shared Dyck lines (512, 576 and 192 positions in chunks of 64).
RaggedBatch Batch(const torch::Device& device, bool own_offsets = false) {
  const auto data = DyckBatches();
  RaggedLayout layout;
  layout.chunks = 21;  // one chunk past the seeds' own, as a graph's rounding adds
  layout.own_offsets = own_offsets;  // the weight gradients by our kernel where it serves
  return MakeRaggedBatch(Pointers(data), kSos, kEos, device, layout);
}

// [S, a, b] as a view of a wider buffer, seeds `row` floats apart (as the pack's weights are
// views of its flat [S, P] buffer), a leaf with gradients.
torch::Tensor SeedWeights(int64_t S, int64_t a, int64_t b, const torch::Device& device) {
  const int64_t row = a * b + 48;
  torch::Tensor flat = torch::randn({S, row}, torch::TensorOptions().device(device)) * 0.1;
  torch::Tensor w = flat.narrow(1, 16, a * b).view({S, a, b}).detach();
  return w.requires_grad_(true);
}

struct Grads {
  torch::Tensor y;
  std::vector<torch::Tensor> grads;
};

// The output and the gradients of sum(y * probe) for `inputs`.
Grads Probed(const std::function<torch::Tensor()>& f, const std::vector<torch::Tensor>& inputs,
          const torch::Tensor& probe) {
  for (const torch::Tensor& t : inputs) t.mutable_grad() = torch::Tensor();
  Grads out;
  out.y = f();
  (out.y * probe).sum().backward();
  for (const torch::Tensor& t : inputs) out.grads.push_back(t.grad().clone());
  out.y = out.y.detach();
  return out;
}

void ExpectClose(const Grads& a, const Grads& b, double tol) {
  auto close = [&](const torch::Tensor& x, const torch::Tensor& y, const char* what) {
    const double scale = y.abs().max().item<double>() + 1e-12;
    const double diff = (x - y).abs().max().item<double>();
    EXPECT_LT(diff, tol * scale) << what << ": max |difference| " << diff << " of " << scale;
  };
  close(a.y, b.y, "output");
  ASSERT_EQ(a.grads.size(), b.grads.size());
  for (size_t i = 0; i < a.grads.size(); ++i) close(a.grads[i], b.grads[i], "gradient");
}

void ExpectTableOpsEqualTheReference(const torch::Device& device, double tol) {
  torch::manual_seed(5);
  const RaggedBatch batch = Batch(device);
  const RaggedTables t = RaggedTables::Of(batch);
  const std::vector<int64_t>& seg = batch.seed_begin;
  const int64_t S = 3, N = batch.num_positions(), in = 48, out = 80;
  // The chunk past the seeds' own is padding (as a graph's rounding adds): no gradient reaches
  // it, as none reaches padding in the model (ragged_table_ops.h).
  const int64_t own = 20 * 64;
  auto fopts = torch::TensorOptions().device(device);
  auto padding_quiet = [&](torch::Tensor t) {
    t.narrow(0, own, N - own).zero_();
    return t;
  };
  torch::Tensor x = torch::randn({N, in}, fopts).requires_grad_(true);
  torch::Tensor wt = SeedWeights(S, in, out, device);
  torch::Tensor bias = (torch::randn({S, out}, fopts) * 0.1).requires_grad_(true);
  torch::Tensor probe = padding_quiet(torch::randn({N, out}, fopts));
  {
    SCOPED_TRACE("linear with a bias");
    const std::vector<torch::Tensor> inputs = {x, wt, bias};
    ExpectClose(Probed([&] { return ChunkLinear(x, wt, bias, t); }, inputs, probe),
                Probed([&] { return SegmentLinear(x, wt, bias, seg); }, inputs, probe), tol);
  }
  {
    SCOPED_TRACE("linear with a bias, the weight gradient from x's view transposed first");
    const std::vector<torch::Tensor> inputs = {x, wt, bias};
    ExpectClose(Probed([&] {
                  return ChunkLinear(x, wt, bias, t, /*side_stream=*/false,
                                     /*transposed_weight_grads=*/true);
                }, inputs, probe),
                Probed([&] { return SegmentLinear(x, wt, bias, seg); }, inputs, probe), tol);
  }
  {
    SCOPED_TRACE("linear without a bias, the weights transposed (a tied output layer)");
    torch::Tensor e = SeedWeights(S, out, in, device);  // [S, out, in] as the embedding
    const std::vector<torch::Tensor> inputs = {x, e};
    ExpectClose(
        Probed([&] { return ChunkLinear(x, e.transpose(1, 2), {}, t); }, inputs, probe),
        Probed([&] { return SegmentLinear(x, e.transpose(1, 2), {}, seg); }, inputs, probe), tol);
  }
  {
    SCOPED_TRACE("residual LayerNorm with each seed's affine");
    torch::Tensor r = torch::randn({N, in}, fopts).requires_grad_(true);
    torch::Tensor g = (1 + torch::randn({S, in}, fopts) * 0.1).requires_grad_(true);
    torch::Tensor b = (torch::randn({S, in}, fopts) * 0.1).requires_grad_(true);
    torch::Tensor p = padding_quiet(torch::randn({N, in}, fopts));
    const std::vector<torch::Tensor> inputs = {x, r, g, b};
    auto table = [&] {
      return SeedAffine(at::layer_norm(x + r, {in}, {}, {}, 1e-5), g, b, t);
    };
    ExpectClose(Probed(table, inputs, p),
                Probed([&] { return SegmentResidualLayerNorm(x, r, g, b, seg); }, inputs, p), tol);
  }
  {
    SCOPED_TRACE("sums over each seed's rows");
    torch::Tensor v = padding_quiet(torch::randn({N}, fopts)).requires_grad_(true);
    torch::Tensor p = torch::randn({S}, fopts);
    ExpectClose(Probed([&] { return SeedRowSums(v, t); }, {v}, p),
                Probed([&] { return SegmentSums(v, seg); }, {v}, p), tol);
  }
}

TEST(RaggedTableOpsTest, EqualTheHostOffsetReference) {
  ExpectTableOpsEqualTheReference(torch::kCPU, 1e-5);
}

TEST(RaggedTableOpsTest, SeedPaddedViewHoldsEachSeedsRowsThenZeros) {
  const RaggedBatch batch = Batch(torch::kCPU);
  const RaggedTables t = RaggedTables::Of(batch);
  ASSERT_EQ(t.seed_slots, 576);  // the seed of most positions: 548 in 9 chunks of 64
  torch::Tensor x = torch::arange(batch.num_positions(), torch::kFloat32).add_(1);
  torch::Tensor view = SeedPaddedView(x, t);
  ASSERT_EQ(view.sizes(), (std::vector<int64_t>{3, 576}));
  EXPECT_EQ(view[0][511].item<float>(), 512.0f);
  EXPECT_EQ(view[0][512].item<float>(), 0.0f);
  EXPECT_EQ(view[1][0].item<float>(), 513.0f);
  EXPECT_EQ(view[2][0].item<float>(), 1089.0f);
  // The last seed's 3 chunks; the chunk past the seeds' own is not in the view.
  EXPECT_EQ(view[2][191].item<float>(), 1280.0f);
  EXPECT_EQ(view[2][192].item<float>(), 0.0f);
  EXPECT_EQ(view.sum().item<float>(),
            torch::arange(1, 1281, torch::kFloat32).sum().item<float>());
}

// Our kernel writes the padded view (cuda_padded_rows.h) with the bits of LibTorch's zeros and
// index_copy_: every width the layers use, one not a multiple of 4 (its scalar path), and 1-D.
TEST(RaggedTableOpsTest, PaddedRowsKernelEqualsLibTorchsCopyOnCuda) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const torch::Device cuda(torch::kCUDA, 0);
  const RaggedBatch batch = Batch(cuda);
  RaggedTables t = RaggedTables::Of(batch);
  RaggedTables libtorch = t;
  libtorch.slot_row = torch::Tensor();  // SeedPaddedView then takes LibTorch's ops
  torch::manual_seed(5);
  for (const std::vector<int64_t>& shape : std::vector<std::vector<int64_t>>{
           {batch.num_positions(), 512}, {batch.num_positions(), 2048},
           {batch.num_positions(), 37}, {batch.num_positions()}, {batch.num_positions(), 8, 64}}) {
    const torch::Tensor x = torch::randn(shape, torch::TensorOptions().device(cuda));
    torch::Tensor ours;
    ASSERT_TRUE(GatherPaddedRows(x, t.slot_row, &ours));
    const torch::Tensor view = SeedPaddedView(x, t);
    const torch::Tensor reference = SeedPaddedView(x, libtorch);
    ASSERT_EQ(view.sizes(), reference.sizes());
    EXPECT_TRUE(torch::equal(view, reference)) << "width " << x.numel() / x.size(0);
    EXPECT_TRUE(torch::equal(ours.view(view.sizes()), reference));
  }
  // Not served: what the kernel does not take falls back, nothing written.
  torch::Tensor none;
  EXPECT_FALSE(GatherPaddedRows(torch::randn({8, 4}, torch::TensorOptions().device(cuda))
                                    .t(), t.slot_row, &none));
  EXPECT_FALSE(GatherPaddedRows(torch::randn({8, 4}), t.slot_row.cpu(), &none));
  EXPECT_FALSE(none.defined());
}

TEST(RaggedTableOpsTest, EqualTheHostOffsetReferenceOnCuda) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  at::globalContext().setAllowTF32CuBLAS(false);
  EXPECT_TRUE(ChunkGemmAvailable());
  ExpectTableOpsEqualTheReference(torch::Device(torch::kCUDA, 0), 1e-5);
}

// Our batched GEMM over chunks serves the linears (not the gathered weights), and a step's
// gradients are the same bits on every run (no atomics), TF32 on and off.
TEST(RaggedTableOpsTest, ChunkGemmServesAndRepeatsItsBitsOnCuda) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const torch::Device cuda(torch::kCUDA, 0);
  const RaggedBatch batch = Batch(cuda);
  const RaggedTables t = RaggedTables::Of(batch);
  torch::manual_seed(9);
  torch::Tensor x = torch::randn({batch.num_positions(), 64}, torch::TensorOptions().device(cuda));
  torch::Tensor w = SeedWeights(3, 64, 96, cuda).detach();
  torch::Tensor y;
  ASSERT_TRUE(ChunkGemm(x, w, t.chunk_seed, t.chunk, /*transpose_w=*/false, &y));
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{batch.num_positions(), 96}));
  torch::Tensor dx;
  ASSERT_TRUE(ChunkGemm(y, w, t.chunk_seed, t.chunk, /*transpose_w=*/true, &dx));
  EXPECT_EQ(dx.sizes(), x.sizes());
  for (bool tf32 : {false, true}) {
    at::globalContext().setAllowTF32CuBLAS(tf32);
    torch::Tensor wt = SeedWeights(3, 64, 96, cuda);
    torch::Tensor bias = torch::zeros({3, 96}, x.options()).requires_grad_(true);
    torch::Tensor xr = x.clone().requires_grad_(true);
    torch::Tensor probe = torch::randn({batch.num_positions(), 96}, x.options());
    const std::vector<torch::Tensor> inputs = {xr, wt, bias};
    const Grads a = Probed([&] { return ChunkLinear(xr, wt, bias, t); }, inputs, probe);
    const Grads b = Probed([&] { return ChunkLinear(xr, wt, bias, t); }, inputs, probe);
    EXPECT_TRUE(torch::equal(a.y, b.y)) << "tf32 " << tf32;
    for (size_t i = 0; i < a.grads.size(); ++i) {
      EXPECT_TRUE(torch::equal(a.grads[i], b.grads[i])) << "tf32 " << tf32 << " input " << i;
    }
  }
  at::globalContext().setAllowTF32CuBLAS(false);
}

// Our weight and bias gradients over each seed's own rows (cuda_seed_weight_grad.h) against
// float64 sums on the CPU: segments of odd lengths (partial stages), an empty seed, and rows
// past the last seed's end that must not count. TF32 rounds each factor to 10 bits: each
// product within 2^-10 of itself, so the sum within 2e-3 of the sum of |products|.
TEST(RaggedTableOpsTest, SeedWeightGradKernelEqualsFloat64SumsOnCuda) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const torch::Device cuda(torch::kCUDA, 0);
  torch::manual_seed(12);
  const int64_t N = 1000, p = 256, q = 384;
  const std::vector<int64_t> seg = {0, 200, 200, 517, 900};
  const int64_t S = static_cast<int64_t>(seg.size()) - 1;
  auto fopts = torch::TensorOptions().device(cuda);
  const torch::Tensor x = torch::randn({N, p}, fopts);
  const torch::Tensor dy = torch::randn({N, q}, fopts);
  const torch::Tensor offsets = torch::tensor(seg, torch::kInt64).to(cuda);
  torch::Tensor dw = torch::full({S, p, q}, 7.0, fopts), db = torch::full({S, q}, 7.0, fopts);

  at::globalContext().setAllowTF32CuBLAS(false);
  EXPECT_FALSE(SeedRowsLinearGrads(x, dy, offsets, dw, &db)) << "fp32: the kernel is TF32";
  EXPECT_EQ(dw.max().item<float>(), 7.0f) << "nothing written when not served";
  at::globalContext().setAllowTF32CuBLAS(true);
  torch::Tensor narrow_dw = torch::empty({S, 200, q}, fopts);
  EXPECT_FALSE(SeedRowsLinearGrads(x.narrow(1, 0, 200).contiguous(), dy, offsets, narrow_dw,
                                   nullptr))
      << "p not a multiple of 128";
  ASSERT_TRUE(SeedRowsLinearGrads(x, dy, offsets, dw, &db));
  torch::Tensor again = torch::empty_like(dw), db_again = torch::empty_like(db);
  ASSERT_TRUE(SeedRowsLinearGrads(x, dy, offsets, again, &db_again));
  at::globalContext().setAllowTF32CuBLAS(false);
  EXPECT_TRUE(torch::equal(dw, again)) << "the same bits on every run";
  EXPECT_TRUE(torch::equal(db, db_again));

  const torch::Tensor x64 = x.cpu().to(torch::kFloat64), dy64 = dy.cpu().to(torch::kFloat64);
  const torch::Tensor got = dw.cpu().to(torch::kFloat64), got_b = db.cpu().to(torch::kFloat64);
  for (int64_t s = 0; s < S; ++s) {
    SCOPED_TRACE("seed " + std::to_string(s));
    const torch::Tensor xs = x64.narrow(0, seg[s], seg[s + 1] - seg[s]);
    const torch::Tensor ds = dy64.narrow(0, seg[s], seg[s + 1] - seg[s]);
    const torch::Tensor ref = xs.t().mm(ds), bound = xs.abs().t().mm(ds.abs());
    const torch::Tensor excess = (got[s] - ref).abs() - (2e-3 * bound + 1e-6);
    EXPECT_LE(excess.max().item<double>(), 0.0)
        << "max |difference| " << (got[s] - ref).abs().max().item<double>();
    const torch::Tensor ref_b = ds.sum(0), bound_b = ds.abs().sum(0);
    const torch::Tensor excess_b = (got_b[s] - ref_b).abs() - (1e-5 * bound_b + 1e-6);
    EXPECT_LE(excess_b.max().item<double>(), 0.0);
  }
  EXPECT_EQ(got[1].abs().max().item<double>(), 0.0) << "an empty seed's gradient is zeros";
  EXPECT_EQ(got_b[1].abs().max().item<double>(), 0.0);
}

// The same kernels inside ChunkLinear's backward with TF32 (as a graph step runs them, on the
// side stream): its gradients as the padded views' TF32 products give them, and the output
// gradient on the padding chunk past the seeds' own (nonzero here) counted for no seed.
TEST(RaggedTableOpsTest, SeedWeightGradKernelServesChunkLinearOnCuda) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const torch::Device cuda(torch::kCUDA, 0);
  const RaggedBatch batch = Batch(cuda, /*own_offsets=*/true);
  const RaggedTables t = RaggedTables::Of(batch);
  ASSERT_TRUE(t.seed_own_offsets.defined());
  RaggedTables views = t;
  views.seed_own_offsets = torch::Tensor();
  torch::manual_seed(13);
  auto fopts = torch::TensorOptions().device(cuda);
  const int64_t N = batch.num_positions(), in = 128, out = 256;
  torch::Tensor x = torch::randn({N, in}, fopts).requires_grad_(true);
  torch::Tensor wt = SeedWeights(3, in, out, cuda);
  torch::Tensor bias = (torch::randn({3, out}, fopts) * 0.1).requires_grad_(true);
  torch::Tensor probe = torch::randn({N, out}, fopts);
  const std::vector<torch::Tensor> inputs = {x, wt, bias};
  at::globalContext().setAllowTF32CuBLAS(true);
  const Grads reference = Probed([&] { return ChunkLinear(x, wt, bias, views); }, inputs, probe);
  for (bool side : {false, true}) {
    SCOPED_TRACE(side ? "side stream" : "current stream");
    for (const torch::Tensor& in_t : inputs) in_t.mutable_grad() = torch::Tensor();
    torch::Tensor y = ChunkLinear(x, wt, bias, t, side);
    (y * probe).sum().backward();
    JoinSideStream(cuda);
    Grads ours;
    ours.y = y.detach();
    for (const torch::Tensor& in_t : inputs) ours.grads.push_back(in_t.grad().clone());
    ExpectClose(ours, reference, 5e-3);
  }
  at::globalContext().setAllowTF32CuBLAS(false);
}

// The weight and bias gradients on the side stream (as graph steps compute them): the same
// bits as on the current stream, once joined.
TEST(RaggedTableOpsTest, SideStreamWeightGradientsAreTheSameBitsOnCuda) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const torch::Device cuda(torch::kCUDA, 0);
  const RaggedBatch batch = Batch(cuda);
  const RaggedTables t = RaggedTables::Of(batch);
  torch::manual_seed(10);
  auto fopts = torch::TensorOptions().device(cuda);
  torch::Tensor x = torch::randn({batch.num_positions(), 64}, fopts).requires_grad_(true);
  torch::Tensor wt = SeedWeights(3, 64, 96, cuda);
  torch::Tensor bias = (torch::randn({3, 96}, fopts) * 0.1).requires_grad_(true);
  torch::Tensor probe = torch::randn({batch.num_positions(), 96}, fopts);
  const std::vector<torch::Tensor> inputs = {x, wt, bias};
  const Grads main = Probed([&] { return ChunkLinear(x, wt, bias, t); }, inputs, probe);
  for (const torch::Tensor& in : inputs) in.mutable_grad() = torch::Tensor();
  torch::Tensor y = ChunkLinear(x, wt, bias, t, /*side_stream=*/true);
  (y * probe).sum().backward();
  JoinSideStream(cuda);
  EXPECT_TRUE(torch::equal(y.detach(), main.y));
  for (size_t i = 0; i < inputs.size(); ++i) {
    EXPECT_TRUE(torch::equal(inputs[i].grad(), main.grads[i])) << "input " << i;
  }
}

}  // namespace
}  // namespace sg
