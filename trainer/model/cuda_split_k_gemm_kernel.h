// The chain's seed-batched products by Hopper's TF32 wgmma with the summed dimension split
// across a thread-block cluster, our own kernel: the forward y_s = x_s W_s (+ b_s) and the
// input gradient dx_s = dy_s W_s^T of a layer's linears (W stored [in, out]).
//
// Why: with 256 rows a seed (a QF step) a product's 128 x 128 output tiles are 80 blocks for
// 10 seeds on 132 SMs, and cuBLASLt's kernels for them move bytes at about 62% of the copy
// bandwidth (docs/performance.md, session 31); it offers no split of the summed dimension that
// keeps one summation order. Here each block of a cluster of `split` sums its share of k into
// registers and writes it to its shared memory; each then adds the `split` shares of 128 /
// split of the tile's rows in rank order through distributed shared memory, the bias last:
// the same bits on every run, no atomics.
//
// Layouts: the input gradient's operands both lie along k, as wgmma reads them from shared
// memory (the copy engine brings each 32-position stage into the 128-byte swizzle). The
// forward's W lies along n, which Hopper's TF32 wgmma cannot take from shared memory, so the
// block computes the tile transposed, y^T = W^T x^T: W^T's fragments go from W's rows as they
// lie in shared memory straight into registers (as cuda_wgmma_weight_grad_kernel.cu takes
// x^T), x's block is wgmma's B as it lies, and the shares are written back transposed. Inputs
// are not rounded: wgmma reads a TF32 operand's upper 19 bits, as cuBLAS's sm90 TF32 kernels do.
//
// Torch-free (raw device pointers, sizes, a stream) so that the .cu compiles with plain nvcc.
// Compiled for sm_90a only, in the CUDA build only; on any other device the launch answers
// cudaErrorNoKernelImageForDevice before it queues anything. SeedGemmForward and
// SeedGemmInputGrad (cuda_seed_gemm.h) call it while a ScopedSplitKProducts is alive.
#ifndef SG_TRAINER_MODEL_CUDA_SPLIT_K_GEMM_KERNEL_H_
#define SG_TRAINER_MODEL_CUDA_SPLIT_K_GEMM_KERNEL_H_

#include <cuda_runtime_api.h>

#include <cstdint>

namespace sg {
namespace cuda_kernels {

// The output tile's side (n must be a multiple of it) and the summed positions a stage (each
// cluster rank's share of k must be a multiple of it).
constexpr int64_t kSplitKTile = 128;
constexpr int64_t kSplitKStage = 32;

struct SplitKGemmArgs {
  // Forward: c_s = a_s b_s (+ bias_s), a = x [m, k], b = W [k, n] (row k at b + k * ldb).
  // Input gradient: c_s = a_s b_s^T, a = dy [m, k], b = W [n, k] (row n at b + n * ldb).
  bool forward = true;
  const float* a = nullptr;  // seed s's row i at a + s * a_seed_stride + i * lda
  int64_t a_seed_stride = 0, lda = 0;
  const float* b = nullptr;  // seed s's matrix at b + s * b_seed_stride
  int64_t b_seed_stride = 0, ldb = 0;
  float* c = nullptr;        // seed s's row i at c + s * c_seed_stride + i * ldc
  int64_t c_seed_stride = 0, ldc = 0;
  const float* bias = nullptr;  // forward only (or null): seed s's n floats at + s * stride
  int64_t bias_seed_stride = 0;
  int64_t m = 0, n = 0, k = 0, seeds = 0;
  int split = 1;   // blocks a cluster: 1, 2 or 4
  int stages = 3;  // stages in flight a block: 3 (two blocks an SM) or 4 (one)
};

// Whether the kernel can run on `device` (compute capability 9.0, the sm_90a build present).
bool SplitKGemmRunsOn(int device);

// The split the chain's products take where none is given: the fewest blocks a cluster that
// make the output's tiles (seeds x ceil(m / tile) x n / tile) at least one block for each of
// the device's `sms`, where k allows it (at least two stages a share).
int SplitKFor(int64_t seeds, int64_t m, int64_t n, int64_t k, int sms);

// Queues the product on `stream`. cudaErrorInvalidValue, nothing queued, unless: seeds in
// [1, 65535]; m >= 1 with ceil(m / tile) <= 65535; n a positive multiple of kSplitKTile; split
// 1, 2 or 4 and k a positive multiple of split * kSplitKStage; stages 3 or 4; a, b, c (and bias)
// 16-byte aligned with every ld and seed stride a multiple of 4 floats; lda >= k, ldc >= n,
// ldb >= (forward ? n : k); bias only with forward. cudaErrorNoKernelImageForDevice where
// SplitKGemmRunsOn is false for the current device.
cudaError_t LaunchSplitKGemm(const SplitKGemmArgs& args, cudaStream_t stream);

}  // namespace cuda_kernels
}  // namespace sg

#endif  // SG_TRAINER_MODEL_CUDA_SPLIT_K_GEMM_KERNEL_H_
