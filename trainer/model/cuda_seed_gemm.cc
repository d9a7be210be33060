// Compiled only against a CUDA LibTorch (trainer/CMakeLists.txt); see cuda_seed_gemm.h.
#include "trainer/model/cuda_seed_gemm.h"

#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <climits>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "trainer/model/cuda_seed_gemm_pins.h"
#include "trainer/model/cuda_seed_gemm_plan.h"
#include "trainer/model/cuda_weight_grad_sums.h"
#include "trainer/model/cuda_wgmma_weight_grad_kernel.h"

namespace sg {
namespace {

using seed_gemm::Product;

// A product's descriptors and the heuristic's first algorithm (none: LibTorch serves the
// shape), kept for the process: the heuristic's answer depends only on what the key holds.
using PlanKey = std::tuple<int, int, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                           int64_t, int64_t, int64_t, int64_t, int64_t, bool, bool, int>;

std::mutex& PlanMutex() {
  static std::mutex* mu = new std::mutex;
  return *mu;
}

std::map<PlanKey, seed_gemm::Ranked>& Plans() {
  static auto* plans = new std::map<PlanKey, seed_gemm::Ranked>;
  return *plans;
}

PlanKey KeyOf(const Product& p, bool tf32, const torch::Device& device) {
  return PlanKey{p.op_a,      p.op_b, p.m,        p.n,   p.k,        p.lda,
                 p.stride_a,  p.ldb,  p.stride_b, p.ldd, p.stride_d, p.batch,
                 p.bias_stride, p.bias != nullptr, tf32, static_cast<int>(device.index())};
}

// p's plan, made on first use: the pin where there is one and cuBLASLt runs it here
// (cuda_seed_gemm_pins.h), else the heuristic's first; either a named kernel, the same in
// every process. A pin cuBLASLt refuses is said once a plan (a warning), not passed over
// silently: a table timed by sg-bench --gemm-pins would otherwise be labelled with kernels it
// did not run. Called with PlanMutex() held, on `device`.
const seed_gemm::Ranked& PlanFor(const Product& p, bool tf32, const torch::Device& device,
                                 cublasLtHandle_t handle) {
  const PlanKey key = KeyOf(p, tf32, device);
  auto it = Plans().find(key);
  if (it == Plans().end()) {
    seed_gemm::Ranked ranked = seed_gemm::RankAlgorithms(handle, p, tf32, /*count=*/1);
    const seed_gemm::DeviceKind kind = seed_gemm::KindOf(device.index());
    cublasLtMatmulHeuristicResult_t pinned;
    if (const seed_gemm::AlgoConfig* pin = seed_gemm::PinnedConfig(p, tf32, kind)) {
      if (seed_gemm::Configure(handle, ranked, *pin, tf32, &pinned)) {
        ranked.algos.assign(1, pinned);
      } else {
        TORCH_WARN("cuBLASLt does not run the pinned configuration ", seed_gemm::Describe(*pin),
                   " for the product m ", p.m, " n ", p.n, " k ", p.k, " x ", p.batch,
                   " on ", kind.name, ": it takes the heuristic's first");
      }
    }
    it = Plans().emplace(key, ranked).first;
  }
  return it->second;
}

// Runs p on the current stream; false where cuBLASLt offers no algorithm for it or an operand
// is not aligned as the plans assume.
bool Run(const Product& p, const torch::Device& device) {
  for (int64_t v : {p.m, p.n, p.k, p.batch}) {
    if (v < 1 || v > INT32_MAX) return false;
  }
  if (!seed_gemm::Aligned(p)) return false;
  c10::cuda::CUDAGuard guard(device);
  const bool tf32 = at::globalContext().allowTF32CuBLAS();
  cublasLtHandle_t handle = at::cuda::getCurrentCUDABlasLtHandle();
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream(device.index()).stream();
  // Held while the product is queued: the bias pointer is an attribute of the shared descriptor.
  std::lock_guard<std::mutex> lock(PlanMutex());
  const seed_gemm::Ranked& plan = PlanFor(p, tf32, device, handle);
  if (plan.algos.empty()) return false;
  const cublasLtMatmulHeuristicResult_t& first = plan.algos.front();
  // From the caching allocator on the current stream (in a captured graph, from the graph's
  // pool), so the two streams' products never share a workspace.
  torch::Tensor workspace;
  if (first.workspaceSize > 0) {
    workspace = torch::empty({static_cast<int64_t>(first.workspaceSize)},
                             torch::TensorOptions().dtype(torch::kUInt8).device(device));
  }
  seed_gemm::Enqueue(handle, plan, first, p,
                     first.workspaceSize > 0 ? workspace.data_ptr() : nullptr, stream);
  return true;
}

// fp32 CUDA [S, N, c] contiguous.
bool ServesActivation(const torch::Tensor& t) {
  return t.is_cuda() && t.scalar_type() == torch::kFloat32 && t.dim() == 3 && t.is_contiguous();
}

// fp32 CUDA [S, r, c] with contiguous inner matrices, any seed stride.
bool ServesWeight(const torch::Tensor& w) {
  return w.is_cuda() && w.scalar_type() == torch::kFloat32 && w.dim() == 3 && w.stride(2) == 1 &&
         w.stride(1) == w.size(2) && w.stride(0) >= w.size(1) * w.size(2);
}

// dw = x^T dy by our wgmma kernel with its tiles' sums of squares claimed in `sums`
// (cuda_weight_grad_sums.h); false, nothing queued, where the kernel does not serve.
bool WgmmaWeightGrad(const torch::Tensor& x, const torch::Tensor& dy, torch::Tensor& dw,
                     WeightGradSums& sums, torch::Tensor* db, bool* wrote_db) {
  const int64_t S = x.size(0), N = x.size(1), in = x.size(2), out = dy.size(2);
  const int64_t tile = cuda_kernels::kWgmmaWeightGradTile;
  auto aligned = [](const torch::Tensor& t) {
    return reinterpret_cast<uintptr_t>(t.data_ptr()) % 16 == 0;
  };
  if (!at::globalContext().allowTF32CuBLAS() || in % tile != 0 || out % tile != 0 ||
      S > 65535 || dw.stride(0) % 4 != 0 || !aligned(x) || !aligned(dy) || !aligned(dw) ||
      sums.sums().device() != x.device()) {
    return false;
  }
  c10::cuda::CUDAGuard guard(x.device());
  if (!cuda_kernels::WgmmaWeightGradRunsOn(x.device().index())) return false;
  float* tile_sums = sums.Claim(dw, cuda_kernels::WgmmaWeightGradTiles(in, out));
  if (tile_sums == nullptr) return false;
  cuda_kernels::WgmmaWeightGradArgs a;
  a.x = x.data_ptr<float>();
  a.x_seed_stride = N * in;
  a.x_ld = in;
  a.dy = dy.data_ptr<float>();
  a.dy_seed_stride = N * out;
  a.dy_ld = out;
  a.rows = N;
  a.seeds = S;
  a.p = in;
  a.q = out;
  a.dw = dw.data_ptr<float>();
  a.dw_seed_stride = dw.stride(0);
  a.tile_sums = tile_sums;
  a.tile_sums_seed_stride = sums.capacity();
  const bool with_db = db != nullptr && db->defined() && db->is_cuda() &&
                       db->scalar_type() == torch::kFloat32 && db->is_contiguous() &&
                       db->dim() == 2 && db->size(0) == S && db->size(1) == out &&
                       db->device() == x.device();
  if (with_db) {
    a.db = db->data_ptr<float>();
    a.db_seed_stride = out;
  }
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream(x.device().index()).stream();
  const cudaError_t err = cuda_kernels::LaunchWgmmaWeightGrad(a, stream);
  // The checks above are the launch's own, so a failure here is a fault, not a shape to skip:
  // its columns are claimed and the norm would count them.
  TORCH_CHECK(err == cudaSuccess, "wgmma weight gradient: ", cudaGetErrorString(err));
  if (wrote_db != nullptr) *wrote_db = with_db;
  return true;
}

}  // namespace

namespace seed_gemm {

AlgoConfig PlannedConfig(const Product& p, const torch::Device& device) {
  c10::cuda::CUDAGuard guard(device);
  const bool tf32 = at::globalContext().allowTF32CuBLAS();
  std::lock_guard<std::mutex> lock(PlanMutex());
  const Ranked& plan = PlanFor(p, tf32, device, at::cuda::getCurrentCUDABlasLtHandle());
  return plan.algos.empty() ? AlgoConfig() : ConfigOf(plan.algos.front().algo);
}

}  // namespace seed_gemm

bool SeedGemmAvailable() { return true; }

namespace {

// Swaps the pins' table and drops every plan, so each product is planned from the new table at
// its next use. Destroying a plan's descriptors leaves captured graphs alone: they hold kernel
// launches, not descriptors.
void SwapPinTable(std::optional<std::vector<seed_gemm::Pin>> pins) {
  std::lock_guard<std::mutex> lock(PlanMutex());
  for (auto& [key, plan] : Plans()) seed_gemm::Destroy(&plan);
  Plans().clear();
  seed_gemm::SetReplacedPins(std::move(pins));
}

}  // namespace

absl::Status ReplaceSeedGemmPins(const std::vector<GemmPinText>& pins) {
  std::vector<seed_gemm::Pin> table;
  table.reserve(pins.size());
  for (const GemmPinText& t : pins) table.push_back(seed_gemm::PinFromText(t));
  SwapPinTable(std::move(table));
  return absl::OkStatus();
}

void RestoreSeedGemmPins() { SwapPinTable(std::nullopt); }

std::vector<GemmPinText> SeedGemmPinsInForce(const torch::Device& device) {
  std::lock_guard<std::mutex> lock(PlanMutex());
  const std::vector<seed_gemm::Pin>* pins =
      device.is_cuda() ? seed_gemm::PinsFor(seed_gemm::KindOf(device.has_index() ? device.index()
                                                                                  : 0))
                       : &seed_gemm::Pins();
  std::vector<GemmPinText> out;
  if (pins != nullptr) {
    for (const seed_gemm::Pin& p : *pins) out.push_back(seed_gemm::TextOfPin(p));
  }
  return out;
}

bool SeedGemmForward(const torch::Tensor& x, const torch::Tensor& wt, const torch::Tensor& bias,
                     torch::Tensor* y) {
  if (!ServesActivation(x) || !ServesWeight(wt) || x.device() != wt.device()) return false;
  const int64_t S = x.size(0), N = x.size(1), in = x.size(2), out = wt.size(2);
  if (wt.size(0) != S || wt.size(1) != in) return false;
  if (bias.defined() &&
      (!bias.is_cuda() || bias.scalar_type() != torch::kFloat32 || bias.dim() != 2 ||
       bias.size(0) != S || bias.size(1) != out || bias.stride(1) != 1 ||
       bias.device() != x.device())) {
    return false;
  }
  torch::Tensor result = torch::empty({S, N, out}, x.options());
  if (!Run(seed_gemm::ForwardProduct(x, wt, bias, result), x.device())) return false;
  *y = result;
  return true;
}

bool SeedGemmInputGrad(const torch::Tensor& dy, const torch::Tensor& wt, torch::Tensor* dx,
                       const torch::Tensor& addend) {
  if (!ServesActivation(dy) || !ServesWeight(wt) || dy.device() != wt.device()) return false;
  const int64_t S = dy.size(0), N = dy.size(1), out = dy.size(2), in = wt.size(1);
  if (wt.size(0) != S || wt.size(2) != out) return false;
  if (addend.defined() && (!ServesActivation(addend) || addend.device() != dy.device() ||
                           addend.sizes() != torch::IntArrayRef({S, N, in}))) {
    return false;
  }
  // A tensor of its own even with an addend: the addend may be another node's gradient too
  // (a residual without dropout hands both inputs one tensor), which the side stream may
  // still be reading.
  torch::Tensor result = torch::empty({S, N, in}, dy.options());
  if (!Run(seed_gemm::InputGradProduct(dy, wt, result, addend), dy.device())) return false;
  *dx = result;
  return true;
}

bool SeedGemmWeightGrad(const torch::Tensor& x, const torch::Tensor& dy, torch::Tensor& dw,
                        bool transpose_x, torch::Tensor* db, bool* wrote_db) {
  if (wrote_db != nullptr) *wrote_db = false;
  if (!ServesActivation(x) || !ServesActivation(dy) || !ServesWeight(dw) ||
      x.device() != dy.device() || dw.device() != x.device()) {
    return false;
  }
  const int64_t S = x.size(0), N = x.size(1), in = x.size(2), out = dy.size(2);
  if (dy.size(0) != S || dy.size(1) != N || dw.size(0) != S || dw.size(1) != in ||
      dw.size(2) != out) {
    return false;
  }
  if (!transpose_x) {
    WeightGradSums* sums = ActiveWeightGradSums(x.device().index());
    if (sums != nullptr && WgmmaWeightGrad(x, dy, dw, *sums, db, wrote_db)) return true;
    return Run(seed_gemm::WeightGradProduct(x, dy, dw), x.device());
  }
  // x^T as its own contiguous tensor, so the product is "nn" (sm90 kernels) rather than "nt"
  // (sm80 kernels on Hopper). Allocated on the current stream, as Run's workspace is (on the
  // side stream in the side-stream backward, in a captured graph from the graph's pool): the
  // block is then that stream's, so when xt goes out of scope below, with the GEMM only queued,
  // the caching allocator hands its memory only to that stream's later work, which runs after
  // the GEMM. The copy itself runs on that stream too, after whatever x waited for.
  torch::Tensor xt = x.transpose(1, 2).contiguous();
  return Run(seed_gemm::WeightGradProductFromTransposed(xt, dy, dw), x.device());
}

}  // namespace sg
