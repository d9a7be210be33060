// The CPU-only build's MakeGraphStepper (trainer/CMakeLists.txt picks this file when LibTorch
// has no CUDA): there is nothing to capture, and the trainer steps eagerly.
#include "trainer/model/cuda_graph_step.h"

namespace sg {

absl::StatusOr<std::unique_ptr<GraphStepper>> MakeGraphStepper(const GraphStepOptions&,
                                                               const GraphStepState&) {
  return absl::UnimplementedError("this LibTorch has no CUDA: training steps run eagerly");
}

}  // namespace sg
