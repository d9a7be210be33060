// Compiled only against a CUDA LibTorch (trainer/CMakeLists.txt); see cuda_fused_layers.h.
#include "trainer/model/cuda_fused_layers.h"

#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <utility>
#include <vector>

#include "trainer/model/cuda_dropout_key.h"
#include "trainer/model/cuda_relu_dropout.h"
#include "trainer/model/cuda_seed_layer_norm.h"
#include "trainer/model/cuda_side_stream_linear.h"

namespace sg {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

void CheckLaunch(cudaError_t err, const char* what) {
  TORCH_CHECK(err == cudaSuccess, what, ": ", cudaGetErrorString(err));
}

// The ragged layout's tables (FusedRaggedResidualLayerNorm); undefined for [S, N, d].
struct RaggedRows {
  torch::Tensor row_seed, seed_row_begin;
};

cuda_kernels::SeedLayerNormShape ShapeOf(const torch::Tensor& x, const torch::Tensor& g,
                                         const RaggedRows& ragged) {
  cuda_kernels::SeedLayerNormShape shape;
  shape.seeds = g.size(0);
  shape.rows = x.size(-2);  // per seed, or all rows when ragged
  shape.width = x.size(-1);
  shape.affine_seed_stride = shape.seeds > 1 ? g.stride(0) : shape.width;  // unread for 1
  shape.eps = 1e-5f;
  if (ragged.row_seed.defined()) {
    shape.row_seed = ragged.row_seed.data_ptr<int64_t>();
    shape.seed_row_begin = ragged.seed_row_begin.data_ptr<int64_t>();
  }
  return shape;
}

cudaStream_t CurrentStream(const torch::Tensor& t) {
  return c10::cuda::getCurrentCUDAStream(t.device().index()).stream();
}

class ResidualLayerNormFunction
    : public torch::autograd::Function<ResidualLayerNormFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x_in,
                               const torch::Tensor& r_in, const torch::Tensor& g,
                               const torch::Tensor& b, bool side_stream_affine, double p,
                               const RaggedRows& ragged, const ResidualGradRelayPtr& relay,
                               const ResidualGradRelayPtr& out_relay) {
    c10::cuda::CUDAGuard device_guard(x_in.device());
    const torch::Tensor x = x_in.contiguous(), r = r_in.contiguous();
    const cuda_kernels::SeedLayerNormShape shape = ShapeOf(x, g, ragged);
    torch::Tensor z = torch::empty_like(x), y = torch::empty_like(x);
    torch::Tensor mean = torch::empty({cuda_kernels::SeedLayerNormTotalRows(shape)}, x.options());
    torch::Tensor rstd = torch::empty_like(mean);
    cuda_kernels::ResidualDropout dropout;
    if (p > 0.0) {
      dropout.p = static_cast<float>(p);
      dropout.key = NextDropoutKey(x.device().index());
      ctx->saved_data["key"] = DropoutKeyToInts(dropout.key);
    }
    CheckLaunch(cuda_kernels::LaunchResidualLayerNormForward(
                    x.data_ptr<float>(), r.data_ptr<float>(), g.data_ptr<float>(),
                    b.data_ptr<float>(), shape, z.data_ptr<float>(), y.data_ptr<float>(),
                    mean.data_ptr<float>(), rstd.data_ptr<float>(), CurrentStream(x),
                    p > 0.0 ? &dropout : nullptr),
                "residual LayerNorm forward kernel");
    ctx->save_for_backward({z, mean, rstd, g});
    ctx->saved_data["side"] = side_stream_affine;
    ctx->saved_data["p"] = p;
    if (relay) {
      TORCH_CHECK(!relay->armed, "a residual gradient relay serves one residual");
      relay->armed = true;
      SaveRelay(ctx, "relay", relay);
    }
    SaveRelay(ctx, "out_relay", out_relay);
    if (ragged.row_seed.defined()) {
      ctx->saved_data["row_seed"] = ragged.row_seed;
      ctx->saved_data["seed_row_begin"] = ragged.seed_row_begin;
    }
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list saved = ctx->get_saved_variables();
    const torch::Tensor& z = saved[0];
    const torch::Tensor& mean = saved[1];
    const torch::Tensor& rstd = saved[2];
    const torch::Tensor& g = saved[3];
    c10::cuda::CUDAGuard device_guard(z.device());
    const torch::Tensor dy = grads[0].contiguous();
    // y's other gradient, from the residual that reads y (its skip path), relayed here to be
    // added as dy is read (residual_grad_relay.h).
    const torch::Tensor dy2 = TakeRelayedGrad(ctx, "out_relay");
    RaggedRows ragged;
    if (ctx->saved_data.count("row_seed") > 0) {
      ragged.row_seed = ctx->saved_data["row_seed"].toTensor();
      ragged.seed_row_begin = ctx->saved_data["seed_row_begin"].toTensor();
    }
    const cuda_kernels::SeedLayerNormShape shape = ShapeOf(z, g, ragged);
    torch::Tensor dz = torch::empty_like(z);
    torch::Tensor dg = torch::empty({shape.seeds, shape.width}, z.options());
    torch::Tensor db = torch::empty_like(dg);
    // The affine gradients (only the optimizer reads them) first: on the side stream when
    // asked, where they overlap the input gradient's kernel and what follows it.
    auto affine = [&] {
      CheckLaunch(cuda_kernels::LaunchResidualLayerNormBackwardAffine(
                      dy.data_ptr<float>(), z.data_ptr<float>(), mean.data_ptr<float>(),
                      rstd.data_ptr<float>(), shape, dg.data_ptr<float>(), db.data_ptr<float>(),
                      CurrentStream(z), dy2.defined() ? dy2.data_ptr<float>() : nullptr),
                  "residual LayerNorm affine backward kernel");
    };
    if (ctx->saved_data["side"].toBool()) {
      std::vector<torch::Tensor> held = {dy, z, mean, rstd};
      if (dy2.defined()) held.push_back(dy2);
      if (ragged.seed_row_begin.defined()) held.push_back(ragged.seed_row_begin);
      RunOnSideStream(z.device(), std::move(held), affine);
    } else {
      affine();
    }
    const double p = ctx->saved_data["p"].toDouble();
    cuda_kernels::ResidualDropout dropout;
    torch::Tensor dr;
    if (p > 0.0) {
      dropout.p = static_cast<float>(p);
      dropout.key = DropoutKeyFromInts(ctx->saved_data["key"].toIntVector());
      dr = torch::empty_like(z);
    }
    CheckLaunch(cuda_kernels::LaunchResidualLayerNormBackwardRows(
                    dy.data_ptr<float>(), z.data_ptr<float>(), mean.data_ptr<float>(),
                    rstd.data_ptr<float>(), g.data_ptr<float>(), shape, dz.data_ptr<float>(),
                    CurrentStream(z), p > 0.0 ? &dropout : nullptr,
                    p > 0.0 ? dr.data_ptr<float>() : nullptr,
                    dy2.defined() ? dy2.data_ptr<float>() : nullptr),
                "residual LayerNorm backward kernel");
    // Without dropout x and r get the same gradient, as an add's backward hands both the same
    // tensor; with it r's passes through the mask. With a relay, x's goes to the node that adds
    // it (the residual that wrote x, or the linear that also reads it: residual_grad_relay.h);
    // autograd gets none for x.
    torch::Tensor dx = dz;
    if (ResidualGradRelay* relay = SavedRelay(ctx, "relay")) {
      TORCH_CHECK(relay->armed && !relay->skip_grad.defined(),
                  "residual gradient relay: a second gradient before the first was taken");
      relay->skip_grad = dz;
      dx = torch::Tensor();
    }
    return {dx,
            p > 0.0 ? dr : dz,
            dg,
            db,
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor()};
  }
};

