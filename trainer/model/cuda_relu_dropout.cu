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

// The mask's layout: the 32 lanes of a warp hold 128 consecutive elements, four each (lane l:
// elements 4 l .. 4 l + 3 of the group), and the group's four words hold bit l of lane l's
// e-th element in word e (one ballot a word). The backward reads the group's four words with
// one 16-byte load, the same for every lane.
constexpr int kMaskGroup = 32 * kVec;

__global__ void __launch_bounds__(kThreads)
    ForwardKernel(const float* h, int64_t n, float p, DropoutKey key, float* y, bool vec,
                  uint32_t* mask) {
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
      if (mask != nullptr) {  // n a multiple of 128: the whole warp is here
        uint4 bits;
        bits.x = __ballot_sync(0xffffffffu, out.x > 0.0f);
        bits.y = __ballot_sync(0xffffffffu, out.y > 0.0f);
        bits.z = __ballot_sync(0xffffffffu, out.z > 0.0f);
        bits.w = __ballot_sync(0xffffffffu, out.w > 0.0f);
        if (threadIdx.x % 32 == 0) *reinterpret_cast<uint4*>(mask + i / 32) = bits;
      }
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

__global__ void __launch_bounds__(kThreads)
    BackwardFromMaskKernel(const uint32_t* mask, const float* dy, int64_t n, float inv_keep,
                           float* dh) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x * kVec;
  const int lane = threadIdx.x % 32;
  for (int64_t i = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) * kVec; i < n;
       i += stride) {
    const uint4 bits = *reinterpret_cast<const uint4*>(mask + (i / kMaskGroup) * kVec);
    const float4 g = *reinterpret_cast<const float4*>(dy + i);
    float4 out;
    out.x = (bits.x >> lane) & 1u ? g.x * inv_keep : 0.0f;
    out.y = (bits.y >> lane) & 1u ? g.y * inv_keep : 0.0f;
    out.z = (bits.z >> lane) & 1u ? g.z * inv_keep : 0.0f;
    out.w = (bits.w >> lane) & 1u ? g.w * inv_keep : 0.0f;
    *reinterpret_cast<float4*>(dh + i) = out;
  }
}

}  // namespace

int64_t ReluDropoutMaskWords(int64_t n, const float* h, const float* y) {
  return n > 0 && n % kMaskGroup == 0 && Aligned(h) && Aligned(y) ? n / 32 : 0;
}

cudaError_t LaunchReluDropoutForward(const float* h, int64_t n, float p, const DropoutKey& key,
                                     float* y, cudaStream_t stream, uint32_t* mask) {
  if (n <= 0) return cudaSuccess;
  if (mask != nullptr && (ReluDropoutMaskWords(n, h, y) == 0 || !Aligned(mask))) {
    return cudaErrorInvalidValue;
  }
  ForwardKernel<<<Blocks(n), kThreads, 0, stream>>>(h, n, p, key, y, Aligned(h) && Aligned(y),
                                                    mask);
  return cudaGetLastError();
}

cudaError_t LaunchReluDropoutBackwardFromMask(const uint32_t* mask, const float* dy, int64_t n,
                                              float p, float* dh, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  if (n % kMaskGroup != 0 || !Aligned(mask) || !Aligned(dy) || !Aligned(dh)) {
    return cudaErrorInvalidValue;
  }
  BackwardFromMaskKernel<<<Blocks(n), kThreads, 0, stream>>>(mask, dy, n, 1.0f / (1.0f - p),
                                                             dh);
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
