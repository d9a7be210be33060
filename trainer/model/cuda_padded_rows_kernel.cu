// See cuda_padded_rows_kernel.h.
#include "trainer/model/cuda_padded_rows_kernel.h"

namespace sg {
namespace cuda_kernels {
namespace {

constexpr int kThreads = 128;

// One block per row of out (a slot of the padded view): each slot written once, a copy of its
// row or zeros. V: float4 where the width and both pointers allow 16-byte accesses.
template <typename V>
__global__ void __launch_bounds__(kThreads)
    GatherPaddedRowsKernel(const V* x, const int64_t* slot_row, int64_t width, V* out) {
  const int64_t r = blockIdx.x;
  const int64_t src = slot_row[r];
  V* o = out + r * width;
  if (src < 0) {
    V zero;
    if constexpr (sizeof(V) == sizeof(float4)) {
      zero = make_float4(0.f, 0.f, 0.f, 0.f);
    } else {
      zero = 0.f;
    }
    for (int64_t i = threadIdx.x; i < width; i += kThreads) o[i] = zero;
    return;
  }
  const V* in = x + src * width;
  for (int64_t i = threadIdx.x; i < width; i += kThreads) o[i] = in[i];
}

}  // namespace

cudaError_t LaunchGatherPaddedRows(const float* x, const int64_t* slot_row, int64_t rows,
                                   int64_t width, float* out, cudaStream_t stream) {
  if (rows < 1 || width < 1 || rows > 0x7fffffff) return cudaErrorInvalidValue;
  const unsigned blocks = static_cast<unsigned>(rows);
  const bool vec = width % 4 == 0 && reinterpret_cast<uintptr_t>(x) % 16 == 0 &&
                   reinterpret_cast<uintptr_t>(out) % 16 == 0;
  if (vec) {
    GatherPaddedRowsKernel<float4><<<blocks, kThreads, 0, stream>>>(
        reinterpret_cast<const float4*>(x), slot_row, width / 4, reinterpret_cast<float4*>(out));
  } else {
    GatherPaddedRowsKernel<float><<<blocks, kThreads, 0, stream>>>(x, slot_row, width, out);
  }
  return cudaGetLastError();
}

}  // namespace cuda_kernels
}  // namespace sg
