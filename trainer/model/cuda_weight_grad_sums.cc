// Compiled only against a CUDA LibTorch (trainer/CMakeLists.txt); see cuda_weight_grad_sums.h.
#include "trainer/model/cuda_weight_grad_sums.h"

#include <c10/cuda/CUDAFunctions.h>

#include <array>
#include <atomic>
#include <utility>

#include "trainer/model/cuda_wgmma_weight_grad_kernel.h"

namespace sg {
namespace {

constexpr int kDevices = 64;
std::array<std::atomic<WeightGradSums*>, kDevices> active{};
std::atomic<int64_t> used_count{0};

}  // namespace

WeightGradSums::WeightGradSums(const torch::Device& device, int64_t seeds, int64_t capacity) {
  TORCH_CHECK(device.is_cuda() && seeds > 0 && capacity > 0,
              "weight gradient sums: expected a CUDA device, seeds and capacity above 0");
  sums_ = torch::zeros({seeds, capacity},
                       torch::TensorOptions().dtype(torch::kFloat32).device(device));
}

int64_t WeightGradSums::CapacityFor(const std::vector<ParamSlot>& layout) {
  const int64_t tile = cuda_kernels::kWgmmaWeightGradTile;
  int64_t tiles = 0;
  for (const ParamSlot& slot : layout) {
    if (slot.shape.size() == 2 && slot.shape[0] % tile == 0 && slot.shape[1] % tile == 0) {
      tiles += cuda_kernels::WgmmaWeightGradTiles(slot.shape[0], slot.shape[1]);
    }
  }
  return tiles;
}

void WeightGradSums::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  used_ = 0;
  claimed_.clear();
}

float* WeightGradSums::Claim(const torch::Tensor& dw, int64_t tiles) {
  std::lock_guard<std::mutex> lock(mu_);
  if (tiles <= 0 || used_ + tiles > capacity() || dw.size(0) != sums_.size(0)) return nullptr;
  float* at = sums_.data_ptr<float>() + used_;
  used_ += tiles;
  Claimed c;
  c.storage = dw.storage();
  c.data = dw.data_ptr();
  c.sizes = dw.sizes().vec();
  c.strides = dw.strides().vec();
  c.version = dw._version();
  claimed_.push_back(std::move(c));
  return at;
}

std::vector<int> WeightGradSums::Cover(const std::vector<torch::Tensor>& grads) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<int> covered(claimed_.size(), -1);
  for (size_t i = 0; i < claimed_.size(); ++i) {
    for (size_t g = 0; g < grads.size(); ++g) {
      const Claimed& c = claimed_[i];
      const torch::Tensor& t = grads[g];
      if (t.defined() && t.data_ptr() == c.data && t.storage().is_alias_of(c.storage) &&
          t.sizes().vec() == c.sizes && t.strides().vec() == c.strides &&
          t._version() == c.version) {
        covered[i] = static_cast<int>(g);
        break;
      }
    }
  }
  return covered;
}

int64_t WeightGradSums::used() const {
  std::lock_guard<std::mutex> lock(mu_);
  return used_;
}

int64_t WeightGradSums::claims() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(claimed_.size());
}

ScopedWeightGradSums::ScopedWeightGradSums(const torch::Device& device, WeightGradSums* sums)
    : device_(device.has_index() ? device.index() : c10::cuda::current_device()) {
  TORCH_CHECK(device_ >= 0 && device_ < kDevices, "weight gradient sums: device index ",
              device_, " out of range");
  previous_ = active[device_].exchange(sums);
}

ScopedWeightGradSums::~ScopedWeightGradSums() { active[device_].store(previous_); }

WeightGradSums* ActiveWeightGradSums(int index) {
  if (index < 0) index = c10::cuda::current_device();
  if (index >= kDevices) return nullptr;
  return active[index].load();
}

int64_t WeightGradSumsUsed() { return used_count.load(); }
void CountWeightGradSumsUsed() { used_count.fetch_add(1); }

}  // namespace sg
