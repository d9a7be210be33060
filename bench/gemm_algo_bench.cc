// sg-gemm-bench: the pack's per-seed GEMMs (the layers' products, forward, input gradient and
// weight gradient, batched over seeds as trainer/model/cuda_side_stream_linear.cc runs them)
// timed as LibTorch's bmm runs them, against every algorithm cuBLASLt's heuristic offers for the
// same product. It answers whether choosing the algorithm per shape (by measuring, once a
// pack) would make the step's GEMMs faster than the one cuBLAS picks (docs/performance.md,
// "What would reach the target"). CUDA builds only.
//
//   sg-gemm-bench [--seeds S] [--rows N] [--reps R] [--algos A] [--fp32] [--device cuda:K]
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#include <cublasLt.h>
#include <cuda_runtime.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace {

struct Options {
  int64_t seeds = 10;
  int64_t rows = 256;  // positions a seed computes in a QF step (4 rows of 64)
  int reps = 200;
  int algos = 64;
  bool tf32 = true;
  std::string device = "cuda:0";
};

// A layer's product x [N, in] @ W [in, out] a seed (the paper's d 512, FF 2,048).
struct Product {
  const char* name;
  int64_t in, out;
};

enum class Direction { kForward, kInputGrad, kWeightGrad };

const char* Name(Direction d) {
  switch (d) {
    case Direction::kForward: return "forward";
    case Direction::kInputGrad: return "input grad";
    case Direction::kWeightGrad: return "weight grad";
  }
  return "?";
}

void Check(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS) {
    std::fprintf(stderr, "sg-gemm-bench: %s failed with cuBLAS status %d\n", what,
                 static_cast<int>(s));
    std::exit(1);
  }
}

// Mean microseconds of `fn` over `reps` launches on the current stream (after 5 untimed).
double TimeUs(const std::function<void()>& fn, int reps) {
  for (int i = 0; i < 5; ++i) fn();
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream().stream();
  cudaEvent_t start, stop;
  cudaEventCreate(&start);
  cudaEventCreate(&stop);
  cudaEventRecord(start, stream);
  for (int i = 0; i < reps; ++i) fn();
  cudaEventRecord(stop, stream);
  cudaEventSynchronize(stop);
  float ms = 0;
  cudaEventElapsedTime(&ms, start, stop);
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return 1000.0 * ms / reps;
}

// One column-major strided-batched product C = op(A) op(B), as cuBLASLt describes it.
struct LtProblem {
  cublasOperation_t op_a, op_b;
  int64_t m, n, k;
  const float* a; int64_t lda, stride_a;
  const float* b; int64_t ldb, stride_b;
  float* c; int64_t ldc, stride_c;
  int64_t batch;
};

struct LtRun {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t la = nullptr, lb = nullptr, lc = nullptr;
  std::vector<cublasLtMatmulHeuristicResult_t> algos;
};

cublasLtMatrixLayout_t Layout(int64_t rows, int64_t cols, int64_t ld, int64_t stride,
                              int64_t batch) {
  cublasLtMatrixLayout_t l;
  Check(cublasLtMatrixLayoutCreate(&l, CUDA_R_32F, rows, cols, ld), "layout");
  int32_t count = static_cast<int32_t>(batch);
  Check(cublasLtMatrixLayoutSetAttribute(l, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count,
                                         sizeof(count)), "batch count");
  Check(cublasLtMatrixLayoutSetAttribute(l, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET,
                                         &stride, sizeof(stride)), "batch stride");
  return l;
}

LtRun Prepare(cublasLtHandle_t handle, const LtProblem& p, const Options& o, size_t workspace) {
  LtRun run;
  const cublasComputeType_t compute = o.tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  Check(cublasLtMatmulDescCreate(&run.desc, compute, CUDA_R_32F), "desc");
  Check(cublasLtMatmulDescSetAttribute(run.desc, CUBLASLT_MATMUL_DESC_TRANSA, &p.op_a,
                                       sizeof(p.op_a)), "transa");
  Check(cublasLtMatmulDescSetAttribute(run.desc, CUBLASLT_MATMUL_DESC_TRANSB, &p.op_b,
                                       sizeof(p.op_b)), "transb");
  const bool ta = p.op_a != CUBLAS_OP_N, tb = p.op_b != CUBLAS_OP_N;
  run.la = Layout(ta ? p.k : p.m, ta ? p.m : p.k, p.lda, p.stride_a, p.batch);
  run.lb = Layout(tb ? p.n : p.k, tb ? p.k : p.n, p.ldb, p.stride_b, p.batch);
  run.lc = Layout(p.m, p.n, p.ldc, p.stride_c, p.batch);
  cublasLtMatmulPreference_t pref;
  Check(cublasLtMatmulPreferenceCreate(&pref), "preference");
  Check(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                             &workspace, sizeof(workspace)), "workspace");
  // As trainer/model/cuda_seed_gemm.cc asks: 16-byte alignment for every operand, no split-K
  // reductions, so "Lt first" is the trainer's pick.
  const uint32_t align = 16, no_reduction = CUBLASLT_REDUCTION_SCHEME_NONE;
  for (auto attr : {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES,
                    CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES,
                    CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES,
                    CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES}) {
    Check(cublasLtMatmulPreferenceSetAttribute(pref, attr, &align, sizeof(align)), "alignment");
  }
  Check(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK,
                                             &no_reduction, sizeof(no_reduction)),
        "reduction scheme");
  run.algos.resize(o.algos);
  int found = 0;
  Check(cublasLtMatmulAlgoGetHeuristic(handle, run.desc, run.la, run.lb, run.lc, run.lc, pref,
                                       o.algos, run.algos.data(), &found), "heuristic");
  run.algos.resize(found);
  cublasLtMatmulPreferenceDestroy(pref);
  return run;
}

