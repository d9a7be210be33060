// bf16 autocast of CUDA ops for the scope's lifetime (the forward pass of a bf16 pack):
// matmuls run in bf16 while weights, gradients and optimizer state stay fp32, softmax,
// LayerNorm and the loss run in fp32 (LibTorch's autocast lists). Trainer-internal (LibTorch).
// The API moved in LibTorch 2.4 (device-typed setters); older builds report !Available().
#ifndef SG_TRAINER_MODEL_AUTOCAST_SCOPE_H_
#define SG_TRAINER_MODEL_AUTOCAST_SCOPE_H_

#include <ATen/autocast_mode.h>
#include <torch/version.h>

namespace sg {

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define SG_HAVE_DEVICE_AUTOCAST 1
#else
#define SG_HAVE_DEVICE_AUTOCAST 0
#endif

class AutocastScope {
 public:
  static constexpr bool Available() { return SG_HAVE_DEVICE_AUTOCAST == 1; }

  explicit AutocastScope(bool bf16) : on_(bf16) {
#if SG_HAVE_DEVICE_AUTOCAST
    if (!on_) return;
    at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
    at::autocast::set_autocast_enabled(at::kCUDA, true);
#endif
  }
  ~AutocastScope() {
#if SG_HAVE_DEVICE_AUTOCAST
    if (!on_) return;
    at::autocast::set_autocast_enabled(at::kCUDA, false);
    at::autocast::clear_cache();  // drop the bf16 weight copies made in this scope
#endif
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool on_;
};

}  // namespace sg

#endif  // SG_TRAINER_MODEL_AUTOCAST_SCOPE_H_
