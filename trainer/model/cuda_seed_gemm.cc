// Compiled only against a CUDA LibTorch (trainer/CMakeLists.txt); see cuda_seed_gemm.h.
#include "trainer/model/cuda_seed_gemm.h"

#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cublasLt.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <tuple>

namespace sg {
namespace {

// The most workspace an algorithm may ask for. It is allocated per product from the caching
// allocator on the current stream (in a captured graph, from the graph's pool), so the two
// streams' products never share one.
constexpr size_t kMaxWorkspaceBytes = size_t{4} << 20;

// One column-major strided-batched product D = op(A) op(B) (+ bias), as cuBLASLt takes it.
// Row-major [r, c] is column-major [c, r] with leading dimension c.
struct Problem {
  cublasOperation_t op_a = CUBLAS_OP_N, op_b = CUBLAS_OP_N;
  int64_t m = 0, n = 0, k = 0;
  const float* a = nullptr;
  int64_t lda = 0, stride_a = 0;
  const float* b = nullptr;
  int64_t ldb = 0, stride_b = 0;
  float* d = nullptr;
  int64_t ldd = 0, stride_d = 0;
  int64_t batch = 0;
  const float* bias = nullptr;  // [m] a batch, at bias_stride
  int64_t bias_stride = 0;
};

// The alignment the heuristic is told for every operand, and the least each must have (else
// LibTorch serves): 16 bytes, what the tensor-core kernels' vector loads need. Fixed rather
// than each pointer's own, so the choice never depends on where the allocator put an
// activation: two trainers of one pack (an uninterrupted run and a resumed one) pick the same
// kernels and take the same bits.
constexpr uint32_t kAlignmentBytes = 16;

// Whether every address of a batched operand is kAlignmentBytes-aligned.
bool Aligned(const void* p, int64_t stride_floats) {
  const uint64_t bits =
      reinterpret_cast<uint64_t>(p) | static_cast<uint64_t>(stride_floats) * sizeof(float);
  return bits % kAlignmentBytes == 0;
}

// A product's descriptors and the heuristic's first algorithm, kept for the process: the
// heuristic's answer depends only on what the key holds.
struct Plan {
  bool ok = false;  // false: cuBLASLt offered nothing; LibTorch serves this shape
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t la = nullptr, lb = nullptr, ld = nullptr;
  cublasLtMatmulAlgo_t algo{};
  size_t workspace = 0;
};

using PlanKey = std::tuple<int, int, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                           int64_t, int64_t, int64_t, int64_t, int64_t, bool, bool, int>;

std::mutex& PlanMutex() {
  static std::mutex* mu = new std::mutex;
  return *mu;
}

std::map<PlanKey, Plan>& Plans() {
  static std::map<PlanKey, Plan>* plans = new std::map<PlanKey, Plan>;
  return *plans;
}

void CheckLt(cublasStatus_t status, const char* what) {
  TORCH_CHECK(status == CUBLAS_STATUS_SUCCESS, "cuBLASLt ", what, " failed with status ",
              static_cast<int>(status));
}

cublasLtMatrixLayout_t Layout(int64_t rows, int64_t cols, int64_t ld, int64_t stride,
                              int64_t batch) {
  cublasLtMatrixLayout_t layout = nullptr;
  CheckLt(cublasLtMatrixLayoutCreate(&layout, CUDA_R_32F, static_cast<uint64_t>(rows),
                                     static_cast<uint64_t>(cols), ld),
          "matrix layout");
  const int32_t count = static_cast<int32_t>(batch);
  CheckLt(cublasLtMatrixLayoutSetAttribute(layout, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count,
                                           sizeof(count)),
          "batch count");
  CheckLt(cublasLtMatrixLayoutSetAttribute(layout, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET,
                                           &stride, sizeof(stride)),
          "batch stride");
  return layout;
}

void SetPreference(cublasLtMatmulPreference_t pref, cublasLtMatmulPreferenceAttributes_t attr,
                   uint32_t value) {
  CheckLt(cublasLtMatmulPreferenceSetAttribute(pref, attr, &value, sizeof(value)), "preference");
}

Plan MakePlan(cublasLtHandle_t handle, const Problem& p, bool tf32) {
  Plan plan;
  CheckLt(cublasLtMatmulDescCreate(&plan.desc,
                                   tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F,
                                   CUDA_R_32F),
          "matmul descriptor");
  CheckLt(cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_TRANSA, &p.op_a,
                                         sizeof(p.op_a)),
          "transa");
  CheckLt(cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_TRANSB, &p.op_b,
                                         sizeof(p.op_b)),
          "transb");
  if (p.bias != nullptr) {
    const cublasLtEpilogue_t epilogue = CUBLASLT_EPILOGUE_BIAS;
    CheckLt(cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_EPILOGUE, &epilogue,
                                           sizeof(epilogue)),
            "epilogue");
    CheckLt(cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_BIAS_BATCH_STRIDE,
                                           &p.bias_stride, sizeof(p.bias_stride)),
            "bias batch stride");
    CheckLt(cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER,
                                           &p.bias, sizeof(p.bias)),
            "bias pointer");
  }
  const bool ta = p.op_a != CUBLAS_OP_N, tb = p.op_b != CUBLAS_OP_N;
  plan.la = Layout(ta ? p.k : p.m, ta ? p.m : p.k, p.lda, p.stride_a, p.batch);
  plan.lb = Layout(tb ? p.n : p.k, tb ? p.k : p.n, p.ldb, p.stride_b, p.batch);
  plan.ld = Layout(p.m, p.n, p.ldd, p.stride_d, p.batch);
  cublasLtMatmulPreference_t pref = nullptr;
  CheckLt(cublasLtMatmulPreferenceCreate(&pref), "preference");
  const size_t workspace = kMaxWorkspaceBytes;
  CheckLt(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                               &workspace, sizeof(workspace)),
          "workspace");
  SetPreference(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, kAlignmentBytes);
  SetPreference(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, kAlignmentBytes);
  SetPreference(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, kAlignmentBytes);
  SetPreference(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, kAlignmentBytes);
  // No split-K reductions: each output element summed over k by one block, in one order.
  SetPreference(pref, CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK, CUBLASLT_REDUCTION_SCHEME_NONE);
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  const cublasStatus_t status = cublasLtMatmulAlgoGetHeuristic(
      handle, plan.desc, plan.la, plan.lb, plan.ld, plan.ld, pref, 1, &result, &found);
  cublasLtMatmulPreferenceDestroy(pref);
  if (status == CUBLAS_STATUS_SUCCESS && found > 0 && result.state == CUBLAS_STATUS_SUCCESS) {
    plan.ok = true;
    plan.algo = result.algo;
    plan.workspace = result.workspaceSize;
  }
  return plan;
}

