// Compiled only against a CUDA LibTorch (trainer/CMakeLists.txt); see cuda_seed_gemm_pins.h.
#include "trainer/model/cuda_seed_gemm_pins.h"

namespace sg {
namespace seed_gemm {
namespace {

// Algorithm 43 (Hopper's TF32 kernels) with `tile` and `cluster`, its stages 32xAUTO, the
// rest at their defaults.
AlgoConfig Hopper(uint32_t tile, uint16_t cluster) {
  AlgoConfig c;
  c.id = 43;
  c.tile = tile;
  c.stages = CUBLASLT_MATMUL_STAGES_32xAUTO;
  c.cluster = cluster;
  return c;
}

// Algorithm 21 (Ampere's TF32 kernels, no clusters) with `tile` and `stages`.
AlgoConfig Ampere(uint32_t tile, uint32_t stages) {
  AlgoConfig c;
  c.id = 21;
  c.tile = tile;
  c.stages = stages;
  return c;
}

constexpr uint32_t kTile64x256 = CUBLASLT_MATMUL_TILE_64x256;
constexpr uint32_t kTile128x128 = CUBLASLT_MATMUL_TILE_128x128;
constexpr uint32_t kTile256x64 = CUBLASLT_MATMUL_TILE_256x64;
constexpr uint32_t kTile256x128 = CUBLASLT_MATMUL_TILE_256x128;
constexpr uint16_t kClusterAuto = CUBLASLT_CLUSTER_SHAPE_AUTO;
constexpr uint16_t kCluster2x1 = CUBLASLT_CLUSTER_SHAPE_2x1x1;
constexpr uint16_t kCluster4x1 = CUBLASLT_CLUSTER_SHAPE_4x1x1;
constexpr uint16_t kCluster1x2 = CUBLASLT_CLUSTER_SHAPE_1x2x1;
constexpr uint16_t kCluster2x2 = CUBLASLT_CLUSTER_SHAPE_2x2x1;
constexpr uint16_t kCluster1x4 = CUBLASLT_CLUSTER_SHAPE_1x4x1;

constexpr int64_t kRows = 256;  // a QF step's rows a seed: 4 lines of 64 positions

}  // namespace

// sg-gemm-bench --search on an H100 (docs/measurements/2026-12-06-session33: 10 seeds in
// run_s33a.sh, 16 in run_s33b.sh), us a product: the heuristic's first -> the pin. Where the
// heuristic's first was the fastest found there is no pin.
const std::vector<Pin>& Pins() {
  constexpr cublasOperation_t N = CUBLAS_OP_N, T = CUBLAS_OP_T;
  static const auto* pins = new std::vector<Pin>{
      // 10 seeds, forward: y^T [out, rows] = W^T x^T (+ bias)
      {N, N, 1536, kRows, 512, 10, Hopper(kTile256x128, kCluster1x4)},  // qkv 27.0 -> 25.6
      {N, N, 512, kRows, 512, 10, Hopper(kTile256x64, kCluster1x4)},    // out 14.6 -> 11.7
      {N, N, 2048, kRows, 512, 10, Hopper(kTile256x64, kCluster1x4)},   // W1 37.6 -> 33.4
      {N, N, 512, kRows, 2048, 10, Hopper(kTile128x128, kCluster2x2)},  // W2 34.6 -> 33.4
      // 10 seeds, input gradient: dx^T [in, rows] = W dy^T
      {T, N, 512, kRows, 1536, 10, Hopper(kTile128x128, kClusterAuto)},  // qkv 27.4 -> 26.2
      {T, N, 512, kRows, 512, 10, Hopper(kTile128x128, kCluster4x1)},    // out 14.4 -> 10.7
      {T, N, 512, kRows, 2048, 10, Hopper(kTile128x128, kCluster2x2)},   // W1 33.3 -> 31.7
      {T, N, 2048, kRows, 512, 10, Hopper(kTile64x256, kCluster4x1)},    // W2 36.9 -> 33.1
      // 16 seeds (the heuristic's first for the forward of qkv and W2, W1's input gradient)
      // out 17.5 -> 16.7
      {N, N, 512, kRows, 512, 16, Ampere(kTile128x128, CUBLASLT_MATMUL_STAGES_32x5)},
      {N, N, 2048, kRows, 512, 16, Hopper(kTile256x128, kCluster1x2)},  // W1 51.2 -> 46.9
      {T, N, 512, kRows, 1536, 16, Hopper(kTile64x256, kCluster2x1)},   // qkv 37.4 -> 36.6
      // out 17.4 -> 16.1
      {T, N, 512, kRows, 512, 16, Ampere(kTile128x128, CUBLASLT_MATMUL_STAGES_32x3)},
      {T, N, 2048, kRows, 512, 16, Hopper(kTile64x256, kCluster2x1)},   // W2 51.0 -> 46.1
  };
  return *pins;
}

const AlgoConfig* PinnedConfig(const Product& p, bool tf32, const DeviceKind& device) {
  if (!tf32 || device.major != 9 || device.minor != 0 || device.multiprocessors != 132) {
    return nullptr;
  }
  for (const Pin& pin : Pins()) {
    if (pin.op_a == p.op_a && pin.op_b == p.op_b && pin.m == p.m && pin.n == p.n &&
        pin.k == p.k && pin.batch == p.batch) {
      return &pin.config;
    }
  }
  return nullptr;
}

}  // namespace seed_gemm
}  // namespace sg
