// Compiled only against a CUDA LibTorch (trainer/CMakeLists.txt); see cuda_deferred_update.h.
#include "trainer/model/cuda_deferred_update.h"

#include <c10/cuda/CUDAGuard.h>

#include "trainer/model/cuda_pack_optimizer.h"

namespace sg {

DeferredUpdate::DeferredUpdate(PackModel* model, PackAdamW* optimizer, double clip)
    : model_(model), optimizer_(optimizer) {
  const std::vector<ParamSlot>& layout = model->layout();
  const int64_t n = static_cast<int64_t>(layout.size());
  TORCH_CHECK(n > 0 && layout[0].group == 0, "the layout's first slot must be of group 0");
  group_begin_.push_back(0);
  for (int64_t i = 1; i < n; ++i) {
    if (layout[i].group == layout[i - 1].group) continue;
    TORCH_CHECK(layout[i].group == layout[i - 1].group + 1, "slot ", layout[i].name,
                ": groups must rise one at a time along the layout");
    group_begin_.push_back(i);
  }
  group_begin_.push_back(n);
  const int64_t groups = static_cast<int64_t>(group_begin_.size()) - 1;
  TORCH_CHECK(groups == ParamGroupCount(model->shape()), "the layout has ", groups,
              " groups, the model ", ParamGroupCount(model->shape()));
  const torch::Device device = model->device();
  TORCH_CHECK(device.is_cuda(), "the update beside the forward needs a CUDA device");
  c10::cuda::CUDAGuard guard(device);
  auto on = [&](torch::ScalarType t) { return torch::TensorOptions().dtype(t).device(device); };
  table_ = torch::zeros({n}, on(torch::kInt64));
  active_ = torch::zeros({1}, on(torch::kInt32));
  if (clip > 0) grad_scale_ = torch::ones({model->num_seeds()}, on(torch::kFloat32));
  step_ = torch::zeros({}, on(torch::kFloat32));
  lr_ = torch::zeros({}, on(torch::kFloat32));
  int least = 0, greatest = 0;
  TORCH_CHECK(cudaDeviceGetStreamPriorityRange(&least, &greatest) == cudaSuccess,
              "cudaDeviceGetStreamPriorityRange failed");
  TORCH_CHECK(cudaStreamCreateWithPriority(&stream_, cudaStreamNonBlocking, least) ==
                  cudaSuccess,
              "cudaStreamCreateWithPriority failed");
}

DeferredUpdate::~DeferredUpdate() {
  // Work still queued on it completes first (cudaStreamDestroy does not wait, nor cancel).
  if (stream_ != nullptr) cudaStreamDestroy(stream_);
}

void DeferredUpdate::Begin() {
  const c10::DeviceIndex index = model_->device().index();
  const c10::cuda::CUDAStream main = c10::cuda::getCurrentCUDAStream(index);
  const c10::cuda::CUDAStream side = c10::cuda::getStreamFromExternal(stream_, index);
  // Forked from the current stream: in a capture the update stream joins it, and it starts
  // after what the body queued before (the previous replay's work is ordered by the stream).
  at::cuda::CUDAEvent ready;
  ready.record(main);
  ready.block(side);
  const std::vector<ParamSlot>& layout = model_->layout();
  const int64_t groups = static_cast<int64_t>(group_begin_.size()) - 1;
  events_.clear();
  events_.resize(groups);
  {
    c10::cuda::CUDAStreamGuard on_side(side);
    for (int64_t g = 0; g < groups; ++g) {
      CudaPackAdamWFromTable(model_->flat(), optimizer_->exp_avg(), optimizer_->exp_avg_sq(),
                             table_, layout, group_begin_[g], group_begin_[g + 1], step_, lr_,
                             grad_scale_, active_, optimizer_->options());
      events_[g].record(side);
    }
  }
  waited_ = 0;
}

void DeferredUpdate::BeforeGroup(int64_t g) {
  const int64_t groups = static_cast<int64_t>(events_.size());
  // In order, each once, and not the output layer's (Join's): a forward that skipped a group
  // would read weights the update may still be writing.
  TORCH_CHECK(g == waited_ && g < groups - 1, "the update beside the forward: the forward "
              "reached group ", g, " after ", waited_, " of ", groups, " groups (Begin first, "
              "then groups in order)");
  events_[g].block(c10::cuda::getCurrentCUDAStream(model_->device().index()));
  waited_ = g + 1;
}

void DeferredUpdate::Join() {
  const int64_t groups = static_cast<int64_t>(events_.size());
  TORCH_CHECK(groups > 0 && waited_ == groups - 1, "the update beside the forward: Join after ",
              waited_, " of ", groups - 1, " groups before the output layer");
  events_.back().block(c10::cuda::getCurrentCUDAStream(model_->device().index()));
  waited_ = groups;
}

void DeferredUpdate::MarkPending(const torch::Tensor& grad_table) {
  TORCH_CHECK(waited_ == static_cast<int64_t>(events_.size()) && waited_ > 0,
              "the update beside the forward: MarkPending before Join");
  table_.copy_(grad_table);
  active_.fill_(1);
}

void DeferredUpdate::PrepareScalars() {
  if (!pending_) return;
  step_.fill_(static_cast<double>(pending_update_));
  lr_.fill_(pending_lr_);
}

void DeferredUpdate::Replayed(int64_t update, double lr) {
  pending_ = true;
  pending_update_ = update;
  pending_lr_ = lr;
}

void DeferredUpdate::Flush() {
  if (!pending_) return;
  PrepareScalars();
  const std::vector<ParamSlot>& layout = model_->layout();
  CudaPackAdamWFromTable(model_->flat(), optimizer_->exp_avg(), optimizer_->exp_avg_sq(), table_,
                         layout, 0, static_cast<int64_t>(layout.size()), step_, lr_, grad_scale_,
                         active_, optimizer_->options());
  active_.fill_(0);
  pending_ = false;
}

DeferredUpdate::Saved DeferredUpdate::Save() const {
  Saved s;
  s.table = table_.clone();
  s.active = active_.clone();
  if (grad_scale_.defined()) s.grad_scale = grad_scale_.clone();
  return s;
}

void DeferredUpdate::Restore(const Saved& saved) {
  table_.copy_(saved.table);
  active_.copy_(saved.active);
  if (grad_scale_.defined()) grad_scale_.copy_(saved.grad_scale);
}

}  // namespace sg
