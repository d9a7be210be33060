// Compiled only against a CUDA LibTorch (trainer/CMakeLists.txt); see cuda_pack_optimizer.h.
#include "trainer/model/cuda_pack_optimizer.h"

#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/version.h>

#include <algorithm>
#include <optional>

#include "trainer/model/cuda_pack_adamw.h"
#include "trainer/model/cuda_weight_grad_sums.h"

namespace sg {
namespace {

void CheckLaunch(cudaError_t err, const char* what) {
  TORCH_CHECK(err == cudaSuccess, what, ": ", cudaGetErrorString(err));
}

void CheckFloatCuda(const torch::Tensor& t, const char* what) {
  TORCH_CHECK(t.defined() && t.is_cuda() && t.scalar_type() == torch::kFloat32 &&
                  t.is_contiguous(),
              what, ": expected a contiguous float32 CUDA tensor");
}

// The kernels' view of the gradients: slot i's gradient for seed s at grads[i][s].
std::vector<cuda_kernels::PackGradSlot> Slots(const std::vector<torch::Tensor>& grads,
                                              const std::vector<ParamSlot>& layout,
                                              int64_t seeds) {
  TORCH_CHECK(grads.size() == layout.size(), "expected one gradient per parameter slot, got ",
              grads.size(), " for ", layout.size());
  std::vector<cuda_kernels::PackGradSlot> slots(grads.size());
  for (size_t i = 0; i < grads.size(); ++i) {
    CheckFloatCuda(grads[i], "gradient");
    TORCH_CHECK(grads[i].dim() >= 1 && grads[i].size(0) == seeds &&
                    grads[i].numel() == seeds * layout[i].numel,
                "gradient of ", layout[i].name, ": expected [", seeds, ", ...] with ",
                layout[i].numel, " elements per seed");
    slots[i].grad = grads[i].data_ptr<float>();
    slots[i].grad_seed_stride = layout[i].numel;
    slots[i].offset = layout[i].offset;
    slots[i].numel = layout[i].numel;
  }
  return slots;
}

cudaStream_t CurrentStream(const torch::Device& device) {
  return c10::cuda::getCurrentCUDAStream(device.index()).stream();
}

}  // namespace

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)

PackGradNorm TorchPackGradNorm(const std::vector<torch::Tensor>& grads, int64_t seeds,
                               double clip) {
  const int64_t n = static_cast<int64_t>(grads.size());
  std::vector<torch::Tensor> rows;
  rows.reserve(seeds * n);
  for (int64_t s = 0; s < seeds; ++s) {
    for (const torch::Tensor& g : grads) rows.push_back(g[s].view(-1));
  }
  std::vector<torch::Tensor> norms = at::_foreach_norm(rows);
  PackGradNorm out;
  out.norm = torch::stack(norms).view({seeds, n}).square().sum(1).sqrt();
  // torch clip_grad_norm_ multiplies by min(1, clip / (norm + 1e-6)); the fused AdamW divides
  // by its grad_scale, so the scale is the inverse.
  if (clip > 0) out.grad_scale = ((out.norm + 1e-6) / clip).clamp_min(1.0);
  return out;
}

void TorchPackAdamW(torch::Tensor& flat, torch::Tensor& exp_avg, torch::Tensor& exp_avg_sq,
                    const std::vector<torch::Tensor>& grads, const std::vector<ParamSlot>& layout,
                    const torch::Tensor& step, const torch::Tensor& lr,
                    const torch::Tensor& grad_scale, const AdamWOptions& options) {
  const int64_t seeds = flat.size(0), n = static_cast<int64_t>(layout.size());
  std::vector<torch::Tensor> steps(n, step);
  for (int64_t s = 0; s < seeds; ++s) {
    std::vector<torch::Tensor> params, seed_grads, m, v;
    for (int64_t i = 0; i < n; ++i) {
      const ParamSlot& slot = layout[i];
      auto row = [&](torch::Tensor& t) {
        return t[s].narrow(0, slot.offset, slot.numel).view(slot.shape);
      };
      params.push_back(row(flat));
      seed_grads.push_back(grads[i][s]);
      m.push_back(row(exp_avg));
      v.push_back(row(exp_avg_sq));
    }
    std::optional<torch::Tensor> scale;
    if (grad_scale.defined()) scale = grad_scale[s];
    at::_fused_adamw_(params, seed_grads, m, v, /*max_exp_avg_sqs=*/{}, steps, lr,
                      options.beta1, options.beta2, options.weight_decay, options.eps,
                      /*amsgrad=*/false, /*maximize=*/false, scale, /*found_inf=*/std::nullopt);
  }
}

#else  // LibTorch < 2.4: no fused AdamW with a tensor learning rate (the graph step is off).

PackGradNorm TorchPackGradNorm(const std::vector<torch::Tensor>&, int64_t, double) {
  TORCH_CHECK(false, "LibTorch's pack optimizer path needs LibTorch 2.4 or newer");
  return {};
}

void TorchPackAdamW(torch::Tensor&, torch::Tensor&, torch::Tensor&,
                    const std::vector<torch::Tensor>&, const std::vector<ParamSlot>&,
                    const torch::Tensor&, const torch::Tensor&, const torch::Tensor&,
                    const AdamWOptions&) {
  TORCH_CHECK(false, "LibTorch's pack optimizer path needs LibTorch 2.4 or newer");
}

#endif  // LibTorch 2.4 or newer

