#include "trainer/model/ragged_table_ops.h"

#include <vector>

#include "trainer/model/cuda_chunk_gemm.h"
#include "trainer/model/cuda_padded_rows.h"
#include "trainer/model/cuda_seed_weight_grad.h"
#include "trainer/model/cuda_side_stream_linear.h"

namespace sg {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// x [N, in] times w (per chunk its seed's [in, out]; transpose_w: w [S, out, in] holds the
// weights and the product takes w^T): [N, out]. Our batched GEMM over chunks where it serves
// (cuda_chunk_gemm.h), else LibTorch's bmm over the chunks' gathered weights (what the GEMM
// computes, in the memory of a weight per chunk: the CPU's form, for tests).
torch::Tensor ChunkProduct(const torch::Tensor& x, const torch::Tensor& w, const RaggedTables& t,
                           bool transpose_w) {
  torch::Tensor y;
  if (ChunkGemm(x, w, t.chunk_seed, t.chunk, transpose_w, &y)) return y;
  const int64_t chunks = t.chunk_seed.size(0);
  torch::Tensor per_chunk = w.index_select(0, t.chunk_seed);
  if (transpose_w) per_chunk = per_chunk.transpose(1, 2);
  return torch::bmm(x.reshape({chunks, t.chunk, x.size(1)}), per_chunk).view({x.size(0), -1});
}

void Save(AutogradContext* ctx, const RaggedTables& t) {
  ctx->saved_data["chunk_seed"] = t.chunk_seed;
  ctx->saved_data["row_seed"] = t.row_seed;
  ctx->saved_data["padded_slot"] = t.padded_slot;
  ctx->saved_data["slot_row"] = t.slot_row;
  ctx->saved_data["seed_own_offsets"] = t.seed_own_offsets;
  ctx->saved_data["chunk"] = t.chunk;
  ctx->saved_data["seeds"] = t.seeds;
  ctx->saved_data["seed_slots"] = t.seed_slots;
  ctx->saved_data["padded_rows"] = t.padded_rows;
}

RaggedTables Load(AutogradContext* ctx) {
  RaggedTables t;
  t.chunk_seed = ctx->saved_data["chunk_seed"].toTensor();
  t.row_seed = ctx->saved_data["row_seed"].toTensor();
  t.padded_slot = ctx->saved_data["padded_slot"].toTensor();
  t.slot_row = ctx->saved_data["slot_row"].toTensor();
  t.seed_own_offsets = ctx->saved_data["seed_own_offsets"].toTensor();
  t.chunk = ctx->saved_data["chunk"].toInt();
  t.seeds = ctx->saved_data["seeds"].toInt();
  t.seed_slots = ctx->saved_data["seed_slots"].toInt();
  t.padded_rows = ctx->saved_data["padded_rows"].toInt();
  return t;
}

// x @ wt per seed (+ bias). Two functions rather than one with an optional bias: an autograd
// function's tensor inputs must all be defined.
template <bool kBias>
class ChunkLinearFunction : public torch::autograd::Function<ChunkLinearFunction<kBias>> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& wt, const torch::Tensor& bias,
                               const RaggedTables& t, bool side_stream, bool transposed) {
    ctx->save_for_backward({x, wt});
    Save(ctx, t);
    ctx->saved_data["side"] = side_stream;
    ctx->saved_data["transposed"] = transposed;
    torch::Tensor y = ChunkProduct(x, wt, t, /*transpose_w=*/false);
    // Each chunk's seed's bias broadcast over the chunk's rows: one pass over y, where bias
    // rows gathered per position first wrote and read an [N, out] tensor more.
    if (kBias) {
      const int64_t chunks = t.chunk_seed.size(0);
      y.view({chunks, t.chunk, y.size(1)}).add_(bias.index_select(0, t.chunk_seed).unsqueeze(1));
    }
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list saved = ctx->get_saved_variables();
    const RaggedTables t = Load(ctx);
    const torch::Tensor dy = grads[0].contiguous();
    const torch::Tensor& x = saved[0];
    const torch::Tensor& wt = saved[1];
    torch::Tensor dw = torch::empty({wt.size(0), wt.size(1), wt.size(2)}, dy.options());
    torch::Tensor db = kBias ? torch::empty({wt.size(0), wt.size(2)}, dy.options())
                             : torch::Tensor();
    const bool transposed = ctx->saved_data["transposed"].toBool();
    auto weight_grads = [&] {
      // Our kernels over each seed's own rows where they serve (TF32 on CUDA), else one bmm
      // over the seeds' padded views; either way a fixed order.
      if (SeedRowsLinearGrads(x, dy, t.seed_own_offsets, dw, kBias ? &db : nullptr)) return;
      const torch::Tensor dy_seeds = SeedPaddedView(dy, t);
      // transposed: x's view copied transposed (on the stream this runs on, which the copy's
      // block then belongs to), so bmm hands cuBLAS "nn" rather than "nt".
      torch::Tensor x_seeds_t = SeedPaddedView(x, t).transpose(1, 2);
      if (transposed) x_seeds_t = x_seeds_t.contiguous();
      torch::bmm_out(dw, x_seeds_t, dy_seeds);
      if (kBias) SeedBiasGradient(dy_seeds, db);  // our column sums on CUDA
    };
    // Allocated above on the current stream, filled on the side stream beside dx's GEMM.
    if (ctx->saved_data["side"].toBool()) {
      RunOnSideStream(x.device(), {x, dy, t.padded_slot, t.slot_row, t.seed_own_offsets},
                      weight_grads);
    } else {
      weight_grads();
    }
    // The embedding's one-hot input needs none: skip its GEMM.
    torch::Tensor dx = ctx->needs_input_grad(0) ? ChunkProduct(dy, wt, t, /*transpose_w=*/true)
                                                : torch::Tensor();
    return {dx, dw, db, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

class SeedAffineFunction : public torch::autograd::Function<SeedAffineFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& n,
                               const torch::Tensor& g, const torch::Tensor& b,
                               const RaggedTables& t) {
    ctx->save_for_backward({n, g});
    Save(ctx, t);
    return torch::addcmul(b.index_select(0, t.row_seed), n, g.index_select(0, t.row_seed));
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list saved = ctx->get_saved_variables();
    const RaggedTables t = Load(ctx);
    const torch::Tensor& dy = grads[0];
    torch::Tensor dn = dy * saved[1].index_select(0, t.row_seed);
    torch::Tensor dg = SeedPaddedView(dy * saved[0], t).sum(1);
    torch::Tensor db = SeedPaddedView(dy, t).sum(1);
    return {dn, dg, db, torch::Tensor()};
  }
};