// "algo A tile T stages G split-k K cluster C" of one of cuBLASLt's algorithms.
std::string Describe(const cublasLtMatmulAlgo_t& algo) {
  auto get = [&](cublasLtMatmulAlgoConfigAttributes_t attr) {
    // Each attribute is read at its own size (asked first), at most 8 bytes.
    size_t size = 0;
    cublasLtMatmulAlgoConfigGetAttribute(&algo, attr, nullptr, 0, &size);
    uint64_t v = 0;
    if (size == 0 || size > sizeof(v)) return -1LL;
    cublasLtMatmulAlgoConfigGetAttribute(&algo, attr, &v, size, &size);
    return static_cast<long long>(v);
  };
  char text[160];
  std::snprintf(text, sizeof(text), "id %lld tile %lld stages %lld split-k %lld cluster %lld",
                get(CUBLASLT_ALGO_CONFIG_ID), get(CUBLASLT_ALGO_CONFIG_TILE_ID),
                get(CUBLASLT_ALGO_CONFIG_STAGES_ID), get(CUBLASLT_ALGO_CONFIG_SPLITK_NUM),
                get(CUBLASLT_ALGO_CONFIG_CLUSTER_SHAPE_ID));
  return text;
}

struct Row {
  double torch_us = 0, first_us = 0, best_us = 0;
  int best = -1, offered = 0;
  double best_error = 0;
  std::string best_algo;
};

Row Measure(cublasLtHandle_t handle, const Product& prod, Direction dir, const Options& o,
            torch::Tensor workspace) {
  const int64_t S = o.seeds, N = o.rows, in = prod.in, out = prod.out;
  auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(o.device);
  // Weights as the pack lays them out: each seed's slot at 16 floats into a row padded to 64.
  const int64_t P = ((16 + in * out + 63) / 64) * 64;
  torch::Tensor w_flat = torch::randn({S, P}, f32) * 0.05;
  torch::Tensor wt = w_flat.narrow(1, 16, in * out).view({S, in, out});
  torch::Tensor dw_flat = torch::zeros({S, P}, f32);
  torch::Tensor dw = dw_flat.narrow(1, 16, in * out).view({S, in, out});
  torch::Tensor x = torch::randn({S, N, in}, f32);
  torch::Tensor dy = torch::randn({S, N, out}, f32);
  torch::Tensor y;  // LibTorch's result
  std::function<void()> torch_fn;
  LtProblem p{};
  p.batch = S;
  torch::Tensor lt_out;
  // Row-major [r, c] is column-major [c, r] with leading dimension c.
  switch (dir) {
    case Direction::kForward:  // y [N, out] = x [N, in] W [in, out]: y^T = W^T x^T
      torch_fn = [&] { y = torch::bmm(x, wt); };
      lt_out = torch::empty({S, N, out}, f32);
      p = {CUBLAS_OP_N, CUBLAS_OP_N, out, N, in, wt.data_ptr<float>(), out, P,
           x.data_ptr<float>(), in, N * in, lt_out.data_ptr<float>(), out, N * out, S};
      break;
    case Direction::kInputGrad:  // dx [N, in] = dy [N, out] W^T: dx^T = W dy^T
      torch_fn = [&] { y = torch::bmm(dy, wt.transpose(1, 2)); };
      lt_out = torch::empty({S, N, in}, f32);
      p = {CUBLAS_OP_T, CUBLAS_OP_N, in, N, out, wt.data_ptr<float>(), out, P,
           dy.data_ptr<float>(), out, N * out, lt_out.data_ptr<float>(), in, N * in, S};
      break;
    case Direction::kWeightGrad:  // dW [in, out] = x^T dy: dW^T [out, in] = dy^T x
      torch_fn = [&] { torch::bmm_out(dw, x.transpose(1, 2), dy); y = dw; };
      lt_out = torch::zeros({S, P}, f32);
      p = {CUBLAS_OP_N, CUBLAS_OP_T, out, in, N, dy.data_ptr<float>(), out, N * out,
           x.data_ptr<float>(), in, N * in, lt_out.data_ptr<float>() + 16, out, P, S};
      break;
  }
  Row row;
  row.torch_us = TimeUs(torch_fn, o.reps);
  torch_fn();
  torch::Tensor ref = y.clone();
  LtRun run = Prepare(handle, p, o, static_cast<size_t>(workspace.numel()));
  row.offered = static_cast<int>(run.algos.size());
  const float one = 1.0f, zero = 0.0f;
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream().stream();
  for (size_t i = 0; i < run.algos.size(); ++i) {
    const cublasLtMatmulAlgo_t* algo = &run.algos[i].algo;
    auto lt_fn = [&] {
      Check(cublasLtMatmul(handle, run.desc, &one, p.a, run.la, p.b, run.lb, &zero, p.c, run.lc,
                           p.c, run.lc, algo, workspace.data_ptr(),
                           static_cast<size_t>(workspace.numel()), stream), "matmul");
    };
    const double us = TimeUs(lt_fn, o.reps);
    torch::Tensor got = dir == Direction::kWeightGrad
                            ? lt_out.narrow(1, 16, in * out).view({S, in, out})
                            : lt_out;
    const double err = (got - ref).abs().max().item<double>() / ref.abs().max().item<double>();
    if (i == 0) row.first_us = us;
    if (row.best < 0 || us < row.best_us) {
      row.best = static_cast<int>(i);
      row.best_us = us;
      row.best_error = err;
      row.best_algo = Describe(*algo);
    }
  }
  cublasLtMatrixLayoutDestroy(run.la);
  cublasLtMatrixLayoutDestroy(run.lb);
  cublasLtMatrixLayoutDestroy(run.lc);
  cublasLtMatmulDescDestroy(run.desc);
  return row;
}

