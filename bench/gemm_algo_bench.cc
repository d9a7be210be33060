// sg-gemm-bench: the pack's per-seed GEMMs (the layers' products, forward, input gradient and
// weight gradient, batched over seeds as trainer/model/cuda_side_stream_linear.cc runs them)
// timed as LibTorch's bmm runs them, against every algorithm cuBLASLt's heuristic offers for the
// same product, asked as the trainer asks (trainer/model/cuda_seed_gemm_plan.h), so "Lt first"
// is the kernel sg-train takes with PackTrainerOptions::lt_gemms. It answers whether choosing
// the algorithm per shape would make the step's GEMMs faster than the one cuBLAS picks
// (docs/performance.md, session 24), and (session 26) whether the weight gradients would be
// faster from operands transposed first: the trainer's "nt" product reads x and dy across the
// summed positions, which Hopper's TF32 tensor-core kernels cannot take (cuBLAS runs sm80
// kernels for it); with x transposed it is "nn", with dy transposed too "tn". Those rows time
// the product alone and the transposes (LibTorch's copies) apart. --split-k (session 31) also
// ranks the algorithms that split k across blocks (which the trainer excludes): whether the
// products of one wave or less (a seed's 256 x 512 outputs are 8 tiles of 128 x 128) would be
// faster so, and whether each algorithm gives the same bits twice ("same bits" column).
// --search (session 33) looks past the heuristic's offers for the chain's products (forward
// with the bias, input gradient; gemm_config_search.h) and prints the fastest configurations
// with the heuristic's first beside them, each checked against LibTorch's result and for the
// same bits twice. CUDA builds only.
//
//   sg-gemm-bench [--seeds S] [--rows N] [--reps R] [--algos A] [--fp32] [--split-k]
//                 [--search] [--device cuda:K]
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
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

#include "bench/gemm_config_search.h"
#include "trainer/model/cuda_seed_gemm_plan.h"