PackGradNorm CudaPackGradNorm(const std::vector<torch::Tensor>& grads,
                              const std::vector<ParamSlot>& layout, double clip,
                              torch::Tensor* norm_acc, const WeightGradSums* sums) {
  TORCH_CHECK(!grads.empty(), "no gradients");
  const torch::Device device = grads[0].device();
  const int64_t seeds = grads[0].size(0);
  c10::cuda::CUDAGuard device_guard(device);
  std::vector<cuda_kernels::PackGradSlot> slots = Slots(grads, layout, seeds);
  // The gradients whose sums their own kernel wrote leave the pass, if every claim covers
  // exactly one gradient (cuda_weight_grad_sums.h); otherwise the pass reads them all.
  const float* extra = nullptr;
  int64_t extra_count = 0, extra_stride = 0;
  if (sums != nullptr && sums->claims() > 0) {
    const std::vector<int> covered = sums->Cover(grads);
    std::vector<bool> taken(grads.size(), false);
    bool all = true;
    for (int g : covered) {
      if (g < 0 || taken[g]) {
        all = false;
        break;
      }
      taken[g] = true;
    }
    if (all) {
      std::vector<cuda_kernels::PackGradSlot> rest;
      for (size_t i = 0; i < slots.size(); ++i) {
        if (!taken[i]) rest.push_back(slots[i]);
      }
      slots.swap(rest);
      extra = sums->sums().data_ptr<float>();
      extra_count = sums->used();
      extra_stride = sums->capacity();
      CountWeightGradSumsUsed();
    }
  }
  const int num = static_cast<int>(slots.size());
  const int64_t chunks = cuda_kernels::PackGradChunks(slots.data(), num);
  TORCH_CHECK(chunks > 0 || extra_count > 0, "the gradients are empty");
  if (norm_acc != nullptr) {
    TORCH_CHECK(norm_acc->is_cuda() && norm_acc->device() == device &&
                    norm_acc->scalar_type() == torch::kFloat64 && norm_acc->is_contiguous() &&
                    norm_acc->numel() == seeds,
                "norm accumulator: expected a contiguous float64 [", seeds, "] on ", device);
  }
  auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  torch::Tensor partials = torch::empty({seeds, std::max<int64_t>(chunks, 1)}, f32);
  PackGradNorm out;
  out.norm = torch::empty({seeds}, f32);
  if (clip > 0) out.grad_scale = torch::empty({seeds}, f32);
  const cudaStream_t stream = CurrentStream(device);
  if (chunks > 0) {
    CheckLaunch(cuda_kernels::LaunchPackGradSquaredSums(slots.data(), num, seeds,
                                                        partials.data_ptr<float>(), stream),
                "gradient norm kernel");
  }
  CheckLaunch(cuda_kernels::LaunchPackClipScaleWithSums(
                  partials.data_ptr<float>(), chunks, extra, extra_count, extra_stride, seeds,
                  clip, out.norm.data_ptr<float>(),
                  clip > 0 ? out.grad_scale.data_ptr<float>() : nullptr,
                  norm_acc != nullptr ? norm_acc->data_ptr<double>() : nullptr, stream),
              "clip factor kernel");
  return out;
}

void CudaPackAdamW(torch::Tensor& flat, torch::Tensor& exp_avg, torch::Tensor& exp_avg_sq,
                   const std::vector<torch::Tensor>& grads, const std::vector<ParamSlot>& layout,
                   const torch::Tensor& step, const torch::Tensor& lr,
                   const torch::Tensor& grad_scale, const AdamWOptions& options,
                   const torch::Tensor& enabled) {
  CheckFloatCuda(flat, "weights");
  CheckFloatCuda(exp_avg, "exp_avg");
  CheckFloatCuda(exp_avg_sq, "exp_avg_sq");
  TORCH_CHECK(flat.dim() == 2 && exp_avg.sizes() == flat.sizes() &&
                  exp_avg_sq.sizes() == flat.sizes(),
              "weights and moments: expected three [S, P] tensors of one shape");
  const torch::Device device = flat.device();
  const int64_t seeds = flat.size(0), row_length = flat.size(1);
  for (const ParamSlot& slot : layout) {
    TORCH_CHECK(slot.offset >= 0 && slot.offset + slot.numel <= row_length,
                "parameter slot ", slot.name, " lies outside the row of ", row_length);
  }
  CheckFloatCuda(step, "step");
  CheckFloatCuda(lr, "lr");
  TORCH_CHECK(step.numel() == 1 && lr.numel() == 1, "step and lr: expected scalars");
  if (grad_scale.defined()) {
    CheckFloatCuda(grad_scale, "grad_scale");
    TORCH_CHECK(grad_scale.numel() == seeds, "grad_scale: expected [", seeds, "]");
  }
  if (enabled.defined()) {
    CheckFloatCuda(enabled, "enabled");
    TORCH_CHECK(enabled.numel() == 1, "enabled: expected a scalar");
  }
  c10::cuda::CUDAGuard device_guard(device);
  std::vector<cuda_kernels::PackGradSlot> slots = Slots(grads, layout, seeds);
  cuda_kernels::PackAdamWArgs a;
  a.param = flat.data_ptr<float>();
  a.exp_avg = exp_avg.data_ptr<float>();
  a.exp_avg_sq = exp_avg_sq.data_ptr<float>();
  a.row_length = row_length;
  a.seeds = seeds;
  a.slots = slots.data();
  a.num_slots = static_cast<int>(slots.size());
  a.lr = lr.data_ptr<float>();
  a.step = step.data_ptr<float>();
  a.grad_scale = grad_scale.defined() ? grad_scale.data_ptr<float>() : nullptr;
  a.enabled = enabled.defined() ? enabled.data_ptr<float>() : nullptr;
  a.beta1 = options.beta1;
  a.beta2 = options.beta2;
  a.eps = options.eps;
  a.weight_decay = options.weight_decay;
  CheckLaunch(cuda_kernels::LaunchPackAdamW(a, CurrentStream(device)), "AdamW kernel");
}

}  // namespace sg