class ReluDropoutFunction : public torch::autograd::Function<ReluDropoutFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& h_in, double p) {
    c10::cuda::CUDAGuard device_guard(h_in.device());
    const torch::Tensor h = h_in.contiguous();
    torch::Tensor y = torch::empty_like(h);
    const cuda_kernels::DropoutKey key = NextDropoutKey(h.device().index());
    // The backward's mask, y > 0: as bits where the kernels keep them (a 32nd of y's bytes to
    // read back), else y itself.
    const int64_t words =
        cuda_kernels::ReluDropoutMaskWords(h.numel(), h.data_ptr<float>(), y.data_ptr<float>());
    torch::Tensor mask;
    if (words > 0) mask = torch::empty({words}, h.options().dtype(torch::kInt32));
    CheckLaunch(cuda_kernels::LaunchReluDropoutForward(
                    h.data_ptr<float>(), h.numel(), static_cast<float>(p), key,
                    y.data_ptr<float>(), CurrentStream(h),
                    words > 0 ? reinterpret_cast<uint32_t*>(mask.data_ptr<int32_t>()) : nullptr),
                "ReLU + dropout forward kernel");
    ctx->save_for_backward({words > 0 ? mask : y});
    ctx->saved_data["p"] = p;
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const torch::Tensor saved = ctx->get_saved_variables()[0];  // y, or its mask as bits
    const double p = ctx->saved_data["p"].toDouble();
    c10::cuda::CUDAGuard device_guard(saved.device());
    torch::Tensor dy = grads[0].contiguous();
    // The mask's kernel loads 16 bytes at a time (a fresh tensor is aligned so; a view may not be).
    if (reinterpret_cast<uintptr_t>(dy.data_ptr()) % 16 != 0) dy = dy.clone();
    torch::Tensor dh = torch::empty_like(dy);
    const int64_t n = dy.numel();  // y's (its gradient's shape), whatever was saved
    if (saved.scalar_type() == torch::kInt32) {
      CheckLaunch(cuda_kernels::LaunchReluDropoutBackwardFromMask(
                      reinterpret_cast<const uint32_t*>(saved.data_ptr<int32_t>()),
                      dy.data_ptr<float>(), n, static_cast<float>(p), dh.data_ptr<float>(),
                      CurrentStream(dy)),
                  "ReLU + dropout backward kernel (from the mask's bits)");
    } else {
      CheckLaunch(cuda_kernels::LaunchReluDropoutBackward(
                      saved.data_ptr<float>(), dy.data_ptr<float>(), n, static_cast<float>(p),
                      dh.data_ptr<float>(), CurrentStream(dy)),
                  "ReLU + dropout backward kernel");
    }
    return {dh, torch::Tensor()};
  }
};

}  // namespace