namespace {

namespace seed_gemm = sg::seed_gemm;

struct Options {
  int64_t seeds = 10;
  int64_t rows = 256;  // positions a seed computes in a QF step (4 rows of 64)
  int reps = 200;
  int algos = 64;
  bool tf32 = true;
  bool split_k = false;
  bool search = false;
  std::string device = "cuda:0";
};

// A layer's linear, x [N, in] @ W [in, out] a seed (the paper's d 512, FF 2,048).
struct Linear {
  const char* name;
  int64_t in, out;
};

enum class Direction { kForward, kInputGrad, kWeightGrad, kWeightGradXt, kWeightGradBothT };

const char* Name(Direction d) {
  switch (d) {
    case Direction::kForward: return "forward";
    case Direction::kInputGrad: return "input grad";
    case Direction::kWeightGrad: return "weight grad";
    case Direction::kWeightGradXt: return "wgrad x^T";
    case Direction::kWeightGradBothT: return "wgrad x^T dy^T";
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
  bool same_bits = true;  // every algorithm gave the same bits on two launches
  double transpose_us = 0;  // the operands' transposes, for the transposed weight gradients
};

Row Measure(cublasLtHandle_t handle, const Linear& prod, Direction dir, const Options& o,
            torch::Tensor workspace) {
  const int64_t S = o.seeds, N = o.rows, in = prod.in, out = prod.out;
  auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(o.device);
  // Weights as the pack lays them out: each seed's slot at 16 floats into a row padded to 64.
  const int64_t P = ((16 + in * out + 63) / 64) * 64;
  auto slot = [&](const torch::Tensor& flat) {
    return flat.narrow(1, 16, in * out).view({S, in, out});
  };
  torch::Tensor w_flat = torch::randn({S, P}, f32) * 0.05;
  torch::Tensor wt = slot(w_flat);
  torch::Tensor dw = slot(torch::zeros({S, P}, f32));
  torch::Tensor x = torch::randn({S, N, in}, f32);
  torch::Tensor dy = torch::randn({S, N, out}, f32);
  torch::Tensor y;  // LibTorch's result
  std::function<void()> torch_fn;
  torch::Tensor lt_out;  // cuBLASLt's, in the same layout as y
  torch::Tensor xt, dyt;  // x and dy transposed, for the transposed weight gradients
  seed_gemm::Product p;  // as the trainer builds it (cuda_seed_gemm_plan.h)
  switch (dir) {
    case Direction::kForward:
      torch_fn = [&] { y = torch::bmm(x, wt); };
      lt_out = torch::empty({S, N, out}, f32);
      p = seed_gemm::ForwardProduct(x, wt, {}, lt_out);
      break;
    case Direction::kInputGrad:
      torch_fn = [&] { y = torch::bmm(dy, wt.transpose(1, 2)); };
      lt_out = torch::empty({S, N, in}, f32);
      p = seed_gemm::InputGradProduct(dy, wt, lt_out);
      break;
    case Direction::kWeightGrad:
    case Direction::kWeightGradXt:
    case Direction::kWeightGradBothT:
      torch_fn = [&] { torch::bmm_out(dw, x.transpose(1, 2), dy); y = dw; };
      lt_out = slot(torch::zeros({S, P}, f32));
      if (dir == Direction::kWeightGrad) {
        p = seed_gemm::WeightGradProduct(x, dy, lt_out);
        break;
      }
      xt = x.transpose(1, 2).contiguous();
      p = seed_gemm::WeightGradProductFromTransposed(xt, dy, lt_out);
      if (dir == Direction::kWeightGradBothT) {
        // dy^T stored [out, N] a seed: A read along the positions as well ("tn").
        dyt = dy.transpose(1, 2).contiguous();
        p.op_a = CUBLAS_OP_T;
        p.a = dyt.data_ptr<float>(), p.lda = N, p.stride_a = out * N;
      }
      break;
  }
  Row row;
  if (xt.defined()) {
    row.transpose_us = TimeUs([&] { xt.copy_(x.transpose(1, 2)); }, o.reps);
    if (dyt.defined()) row.transpose_us += TimeUs([&] { dyt.copy_(dy.transpose(1, 2)); }, o.reps);
  }
  row.torch_us = TimeUs(torch_fn, o.reps);
  torch_fn();
  torch::Tensor ref = y.clone();
  seed_gemm::Ranked ranked = seed_gemm::RankAlgorithms(handle, p, o.tf32, o.algos, o.split_k);
  row.offered = static_cast<int>(ranked.algos.size());
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream().stream();
  for (size_t i = 0; i < ranked.algos.size(); ++i) {
    const cublasLtMatmulHeuristicResult_t& algo = ranked.algos[i];
    const double us = TimeUs(
        [&] { seed_gemm::Enqueue(handle, ranked, algo, p, workspace.data_ptr(), stream); },
        o.reps);
    const double err =
        (lt_out - ref).abs().max().item<double>() / ref.abs().max().item<double>();
    const torch::Tensor once = lt_out.clone();
    lt_out.fill_(0.0f);
    seed_gemm::Enqueue(handle, ranked, algo, p, workspace.data_ptr(), stream);
    row.same_bits = row.same_bits && torch::equal(once, lt_out);
    if (i == 0) row.first_us = us;
    if (row.best < 0 || us < row.best_us) {
      row.best = static_cast<int>(i);
      row.best_us = us;
      row.best_error = err;
      row.best_algo = Describe(algo.algo);
    }
  }
  seed_gemm::Destroy(&ranked);
  return row;
}

// Mean microseconds of `algo` on p over `reps` launches; -1 where a launch is refused.
double TimeAlgo(cublasLtHandle_t handle, const seed_gemm::Ranked& r,
                const cublasLtMatmulHeuristicResult_t& algo, const seed_gemm::Product& p,
                void* workspace, int reps) {
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream().stream();
  if (seed_gemm::TryEnqueue(handle, r, algo, p, workspace, stream) != CUBLAS_STATUS_SUCCESS) {
    return -1;
  }
  return TimeUs([&] { seed_gemm::TryEnqueue(handle, r, algo, p, workspace, stream); }, reps);
}

// --search: one chain product (forward with the bias, or input gradient).
void SearchProduct(cublasLtHandle_t handle, const Linear& prod, Direction dir, const Options& o,
                   torch::Tensor workspace) {
  const int64_t S = o.seeds, N = o.rows, in = prod.in, out = prod.out;
  auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(o.device);
  const int64_t P = ((16 + in * out + 63) / 64) * 64;  // the pack's slot layout, as Measure
  torch::Tensor wt = (torch::randn({S, P}, f32) * 0.05).narrow(1, 16, in * out).view({S, in, out});
  torch::Tensor bias = torch::randn({S, out}, f32) * 0.1;
  torch::Tensor x = torch::randn({S, N, in}, f32), dy = torch::randn({S, N, out}, f32);
  torch::Tensor result, ref;
  seed_gemm::Product p;
  if (dir == Direction::kForward) {
    result = torch::empty({S, N, out}, f32);
    p = seed_gemm::ForwardProduct(x, wt, bias, result);
    ref = torch::baddbmm(bias.unsqueeze(1), x, wt);
  } else {
    result = torch::empty({S, N, in}, f32);
    p = seed_gemm::InputGradProduct(dy, wt, result);
    ref = torch::bmm(dy, wt.transpose(1, 2));
  }
  seed_gemm::Ranked ranked = seed_gemm::RankAlgorithms(handle, p, o.tf32, 8);
  void* ws = workspace.data_ptr();
  const double first_us =
      ranked.algos.empty() ? -1 : TimeAlgo(handle, ranked, ranked.algos[0], p, ws, o.reps);
  const sg::gemm_bench::SearchResult found = sg::gemm_bench::SearchConfigs(
      handle, ranked, o.tf32,
      [&](const cublasLtMatmulHeuristicResult_t& algo) {
        return TimeAlgo(handle, ranked, algo, p, ws, 20);
      },
      8);
  std::printf("%-6s %-11s heuristic first %.1f us (%s); %d configurations asked, %d timed\n",
              prod.name, Name(dir), first_us,
              ranked.algos.empty() ? "none"
                                   : seed_gemm::Describe(seed_gemm::ConfigOf(ranked.algos[0].algo))
                                         .c_str(),
              found.checked, found.timed);
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream().stream();
  // Re-timed over o.reps launches each (the search timed 20), fastest first.
  struct Retimed {
    sg::gemm_bench::Timed timed;
    cublasLtMatmulHeuristicResult_t algo;
  };
  std::vector<Retimed> retimed;
  for (const sg::gemm_bench::Timed& t : found.fastest) {
    cublasLtMatmulHeuristicResult_t algo;
    if (!seed_gemm::Configure(handle, ranked, t.config, o.tf32, &algo)) continue;
    const double us = TimeAlgo(handle, ranked, algo, p, ws, o.reps);
    if (us >= 0) retimed.push_back({{t.config, us}, algo});
  }
  std::sort(retimed.begin(), retimed.end(),
            [](const Retimed& a, const Retimed& b) { return a.timed.us < b.timed.us; });
  for (const Retimed& r : retimed) {
    result.fill_(0.0f);
    seed_gemm::TryEnqueue(handle, ranked, r.algo, p, ws, stream);
    const torch::Tensor once = result.clone();
    result.fill_(1.0f);
    seed_gemm::TryEnqueue(handle, ranked, r.algo, p, ws, stream);
    const bool same = torch::equal(once, result);
    const double err = (result - ref).abs().max().item<double>() / ref.abs().max().item<double>();
    std::printf("  %8.1f us (%+.1f%%) rel.err %.2e same bits %s workspace %zu  %s\n",
                r.timed.us, first_us > 0 ? 100.0 * (r.timed.us - first_us) / first_us : 0.0,
                err, same ? "yes" : "NO", r.algo.workspaceSize,
                seed_gemm::Describe(r.timed.config).c_str());
  }
  seed_gemm::Destroy(&ranked);
}

bool ParseArgs(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--fp32") {
      o->tf32 = false;
    } else if (a == "--split-k") {
      o->split_k = true;
    } else if (a == "--search") {
      o->search = true;
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
                           "[--split-k] [--search] [--device cuda:K]\n", a.c_str());
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
  // The most any ranked algorithm may ask for.
  torch::Tensor workspace =
      torch::empty({static_cast<int64_t>(seed_gemm::kMaxWorkspaceBytes)},
                   torch::TensorOptions().dtype(torch::kUInt8).device(device));
  const Linear products[] = {{"wqkv", 512, 1536}, {"wo", 512, 512}, {"w1", 512, 2048},
                              {"w2", 2048, 512}};
  if (o.search) {
    std::printf("seeds %lld, rows a seed %lld, %s; the chain's products, the fastest "
                "configurations found (re-timed over %d repetitions)\n",
                static_cast<long long>(o.seeds), static_cast<long long>(o.rows),
                o.tf32 ? "TF32" : "fp32", o.reps);
    for (const Linear& prod : products) {
      for (Direction dir : {Direction::kForward, Direction::kInputGrad}) {
        SearchProduct(handle, prod, dir, o, workspace);
      }
    }
    cublasLtDestroy(handle);
    return 0;
  }
  std::printf("seeds %lld, rows a seed %lld, %s, %d repetitions%s; us a product, TFLOP/s\n",
              static_cast<long long>(o.seeds), static_cast<long long>(o.rows),
              o.tf32 ? "TF32" : "fp32", o.reps, o.split_k ? ", split-K offered" : "");
  std::printf("%-6s %-14s %8s %10s %10s %8s %7s %9s %9s  %s\n", "linear", "direction",
              "LibTorch", "Lt first", "Lt best", "TFLOP/s", "offered", "rel.err", "same bits",
              "best algorithm");
  double sum_torch = 0, sum_best = 0;
  // A layer's weight gradients: as the trainer runs them (cuBLASLt's first), and from x
  // transposed, and from both transposed (cuBLASLt's first; the transposes apart).
  double wgrad_first = 0, xt_first = 0, xt_transposes = 0, both_first = 0, both_transposes = 0;
  for (const Linear& prod : products) {
    for (Direction dir : {Direction::kForward, Direction::kInputGrad, Direction::kWeightGrad,
                          Direction::kWeightGradXt, Direction::kWeightGradBothT}) {
      const Row r = Measure(handle, prod, dir, o, workspace);
      const double flop = 2.0 * o.seeds * o.rows * prod.in * prod.out;
      std::printf("%-6s %-14s %8.1f %10.1f %10.1f %8.1f %7d %9.2e %9s  #%d %s", prod.name,
                  Name(dir), r.torch_us, r.first_us, r.best_us, flop / r.best_us / 1e6,
                  r.offered, r.best_error, r.same_bits ? "yes" : "NO", r.best,
                  r.best_algo.c_str());
      if (r.transpose_us > 0) std::printf("; transposes %.1f us", r.transpose_us);
      std::printf("\n");
      switch (dir) {
        case Direction::kWeightGradXt:
          xt_first += r.first_us, xt_transposes += r.transpose_us;
          continue;
        case Direction::kWeightGradBothT:
          both_first += r.first_us, both_transposes += r.transpose_us;
          continue;
        case Direction::kWeightGrad:
          wgrad_first += r.first_us;
          break;
        default:
          break;
      }
      sum_torch += r.torch_us;
      sum_best += std::min(r.best_us, r.torch_us);
    }
  }
  std::printf("a layer's products: LibTorch %.1f us, the faster of the two each %.1f us (%.1f%%)\n",
              sum_torch, sum_best, 100.0 * (sum_best - sum_torch) / sum_torch);
  std::printf("a layer's weight gradients (cuBLASLt's first): as the trainer runs them %.1f us; "
              "x transposed %.1f us + transposes %.1f us; x and dy transposed %.1f us + "
              "transposes %.1f us\n",
              wgrad_first, xt_first, xt_transposes, both_first, both_transposes);
  cublasLtDestroy(handle);
  return 0;
}
