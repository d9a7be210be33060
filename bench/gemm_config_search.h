// sg-gemm-bench --search: the fastest of cuBLASLt's algorithms for one product, looked for
// beyond the few its heuristic offers. Every algorithm id cublasLtMatmulAlgoGetIds lists is a
// starting point (with its first tile and stages), as is each algorithm the heuristic offers;
// from each, one setting at a time (tile, stages, cluster shape, split-K with a reduction that
// sums the parts in a workspace, the blocks' swizzle, the custom option) takes every value the
// algorithm's capabilities allow, and the fastest is kept, two rounds over the settings. Only
// what cuBLASLt checks as running on this device is timed. Split-K that sums the parts in place
// in the output (CUBLASLT_REDUCTION_SCHEME_INPLACE) is left out: the trainer needs the same bits
// every run, and whether that sum keeps one order is not something this bench can show.
// CUDA builds only.
#ifndef SG_BENCH_GEMM_CONFIG_SEARCH_H_
#define SG_BENCH_GEMM_CONFIG_SEARCH_H_

#include <cublasLt.h>

#include <functional>
#include <vector>

#include "trainer/model/cuda_seed_gemm_plan.h"

namespace sg {
namespace gemm_bench {

struct Timed {
  seed_gemm::AlgoConfig config;
  double us = 0;
};

struct SearchResult {
  std::vector<Timed> fastest;  // the fastest few, fastest first (re-timed by the caller)
  int checked = 0;             // configurations cuBLASLt was asked about
  int timed = 0;               // of those, the ones that run here and were timed
};

// time_us: microseconds of one launch of the algorithm given, on r's product.
SearchResult SearchConfigs(
    cublasLtHandle_t handle, const seed_gemm::Ranked& r, bool tf32,
    const std::function<double(const cublasLtMatmulHeuristicResult_t&)>& time_us, int keep);

}  // namespace gemm_bench
}  // namespace sg

#endif  // SG_BENCH_GEMM_CONFIG_SEARCH_H_
