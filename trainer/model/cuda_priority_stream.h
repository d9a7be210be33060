// A CUDA stream of our own at one end of the device's priority range, for work that must not
// share a stream with LibTorch's pool (which hands its streams out round-robin, so a pool
// stream may be the one a caller captures on): the side stream's weight gradients at the
// least priority (cuda_side_stream_linear.h), the update beside the forward at the greatest
// (update_priority.h). One per (device, end), created on first use and never destroyed:
// captured graphs keep using it. Compiled only against a CUDA LibTorch.
#ifndef SG_TRAINER_MODEL_CUDA_PRIORITY_STREAM_H_
#define SG_TRAINER_MODEL_CUDA_PRIORITY_STREAM_H_

#include <c10/core/Device.h>
#include <cuda_runtime_api.h>

namespace sg {

enum class PriorityEnd { kLeast, kGreatest };

// Thread-safe; throws (TORCH_CHECK) where the driver refuses.
cudaStream_t OwnPriorityStream(c10::DeviceIndex index, PriorityEnd end);

}  // namespace sg

#endif  // SG_TRAINER_MODEL_CUDA_PRIORITY_STREAM_H_