bool ParseArgs(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--fp32") {
      o->tf32 = false;
    } else if (a == "--seeds" && (v = value())) {
      o->seeds = std::atoll(v);
    } else if (a == "--rows" && (v = value())) {
      o->rows = std::atoll(v);
    } else if (a == "--reps" && (v = value())) {
      o->reps = std::atoi(v);
    } else if (a == "--algos" && (v = value())) {
      o->algos = std::atoi(v);
    } else if (a == "--device" && (v = value())) {
      o->device = v;
    } else {
      std::fprintf(stderr, "sg-gemm-bench: unknown or incomplete flag '%s'\nusage: sg-gemm-bench "
                           "[--seeds S] [--rows N] [--reps R] [--algos A] [--fp32] "
                           "[--device cuda:K]\n", a.c_str());
      return false;
    }
  }
  if (o->seeds < 1 || o->rows < 1 || o->reps < 1 || o->algos < 1) {
    std::fprintf(stderr, "sg-gemm-bench: --seeds, --rows, --reps and --algos take numbers >= 1\n");
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseArgs(argc, argv, &o)) return 2;
  if (!torch::cuda::is_available()) {
    std::fprintf(stderr, "sg-gemm-bench: no CUDA device\n");
    return 2;
  }
  torch::Device device(o.device);
  c10::cuda::CUDAGuard guard(device);
  at::globalContext().setAllowTF32CuBLAS(o.tf32);
  cublasLtHandle_t handle;
  Check(cublasLtCreate(&handle), "cublasLtCreate");
  torch::Tensor workspace =
      torch::empty({32 << 20}, torch::TensorOptions().dtype(torch::kUInt8).device(device));
  const Product products[] = {{"wqkv", 512, 1536}, {"wo", 512, 512}, {"w1", 512, 2048},
                              {"w2", 2048, 512}};
  std::printf("seeds %lld, rows a seed %lld, %s, %d repetitions; us a product, TFLOP/s\n",
              static_cast<long long>(o.seeds), static_cast<long long>(o.rows),
              o.tf32 ? "TF32" : "fp32", o.reps);
  std::printf("%-6s %-12s %10s %10s %10s %8s %7s %9s  %s\n", "linear", "direction", "LibTorch",
              "Lt first", "Lt best", "TFLOP/s", "offered", "rel.err", "best algorithm");
  double sum_torch = 0, sum_best = 0;
  for (const Product& prod : products) {
    for (Direction dir : {Direction::kForward, Direction::kInputGrad, Direction::kWeightGrad}) {
      const Row r = Measure(handle, prod, dir, o, workspace);
      const double flop = 2.0 * o.seeds * o.rows * prod.in * prod.out;
      std::printf("%-6s %-12s %10.1f %10.1f %10.1f %8.1f %7d %9.2e  #%d %s\n", prod.name,
                  Name(dir), r.torch_us, r.first_us, r.best_us, flop / r.best_us / 1e6,
                  r.offered, r.best_error, r.best, r.best_algo.c_str());
      sum_torch += r.torch_us;
      sum_best += std::min(r.best_us, r.torch_us);
    }
  }
  std::printf("a layer's products: LibTorch %.1f us, the faster of the two each %.1f us (%.1f%%)\n",
              sum_torch, sum_best, 100.0 * (sum_best - sum_torch) / sum_torch);
  cublasLtDestroy(handle);
  return 0;
}