// Runs p on the current stream; false where cuBLASLt offers no algorithm for it.
bool Run(const Problem& p, const torch::Device& device) {
  for (int64_t v : {p.m, p.n, p.k, p.batch}) {
    if (v < 1 || v > INT32_MAX) return false;
  }
  c10::cuda::CUDAGuard guard(device);
  const bool tf32 = at::globalContext().allowTF32CuBLAS();
  if (!Aligned(p.a, p.stride_a) || !Aligned(p.b, p.stride_b) || !Aligned(p.d, p.stride_d) ||
      (p.bias != nullptr && !Aligned(p.bias, p.bias_stride))) {
    return false;
  }
  const PlanKey key{p.op_a,  p.op_b,     p.m,   p.n,      p.k,     p.lda,
                    p.stride_a, p.ldb,   p.stride_b, p.ldd, p.stride_d, p.batch,
                    p.bias_stride, p.bias != nullptr, tf32, static_cast<int>(device.index())};
  cublasLtHandle_t handle = at::cuda::getCurrentCUDABlasLtHandle();
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream(device.index()).stream();
  // Held while the product is queued: the bias pointer is an attribute of the shared descriptor.
  std::lock_guard<std::mutex> lock(PlanMutex());
  auto it = Plans().find(key);
  if (it == Plans().end()) {
    it = Plans().emplace(key, MakePlan(handle, p, tf32))
             .first;
  }
  const Plan& plan = it->second;
  if (!plan.ok) return false;
  if (p.bias != nullptr) {
    CheckLt(cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &p.bias,
                                           sizeof(p.bias)),
            "bias pointer");
  }
  torch::Tensor workspace;
  if (plan.workspace > 0) {
    workspace = torch::empty({static_cast<int64_t>(plan.workspace)},
                             torch::TensorOptions().dtype(torch::kUInt8).device(device));
  }
  const float one = 1.0f, zero = 0.0f;
  CheckLt(cublasLtMatmul(handle, plan.desc, &one, p.a, plan.la, p.b, plan.lb, &zero, p.d,
                         plan.ld, p.d, plan.ld, &plan.algo,
                         plan.workspace > 0 ? workspace.data_ptr() : nullptr, plan.workspace,
                         stream),
          "matmul");
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

}  // namespace

