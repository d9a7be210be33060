// Compiled only against a CUDA LibTorch (trainer/CMakeLists.txt); see cuda_seed_gemm_plan.h.
#include "trainer/model/cuda_seed_gemm_plan.h"

#include <cstdio>
#include <tuple>

namespace sg {
namespace seed_gemm {
namespace {

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

bool AlignedOperand(const void* p, int64_t stride_floats) {
  const uint64_t bits =
      reinterpret_cast<uint64_t>(p) | static_cast<uint64_t>(stride_floats) * sizeof(float);
  return bits % kAlignmentBytes == 0;
}

}  // namespace

Product ForwardProduct(const torch::Tensor& x, const torch::Tensor& wt,
                       const torch::Tensor& bias, const torch::Tensor& y) {
  const int64_t S = x.size(0), N = x.size(1), in = x.size(2), out = wt.size(2);
  // y^T [out, N] = W^T x^T: W [in, out] row-major is [out, in] column-major.
  Product p;
  p.m = out, p.n = N, p.k = in, p.batch = S;
  p.a = wt.data_ptr<float>(), p.lda = out, p.stride_a = wt.stride(0);
  p.b = x.data_ptr<float>(), p.ldb = in, p.stride_b = N * in;
  p.d = y.data_ptr<float>(), p.ldd = out, p.stride_d = N * out;
  if (bias.defined()) p.bias = bias.data_ptr<float>(), p.bias_stride = bias.stride(0);
  return p;
}

Product InputGradProduct(const torch::Tensor& dy, const torch::Tensor& wt,
                         const torch::Tensor& dx, const torch::Tensor& addend) {
  const int64_t S = dy.size(0), N = dy.size(1), out = dy.size(2), in = wt.size(1);
  // dx^T [in, N] = W dy^T: W read as [out, in] column-major, transposed.
  Product p;
  p.op_a = CUBLAS_OP_T;
  p.m = in, p.n = N, p.k = out, p.batch = S;
  p.a = wt.data_ptr<float>(), p.lda = out, p.stride_a = wt.stride(0);
  p.b = dy.data_ptr<float>(), p.ldb = out, p.stride_b = N * out;
  p.d = dx.data_ptr<float>(), p.ldd = in, p.stride_d = N * in;
  if (addend.defined()) p.c = addend.data_ptr<float>();  // [S, N, in] contiguous, as dx
  return p;
}

Product WeightGradProduct(const torch::Tensor& x, const torch::Tensor& dy,
                          const torch::Tensor& dw) {
  const int64_t S = x.size(0), N = x.size(1), in = x.size(2), out = dy.size(2);
  // dW^T [out, in] = dy^T x: dy [N, out] row-major is [out, N] column-major; x [N, in] is
  // [in, N] column-major, transposed.
  Product p;
  p.op_b = CUBLAS_OP_T;
  p.m = out, p.n = in, p.k = N, p.batch = S;
  p.a = dy.data_ptr<float>(), p.lda = out, p.stride_a = N * out;
  p.b = x.data_ptr<float>(), p.ldb = in, p.stride_b = N * in;
  p.d = dw.data_ptr<float>(), p.ldd = out, p.stride_d = dw.stride(0);
  return p;
}

Product WeightGradProductFromTransposed(const torch::Tensor& xt, const torch::Tensor& dy,
                                        const torch::Tensor& dw) {
  const int64_t S = xt.size(0), in = xt.size(1), N = xt.size(2), out = dy.size(2);
  // dW^T [out, in] = dy^T x: xt [in, N] row-major is x as [N, in] column-major, untransposed.
  Product p;
  p.m = out, p.n = in, p.k = N, p.batch = S;
  p.a = dy.data_ptr<float>(), p.lda = out, p.stride_a = N * out;
  p.b = xt.data_ptr<float>(), p.ldb = N, p.stride_b = in * N;
  p.d = dw.data_ptr<float>(), p.ldd = out, p.stride_d = dw.stride(0);
  return p;
}

bool Aligned(const Product& p) {
  return AlignedOperand(p.a, p.stride_a) && AlignedOperand(p.b, p.stride_b) &&
         AlignedOperand(p.d, p.stride_d) &&
         (p.c == nullptr || AlignedOperand(p.c, p.stride_d)) &&
         (p.bias == nullptr || AlignedOperand(p.bias, p.bias_stride));
}

Ranked RankAlgorithms(cublasLtHandle_t handle, const Product& p, bool tf32, int count,
                      bool split_k) {
  Ranked r;
  CheckLt(cublasLtMatmulDescCreate(&r.desc,
                                   tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F,
                                   CUDA_R_32F),
          "matmul descriptor");
  CheckLt(cublasLtMatmulDescSetAttribute(r.desc, CUBLASLT_MATMUL_DESC_TRANSA, &p.op_a,
                                         sizeof(p.op_a)),
          "transa");
  CheckLt(cublasLtMatmulDescSetAttribute(r.desc, CUBLASLT_MATMUL_DESC_TRANSB, &p.op_b,
                                         sizeof(p.op_b)),
          "transb");
  if (p.bias != nullptr) {
    const cublasLtEpilogue_t epilogue = CUBLASLT_EPILOGUE_BIAS;
    CheckLt(cublasLtMatmulDescSetAttribute(r.desc, CUBLASLT_MATMUL_DESC_EPILOGUE, &epilogue,
                                           sizeof(epilogue)),
            "epilogue");
    CheckLt(cublasLtMatmulDescSetAttribute(r.desc, CUBLASLT_MATMUL_DESC_BIAS_BATCH_STRIDE,
                                           &p.bias_stride, sizeof(p.bias_stride)),
            "bias batch stride");
    CheckLt(cublasLtMatmulDescSetAttribute(r.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &p.bias,
                                           sizeof(p.bias)),
            "bias pointer");
  }
  const bool ta = p.op_a != CUBLAS_OP_N, tb = p.op_b != CUBLAS_OP_N;
  r.la = Layout(ta ? p.k : p.m, ta ? p.m : p.k, p.lda, p.stride_a, p.batch);
  r.lb = Layout(tb ? p.n : p.k, tb ? p.k : p.n, p.ldb, p.stride_b, p.batch);
  r.ld = Layout(p.m, p.n, p.ldd, p.stride_d, p.batch);
  cublasLtMatmulPreference_t pref = nullptr;
  CheckLt(cublasLtMatmulPreferenceCreate(&pref), "preference");
  const size_t workspace = kMaxWorkspaceBytes;
  CheckLt(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                               &workspace, sizeof(workspace)),
          "workspace");
  for (auto attr : {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES,
                    CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES,
                    CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES,
                    CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES}) {
    SetPreference(pref, attr, kAlignmentBytes);
  }
  SetPreference(pref, CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK,
                split_k ? CUBLASLT_REDUCTION_SCHEME_MASK : CUBLASLT_REDUCTION_SCHEME_NONE);
  r.algos.resize(static_cast<size_t>(count > 0 ? count : 1));
  int found = 0;
  const cublasStatus_t status =
      cublasLtMatmulAlgoGetHeuristic(handle, r.desc, r.la, r.lb, r.ld, r.ld, pref,
                                     static_cast<int>(r.algos.size()), r.algos.data(), &found);
  cublasLtMatmulPreferenceDestroy(pref);
  r.algos.resize(status == CUBLAS_STATUS_SUCCESS ? static_cast<size_t>(found) : 0);
  // Only the ones it says will run.
  std::vector<cublasLtMatmulHeuristicResult_t> usable;
  for (const auto& a : r.algos) {
    if (a.state == CUBLAS_STATUS_SUCCESS) usable.push_back(a);
  }
  r.algos.swap(usable);
  return r;
}

namespace {

auto Fields(const AlgoConfig& c) {
  return std::make_tuple(c.id, c.tile, c.stages, c.split_k, c.reduction, c.swizzle, c.custom,
                         c.inner_shape, c.cluster);
}

template <typename T>
T ConfigValue(const cublasLtMatmulAlgo_t& algo, cublasLtMatmulAlgoConfigAttributes_t attr) {
  T v{};
  size_t written = 0;
  if (cublasLtMatmulAlgoConfigGetAttribute(&algo, attr, &v, sizeof(v), &written) !=
      CUBLAS_STATUS_SUCCESS) {
    return T{};
  }
  return v;
}

template <typename T>
bool SetConfig(cublasLtMatmulAlgo_t* algo, cublasLtMatmulAlgoConfigAttributes_t attr, T v) {
  return cublasLtMatmulAlgoConfigSetAttribute(algo, attr, &v, sizeof(v)) ==
         CUBLAS_STATUS_SUCCESS;
}

}  // namespace

bool operator==(const AlgoConfig& a, const AlgoConfig& b) { return Fields(a) == Fields(b); }
bool operator<(const AlgoConfig& a, const AlgoConfig& b) { return Fields(a) < Fields(b); }

AlgoConfig ConfigOf(const cublasLtMatmulAlgo_t& algo) {
  AlgoConfig c;
  c.id = ConfigValue<int32_t>(algo, CUBLASLT_ALGO_CONFIG_ID);
  c.tile = ConfigValue<uint32_t>(algo, CUBLASLT_ALGO_CONFIG_TILE_ID);
  c.stages = ConfigValue<uint32_t>(algo, CUBLASLT_ALGO_CONFIG_STAGES_ID);
  c.split_k = ConfigValue<int32_t>(algo, CUBLASLT_ALGO_CONFIG_SPLITK_NUM);
  c.reduction = ConfigValue<uint32_t>(algo, CUBLASLT_ALGO_CONFIG_REDUCTION_SCHEME);
  c.swizzle = ConfigValue<uint32_t>(algo, CUBLASLT_ALGO_CONFIG_CTA_SWIZZLING);
  c.custom = ConfigValue<uint32_t>(algo, CUBLASLT_ALGO_CONFIG_CUSTOM_OPTION);
  c.inner_shape = ConfigValue<uint16_t>(algo, CUBLASLT_ALGO_CONFIG_INNER_SHAPE_ID);
  c.cluster = ConfigValue<uint16_t>(algo, CUBLASLT_ALGO_CONFIG_CLUSTER_SHAPE_ID);
  return c;
}

bool Configure(cublasLtHandle_t handle, const Ranked& r, const AlgoConfig& c, bool tf32,
               cublasLtMatmulHeuristicResult_t* out) {
  cublasLtMatmulHeuristicResult_t result{};
  if (cublasLtMatmulAlgoInit(handle, tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F,
                             CUDA_R_32F, CUDA_R_32F, CUDA_R_32F, CUDA_R_32F, CUDA_R_32F, c.id,
                             &result.algo) != CUBLAS_STATUS_SUCCESS) {
    return false;
  }
  cublasLtMatmulAlgo_t* a = &result.algo;
  if (!SetConfig(a, CUBLASLT_ALGO_CONFIG_TILE_ID, c.tile) ||
      !SetConfig(a, CUBLASLT_ALGO_CONFIG_STAGES_ID, c.stages) ||
      !SetConfig(a, CUBLASLT_ALGO_CONFIG_SPLITK_NUM, c.split_k) ||
      !SetConfig(a, CUBLASLT_ALGO_CONFIG_REDUCTION_SCHEME, c.reduction) ||
      !SetConfig(a, CUBLASLT_ALGO_CONFIG_CTA_SWIZZLING, c.swizzle) ||
      !SetConfig(a, CUBLASLT_ALGO_CONFIG_CUSTOM_OPTION, c.custom) ||
      !SetConfig(a, CUBLASLT_ALGO_CONFIG_INNER_SHAPE_ID, c.inner_shape) ||
      !SetConfig(a, CUBLASLT_ALGO_CONFIG_CLUSTER_SHAPE_ID, c.cluster)) {
    return false;
  }
  cublasLtMatmulHeuristicResult_t checked{};
  if (cublasLtMatmulAlgoCheck(handle, r.desc, r.la, r.lb, r.ld, r.ld, a, &checked) !=
          CUBLAS_STATUS_SUCCESS ||
      checked.workspaceSize > kMaxWorkspaceBytes) {
    return false;
  }
  result.workspaceSize = checked.workspaceSize;
  result.wavesCount = checked.wavesCount;
  result.state = CUBLAS_STATUS_SUCCESS;
  *out = result;
  return true;
}

std::string Describe(const AlgoConfig& c) {
  char text[200];
  std::snprintf(text, sizeof(text),
                "id %d tile %u stages %u split-k %d reduction %u swizzle %u custom %u inner %u "
                "cluster %u",
                c.id, c.tile, c.stages, c.split_k, c.reduction, c.swizzle, c.custom,
                static_cast<unsigned>(c.inner_shape), static_cast<unsigned>(c.cluster));
  return text;
}

void Destroy(Ranked* r) {
  cublasLtMatrixLayoutDestroy(r->la);
  cublasLtMatrixLayoutDestroy(r->lb);
  cublasLtMatrixLayoutDestroy(r->ld);
  cublasLtMatmulDescDestroy(r->desc);
  *r = Ranked();
}

cublasStatus_t TryEnqueue(cublasLtHandle_t handle, const Ranked& r,
                          const cublasLtMatmulHeuristicResult_t& algo, const Product& p,
                          void* workspace, cudaStream_t stream) {
  if (p.bias != nullptr) {
    const cublasStatus_t set = cublasLtMatmulDescSetAttribute(
        r.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &p.bias, sizeof(p.bias));
    if (set != CUBLAS_STATUS_SUCCESS) return set;
  }
  const float one = 1.0f, zero = 0.0f;
  const float* c = p.c != nullptr ? p.c : p.d;
  return cublasLtMatmul(handle, r.desc, &one, p.a, r.la, p.b, r.lb, p.c != nullptr ? &one : &zero,
                        c, r.ld, p.d, r.ld, &algo.algo, workspace, algo.workspaceSize, stream);
}

void Enqueue(cublasLtHandle_t handle, const Ranked& r, const cublasLtMatmulHeuristicResult_t& algo,
             const Product& p, void* workspace, cudaStream_t stream) {
  CheckLt(TryEnqueue(handle, r, algo, p, workspace, stream), "matmul");
}

}  // namespace seed_gemm
}  // namespace sg