bool FusedReluDropoutServes(const torch::Tensor& h, double p) {
  return h.defined() && h.is_cuda() && h.scalar_type() == torch::kFloat32 && p > 0.0 && p < 1.0;
}

torch::Tensor FusedReluDropout(const torch::Tensor& h, double p) {
  TORCH_CHECK(FusedReluDropoutServes(h, p),
              "FusedReluDropout: a tensor or probability it does not serve (see "
              "FusedReluDropoutServes)");
  return ReluDropoutFunction::apply(h, p);
}

namespace {

bool F32Cuda(const torch::Tensor& t) {
  return t.defined() && t.is_cuda() && t.scalar_type() == torch::kFloat32;
}

// x and r of one shape, rows of width d (a width the kernels take) on one device; g and b
// [S, d] with unit stride along d and one seed stride.
bool RowsAndAffineServe(const torch::Tensor& x, const torch::Tensor& r, const torch::Tensor& g,
                        const torch::Tensor& b) {
  if (!F32Cuda(x) || !F32Cuda(r) || !F32Cuda(g) || !F32Cuda(b)) return false;
  if (x.sizes() != r.sizes() || r.device() != x.device() || g.dim() != 2) return false;
  const int64_t S = g.size(0), d = x.size(-1);
  if (!cuda_kernels::SeedLayerNormWidthOk(d) || x.size(-2) < 1 || S < 1 || S > 65535) {
    return false;
  }
  for (const torch::Tensor* t : {&g, &b}) {
    if (t->dim() != 2 || t->size(0) != S || t->size(1) != d || t->stride(1) != 1 ||
        t->device() != x.device() || (S > 1 && t->stride(0) < d)) {
      return false;
    }
  }
  return S == 1 || g.stride(0) == b.stride(0);
}

}  // namespace

bool FusedResidualLayerNormServes(const torch::Tensor& x, const torch::Tensor& r,
                                  const torch::Tensor& g, const torch::Tensor& b) {
  return x.defined() && x.dim() == 3 && g.defined() && x.size(0) == g.size(0) &&
         RowsAndAffineServe(x, r, g, b);
}

torch::Tensor FusedResidualLayerNorm(const torch::Tensor& x, const torch::Tensor& r,
                                     const torch::Tensor& g, const torch::Tensor& b,
                                     bool side_stream_affine, double dropout,
                                     const ResidualGradRelayPtr& relay,
                                     const ResidualGradRelayPtr& out_relay) {
  TORCH_CHECK(FusedResidualLayerNormServes(x, r, g, b),
              "FusedResidualLayerNorm: tensors it does not serve (see "
              "FusedResidualLayerNormServes)");
  TORCH_CHECK(dropout >= 0.0 && dropout < 1.0, "FusedResidualLayerNorm: dropout ", dropout,
              " outside [0, 1)");
  return ResidualLayerNormFunction::apply(x, r, g, b, side_stream_affine, dropout, RaggedRows{},
                                          relay, out_relay);
}

bool FusedRaggedResidualLayerNormServes(const torch::Tensor& x, const torch::Tensor& r,
                                        const torch::Tensor& g, const torch::Tensor& b,
                                        const torch::Tensor& row_seed,
                                        const torch::Tensor& seed_row_begin) {
  if (!x.defined() || x.dim() != 2 || !g.defined() || !RowsAndAffineServe(x, r, g, b)) {
    return false;
  }
  const int64_t S = g.size(0);
  auto table = [&](const torch::Tensor& t, int64_t n) {
    return t.defined() && t.device() == x.device() && t.scalar_type() == torch::kInt64 &&
           t.dim() == 1 && t.size(0) == n && t.is_contiguous();
  };
  return table(row_seed, x.size(0)) && table(seed_row_begin, S + 1);
}

torch::Tensor FusedRaggedResidualLayerNorm(const torch::Tensor& x, const torch::Tensor& r,
                                           const torch::Tensor& g, const torch::Tensor& b,
                                           const torch::Tensor& row_seed,
                                           const torch::Tensor& seed_row_begin,
                                           bool side_stream_affine, double dropout) {
  TORCH_CHECK(FusedRaggedResidualLayerNormServes(x, r, g, b, row_seed, seed_row_begin),
              "FusedRaggedResidualLayerNorm: tensors it does not serve (see "
              "FusedRaggedResidualLayerNormServes)");
  TORCH_CHECK(dropout >= 0.0 && dropout < 1.0, "FusedRaggedResidualLayerNorm: dropout ",
              dropout, " outside [0, 1)");
  return ResidualLayerNormFunction::apply(x, r, g, b, side_stream_affine, dropout,
                                          RaggedRows{row_seed, seed_row_begin},
                                          ResidualGradRelayPtr(), ResidualGradRelayPtr());
}

}  // namespace sg
