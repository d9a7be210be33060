// ReLU + dropout (cuda_relu_dropout.h). Torch-free. Each thread handles four consecutive
// elements (one float4 where the pointers allow, which the caching allocator's 512-byte
// alignment gives contiguous activations), in a grid-stride loop.
#include "trainer/model/cuda_relu_dropout.h"

#include <algorithm>

#include "trainer/model/cuda_dropout_hash.cuh"

namespace sg {
namespace cuda_kernels {
namespace {

constexpr int kThreads = 256;
constexpr int kVec = 4;

bool Aligned(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

int Blocks(int64_t n) {
  const int64_t groups = (n + kVec - 1) / kVec;
  return static_cast<int>(std::min<int64_t>((groups + kThreads - 1) / kThreads, 65535 * 8));
}

__device__ __forceinline__ float Forward(float h, uint64_t base, int64_t i, uint32_t threshold,
                                         float inv_keep) {
  return h > 0.0f && DropoutKeeps(base, static_cast<uint64_t>(i), threshold) ? h * inv_keep
                                                                             : 0.0f;
}

__global__ void __launch_bounds__(kThreads)
    ForwardKernel(const float* h, int64_t n, float p, DropoutKey key, float* y, bool vec) {
  const uint64_t base = DropoutBase(key);
  const uint32_t threshold = DropoutThreshold(p);
  const float inv_keep = 1.0f / (1.0f - p);
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x * kVec;
  for (int64_t i = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) * kVec; i < n;
       i += stride) {
    if (vec && i + kVec <= n) {
      const float4 in = *reinterpret_cast<const float4*>(h + i);
      float4 out;
      out.x = Forward(in.x, base, i, threshold, inv_keep);
      out.y = Forward(in.y, base, i + 1, threshold, inv_keep);
      out.z = Forward(in.z, base, i + 2, threshold, inv_keep);
      out.w = Forward(in.w, base, i + 3, threshold, inv_keep);
      *reinterpret_cast<float4*>(y + i) = out;
    } else {
      for (int64_t j = i; j < n && j < i + kVec; ++j) {
        y[j] = Forward(h[j], base, j, threshold, inv_keep);
      }
    }
  }
}

__global__ void __launch_bounds__(kThreads)
    BackwardKernel(const float* y, const float* dy, int64_t n, float inv_keep, float* dh,
                   bool vec) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x * kVec;
  for (int64_t i = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) * kVec; i < n;
       i += stride) {
    if (vec && i + kVec <= n) {
      const float4 yy = *reinterpret_cast<const float4*>(y + i);
      const float4 g = *reinterpret_cast<const float4*>(dy + i);
      float4 out;
      out.x = yy.x > 0.0f ? g.x * inv_keep : 0.0f;
      out.y = yy.y > 0.0f ? g.y * inv_keep : 0.0f;
      out.z = yy.z > 0.0f ? g.z * inv_keep : 0.0f;
      out.w = yy.w > 0.0f ? g.w * inv_keep : 0.0f;
      *reinterpret_cast<float4*>(dh + i) = out;
    } else {
      for (int64_t j = i; j < n && j < i + kVec; ++j) {
        dh[j] = y[j] > 0.0f ? dy[j] * inv_keep : 0.0f;
      }
    }
  }
}

}  // namespace

cudaError_t LaunchReluDropoutForward(const float* h, int64_t n, float p, const DropoutKey& key,
                                     float* y, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  ForwardKernel<<<Blocks(n), kThreads, 0, stream>>>(h, n, p, key, y, Aligned(h) && Aligned(y));
  return cudaGetLastError();
}

cudaError_t LaunchReluDropoutBackward(const float* y, const float* dy, int64_t n, float p,
                                      float* dh, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  BackwardKernel<<<Blocks(n), kThreads, 0, stream>>>(
      y, dy, n, 1.0f / (1.0f - p), dh, Aligned(y) && Aligned(dy) && Aligned(dh));
  return cudaGetLastError();
}

}  // namespace cuda_kernels
}  // namespace sg
