#include "trainer/model/grad_destination.h"

#include <atomic>

namespace sg {
namespace {

struct Destinations {
  torch::Tensor params, grads;
};

// Slot 0 the CPU (tests), 1 + index a CUDA device.
constexpr int kSlots = 17;
std::atomic<const Destinations*> active[kSlots];

int SlotOf(const torch::Device& device) {
  if (!device.is_cuda()) return 0;
  return device.has_index() && device.index() + 1 < kSlots ? device.index() + 1 : -1;
}

// Where param's gradient starts in a buffer for `params` ([S, P]), or -1 where param is not a
// whole parameter: [S, ...] from seed 0's row at offset o < P, seed stride P, each seed's part
// contiguous. The buffer holds it contiguously from S * o.
int64_t DestinationOffset(const torch::Tensor& param, const torch::Tensor& params) {
  if (!param.defined() || !param.has_storage() || params.dim() != 2 || param.dim() < 1 ||
      param.scalar_type() != params.scalar_type() || param.device() != params.device() ||
      !param.storage().is_alias_of(params.storage()) || param.numel() == 0) {
    return -1;
  }
  const int64_t S = params.size(0), P = params.size(1);
  const int64_t offset = param.storage_offset() - params.storage_offset();
  if (param.size(0) != S || param.stride(0) != P || offset < 0) return -1;
  int64_t inner = 1;
  for (int64_t d = param.dim() - 1; d >= 1; --d) {
    if (param.size(d) != 1 && param.stride(d) != inner) return -1;
    inner *= param.size(d);
  }
  if (offset + inner > P) return -1;
  return S * offset;
}

}  // namespace

ScopedGradDestinations::ScopedGradDestinations(const torch::Tensor& params,
                                               const torch::Tensor& grads)
    : slot_(SlotOf(params.device())) {
  TORCH_CHECK(slot_ >= 0, "gradient destinations: device ", params.device(), " out of range");
  TORCH_CHECK(params.dim() == 2 && params.is_contiguous() && grads.is_contiguous() &&
                  params.numel() == grads.numel() &&
                  params.scalar_type() == grads.scalar_type() &&
                  params.device() == grads.device(),
              "gradient destinations: expected weights [S, P] and a contiguous buffer of as "
              "many elements of their type on their device");
  const Destinations* fresh = new Destinations{params, grads};
  const Destinations* previous = active[slot_].exchange(fresh);
  TORCH_CHECK(previous == nullptr, "gradient destinations: a scope is already active on ",
              params.device());
}

ScopedGradDestinations::~ScopedGradDestinations() { delete active[slot_].exchange(nullptr); }

torch::Tensor GradDestinationFor(const torch::Tensor& param) {
  if (!param.defined()) return {};
  const int slot = SlotOf(param.device());
  if (slot < 0) return {};
  const Destinations* d = active[slot].load();
  if (d == nullptr) return {};
  const int64_t at = DestinationOffset(param, d->params);
  if (at < 0) return {};
  return d->grads.view(-1).narrow(0, at, param.numel()).view(param.sizes());
}

bool IsGradDestination(const torch::Tensor& grad, const torch::Tensor& param,
                       const torch::Tensor& params, const torch::Tensor& grads) {
  const int64_t at = DestinationOffset(param, params);
  return at >= 0 && grad.defined() && grad.has_storage() &&
         grad.storage().is_alias_of(grads.storage()) &&
         grad.storage_offset() == grads.storage_offset() + at && grad.sizes() == param.sizes() &&
         grad.is_contiguous();
}

}  // namespace sg
