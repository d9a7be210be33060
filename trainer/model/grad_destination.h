// Where a parameter's gradient is written when the step's AdamW runs beside the next step's
// forward (cuda_graph_step.h, GraphStepOptions::update_beside_forward). In a captured step a
// gradient that backward allocates is a block of the graphs' memory pool, which the next
// replay's forward may use as scratch while the deferred update still reads it (the race that
// took the first version out, docs/performance.md "The update beside the next forward"). While
// a scope is active on a device, the functions that compute weight gradients themselves
// (cuda_side_stream_linear.h) write them into a buffer of the stepper's instead: memory outside
// any pool, at addresses the same for every graph. Each parameter's gradient there is a
// contiguous [S, ...] block (autograd keeps only a contiguous gradient of a parameter that is
// a strided view of the flat weights as it is; it copies any other), the parameter at offset o
// of the flat weights' rows taking the buffer's elements from S * o on. Trainer-internal
// (LibTorch, no CUDA headers).
#ifndef SG_TRAINER_MODEL_GRAD_DESTINATION_H_
#define SG_TRAINER_MODEL_GRAD_DESTINATION_H_

#include <torch/torch.h>

namespace sg {

// Not nestable on one device; construct and destroy on one thread around a backward.
class ScopedGradDestinations {
 public:
  // params: the model's flat weights [S, P] (PackModel::flat); grads: a contiguous float
  // tensor of S * P elements on the same device.
  ScopedGradDestinations(const torch::Tensor& params, const torch::Tensor& grads);
  ~ScopedGradDestinations();
  ScopedGradDestinations(const ScopedGradDestinations&) = delete;
  ScopedGradDestinations& operator=(const ScopedGradDestinations&) = delete;

 private:
  int slot_;
};

// param's place in the active scope's gradients on param's device: a contiguous tensor of
// param's sizes in the gradient buffer, referenced nowhere else (so autograd keeps it as the
// parameter's gradient rather than copying it). Undefined when no scope is active there or
// param is not a whole parameter of the scope's weights (every seed's row, from seed 0, each
// seed's part contiguous).
torch::Tensor GradDestinationFor(const torch::Tensor& param);

// True when grad is param's place in `grads` for the weights `params`: what
// GradDestinationFor returned for it.
bool IsGradDestination(const torch::Tensor& grad, const torch::Tensor& param,
                       const torch::Tensor& params, const torch::Tensor& grads);

}  // namespace sg

#endif  // SG_TRAINER_MODEL_GRAD_DESTINATION_H_