bool SeedGemmAvailable() { return true; }

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
  // y^T [out, N] = W^T x^T: W [in, out] row-major is [out, in] column-major.
  Problem p;
  p.m = out, p.n = N, p.k = in, p.batch = S;
  p.a = wt.data_ptr<float>(), p.lda = out, p.stride_a = wt.stride(0);
  p.b = x.data_ptr<float>(), p.ldb = in, p.stride_b = N * in;
  p.d = result.data_ptr<float>(), p.ldd = out, p.stride_d = N * out;
  if (bias.defined()) p.bias = bias.data_ptr<float>(), p.bias_stride = bias.stride(0);
  if (!Run(p, x.device())) return false;
  *y = result;
  return true;
}

bool SeedGemmInputGrad(const torch::Tensor& dy, const torch::Tensor& wt, torch::Tensor* dx) {
  if (!ServesActivation(dy) || !ServesWeight(wt) || dy.device() != wt.device()) return false;
  const int64_t S = dy.size(0), N = dy.size(1), out = dy.size(2), in = wt.size(1);
  if (wt.size(0) != S || wt.size(2) != out) return false;
  torch::Tensor result = torch::empty({S, N, in}, dy.options());
  // dx^T [in, N] = W dy^T: W read as [out, in] column-major, transposed.
  Problem p;
  p.op_a = CUBLAS_OP_T;
  p.m = in, p.n = N, p.k = out, p.batch = S;
  p.a = wt.data_ptr<float>(), p.lda = out, p.stride_a = wt.stride(0);
  p.b = dy.data_ptr<float>(), p.ldb = out, p.stride_b = N * out;
  p.d = result.data_ptr<float>(), p.ldd = in, p.stride_d = N * in;
  if (!Run(p, dy.device())) return false;
  *dx = result;
  return true;
}

bool SeedGemmWeightGrad(const torch::Tensor& x, const torch::Tensor& dy, torch::Tensor& dw) {
  if (!ServesActivation(x) || !ServesActivation(dy) || !ServesWeight(dw) ||
      x.device() != dy.device() || dw.device() != x.device()) {
    return false;
  }
  const int64_t S = x.size(0), N = x.size(1), in = x.size(2), out = dy.size(2);
  if (dy.size(0) != S || dy.size(1) != N || dw.size(0) != S || dw.size(1) != in ||
      dw.size(2) != out) {
    return false;
  }
  // dW^T [out, in] = dy^T x: dy [N, out] row-major is [out, N] column-major; x [N, in] is
  // [in, N] column-major, transposed.
  Problem p;
  p.op_b = CUBLAS_OP_T;
  p.m = out, p.n = in, p.k = N, p.batch = S;
  p.a = dy.data_ptr<float>(), p.lda = out, p.stride_a = N * out;
  p.b = x.data_ptr<float>(), p.ldb = in, p.stride_b = N * in;
  p.d = dw.data_ptr<float>(), p.ldd = out, p.stride_d = dw.stride(0);
  return Run(p, x.device());
}

}  // namespace sg
