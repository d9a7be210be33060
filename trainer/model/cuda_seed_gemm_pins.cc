// Compiled only against a CUDA LibTorch (trainer/CMakeLists.txt); see cuda_seed_gemm_pins.h.
#include "trainer/model/cuda_seed_gemm_pins.h"

#include <ATen/cuda/CUDAContext.h>

#include <utility>

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

constexpr char kH200PinsText[] =
#include "trainer/model/cuda_seed_gemm_pins_h200.inc"
    ;

// The table that replaced the compiled one (SetReplacedPins), or null.
std::vector<Pin>*& Replaced() {
  static std::vector<Pin>* replaced = nullptr;
  return replaced;
}

}  // namespace

// sg-gemm-bench --search on an H100 (docs/measurements/2026-12-06-session33: 10 seeds in
// run_s33a.sh, 16 in run_s33b.sh), us a product: the heuristic's first -> the pin. Where the
// heuristic's first was the fastest found there is no pin.
const std::vector<Pin>& Pins() {
  if (Replaced() != nullptr) return *Replaced();
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

const std::vector<Pin>* H200Pins() {
  static const std::vector<Pin>* pins = [] {
    absl::StatusOr<std::vector<GemmPinText>> text = ParseGemmPins(kH200PinsText);
    // The file is compiled in: a table that does not parse is a broken build.
    TORCH_CHECK(text.ok(), "cuda_seed_gemm_pins_h200.inc: ",
                std::string(text.status().message()));
    if (text->empty()) return static_cast<std::vector<Pin>*>(nullptr);
    auto* table = new std::vector<Pin>;
    for (const GemmPinText& t : *text) table->push_back(PinFromText(t));
    return table;
  }();
  return pins;
}

DeviceKind KindOf(int device_index) {
  const cudaDeviceProp* prop = at::cuda::getDeviceProperties(device_index);
  return DeviceKind{prop->major, prop->minor, prop->multiProcessorCount, prop->name};
}

const std::vector<Pin>* PinsFor(const DeviceKind& device) {
  if (Replaced() != nullptr) return Replaced();
  if (device.major != 9 || device.minor != 0 || device.multiprocessors != 132) return nullptr;
  if (device.name == kH200Name && H200Pins() != nullptr) return H200Pins();
  return &Pins();
}

void SetReplacedPins(std::optional<std::vector<Pin>> pins) {
  delete Replaced();
  Replaced() = pins.has_value() ? new std::vector<Pin>(std::move(*pins)) : nullptr;
}

const AlgoConfig* PinnedConfig(const Product& p, bool tf32, const DeviceKind& device) {
  const std::vector<Pin>* pins = PinsFor(device);
  if (!tf32 || pins == nullptr) return nullptr;
  for (const Pin& pin : *pins) {
    if (pin.op_a == p.op_a && pin.op_b == p.op_b && pin.m == p.m && pin.n == p.n &&
        pin.k == p.k && pin.batch == p.batch) {
      return &pin.config;
    }
  }
  return nullptr;
}

Pin PinFromText(const GemmPinText& t) {
  Pin p;
  p.op_a = t.transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  p.op_b = t.transpose_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  p.m = t.m, p.n = t.n, p.k = t.k, p.batch = t.batch;
  // ParseGemmPins keeps each field in its type's range.
  p.config.id = static_cast<int32_t>(t.id);
  p.config.tile = static_cast<uint32_t>(t.tile);
  p.config.stages = static_cast<uint32_t>(t.stages);
  p.config.split_k = static_cast<int32_t>(t.split_k);
  p.config.reduction = static_cast<uint32_t>(t.reduction);
  p.config.swizzle = static_cast<uint32_t>(t.swizzle);
  p.config.custom = static_cast<uint32_t>(t.custom);
  p.config.inner_shape = static_cast<uint16_t>(t.inner);
  p.config.cluster = static_cast<uint16_t>(t.cluster);
  return p;
}

GemmPinText TextOfPin(const Pin& p) {
  GemmPinText t;
  t.transpose_a = p.op_a == CUBLAS_OP_T;
  t.transpose_b = p.op_b == CUBLAS_OP_T;
  t.m = p.m, t.n = p.n, t.k = p.k, t.batch = p.batch;
  t.id = p.config.id, t.tile = p.config.tile, t.stages = p.config.stages;
  t.split_k = p.config.split_k, t.reduction = p.config.reduction;
  t.swizzle = p.config.swizzle, t.custom = p.config.custom;
  t.inner = p.config.inner_shape, t.cluster = p.config.cluster;
  return t;
}

}  // namespace seed_gemm
}  // namespace sg