class SeedRowSumsFunction : public torch::autograd::Function<SeedRowSumsFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& v,
                               const RaggedTables& t) {
    Save(ctx, t);
    return SeedPaddedView(v, t).sum(1);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const RaggedTables t = Load(ctx);
    return {grads[0].index_select(0, t.row_seed), torch::Tensor()};
  }
};

}  // namespace

RaggedTables RaggedTables::Of(const RaggedBatch& batch) {
  RaggedTables t;
  t.chunk_seed = batch.chunk_seed;
  t.row_seed = batch.row_seed;
  t.padded_slot = batch.padded_slot;
  t.slot_row = batch.slot_row;
  t.seed_own_offsets = batch.seed_own_offsets;
  t.chunk = batch.chunk;
  t.seeds = batch.counts.size(0);
  t.seed_slots = batch.seed_slots;
  t.padded_rows = batch.padded_rows;
  return t;
}

torch::Tensor SeedPaddedView(const torch::Tensor& x, const RaggedTables& t) {
  std::vector<int64_t> padded = x.sizes().vec();
  padded[0] = t.seed_slots;
  padded.insert(padded.begin(), t.seeds);
  torch::Tensor rows;
  if (t.slot_row.defined() && GatherPaddedRows(x, t.slot_row, &rows)) return rows.view(padded);
  // Zeros, then each row copied to its slot: two writes of the view and one pass over x. The
  // rows past the seeds' segments all go to the row after the view, which is dropped.
  std::vector<int64_t> all = x.sizes().vec();
  all[0] = t.padded_rows;
  rows = torch::zeros(all, x.options()).index_copy_(0, t.padded_slot, x);
  return rows.narrow(0, 0, t.seeds * t.seed_slots).view(padded);
}

torch::Tensor ChunkLinear(const torch::Tensor& x, const torch::Tensor& wt,
                          const torch::Tensor& bias, const RaggedTables& t, bool side_stream,
                          bool transposed_weight_grads) {
  TORCH_CHECK(x.dim() == 2 && x.size(0) == t.chunk_seed.size(0) * t.chunk,
              "ChunkLinear: x must be [chunks x chunk, in]");
  side_stream = side_stream && x.is_cuda() && SideStreamLinearAvailable();
  if (bias.defined()) {
    return ChunkLinearFunction<true>::apply(x, wt, bias, t, side_stream,
                                            transposed_weight_grads);
  }
  // An unused defined tensor in the bias's place: the function's inputs must be defined.
  return ChunkLinearFunction<false>::apply(x, wt, torch::zeros({}, x.options()), t, side_stream,
                                           transposed_weight_grads);
}

torch::Tensor SeedAffine(const torch::Tensor& n, const torch::Tensor& g, const torch::Tensor& b,
                         const RaggedTables& t) {
  return SeedAffineFunction::apply(n, g, b, t);
}

torch::Tensor SeedRowSums(const torch::Tensor& v, const RaggedTables& t) {
  return SeedRowSumsFunction::apply(v, t);
}

}  // namespace sg
