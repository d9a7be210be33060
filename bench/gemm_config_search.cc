// See gemm_config_search.h.
#include "bench/gemm_config_search.h"

#include <algorithm>
#include <map>

namespace sg {
namespace gemm_bench {
namespace {

using seed_gemm::AlgoConfig;

// An algorithm id's capabilities: the values each setting may take.
struct Caps {
  std::vector<uint32_t> tiles, stages;
  bool split_k = false;
  uint32_t reductions = 0;
  bool swizzle = false;
  int32_t custom_max = 0;
};

std::vector<uint32_t> CapList(const cublasLtMatmulAlgo_t& algo,
                              cublasLtMatmulAlgoCapAttributes_t attr) {
  size_t bytes = 0;
  if (cublasLtMatmulAlgoCapGetAttribute(&algo, attr, nullptr, 0, &bytes) !=
          CUBLAS_STATUS_SUCCESS ||
      bytes == 0) {
    return {0};
  }
  std::vector<uint32_t> v(bytes / sizeof(uint32_t));
  if (cublasLtMatmulAlgoCapGetAttribute(&algo, attr, v.data(), bytes, &bytes) !=
          CUBLAS_STATUS_SUCCESS ||
      v.empty()) {
    return {0};
  }
  return v;
}

template <typename T>
T CapValue(const cublasLtMatmulAlgo_t& algo, cublasLtMatmulAlgoCapAttributes_t attr) {
  T v{};
  size_t written = 0;
  cublasLtMatmulAlgoCapGetAttribute(&algo, attr, &v, sizeof(v), &written);
  return v;
}

Caps CapsOf(cublasLtHandle_t handle, int32_t id, bool tf32) {
  Caps caps;
  cublasLtMatmulAlgo_t algo;
  if (cublasLtMatmulAlgoInit(handle, tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F,
                             CUDA_R_32F, CUDA_R_32F, CUDA_R_32F, CUDA_R_32F, CUDA_R_32F, id,
                             &algo) != CUBLAS_STATUS_SUCCESS) {
    return caps;
  }
  caps.tiles = CapList(algo, CUBLASLT_ALGO_CAP_TILE_IDS);
  caps.stages = CapList(algo, CUBLASLT_ALGO_CAP_STAGES_IDS);
  caps.split_k = CapValue<int32_t>(algo, CUBLASLT_ALGO_CAP_SPLITK_SUPPORT) != 0;
  caps.reductions = CapValue<uint32_t>(algo, CUBLASLT_ALGO_CAP_REDUCTION_SCHEME_MASK);
  caps.swizzle = CapValue<uint32_t>(algo, CUBLASLT_ALGO_CAP_CTA_SWIZZLING_SUPPORT) != 0;
  caps.custom_max = std::min(CapValue<int32_t>(algo, CUBLASLT_ALGO_CAP_CUSTOM_OPTION_MAX), 7);
  return caps;
}

// The neighbours of c along one setting: c with that setting at each value caps allow.
std::vector<AlgoConfig> Along(const AlgoConfig& c, const Caps& caps, int setting) {
  std::vector<AlgoConfig> out;
  AlgoConfig n = c;
  switch (setting) {
    case 0:
      for (uint32_t t : caps.tiles) n.tile = t, out.push_back(n);
      break;
    case 1:
      for (uint32_t s : caps.stages) n.stages = s, out.push_back(n);
      break;
    case 2:  // auto, 1x1, 2x1, 1x2, 4x1, 1x4, 2x2
      for (uint16_t cl : {0, 2, 3, 5, 4, 8, 6}) n.cluster = cl, out.push_back(n);
      break;
    case 3:
      n.split_k = 1, n.reduction = CUBLASLT_REDUCTION_SCHEME_NONE, out.push_back(n);
      if (caps.split_k) {
        for (uint32_t scheme :
             {CUBLASLT_REDUCTION_SCHEME_COMPUTE_TYPE, CUBLASLT_REDUCTION_SCHEME_OUTPUT_TYPE}) {
          if ((caps.reductions & scheme) == 0) continue;
          for (int32_t k : {2, 3, 4, 6, 8}) n.split_k = k, n.reduction = scheme, out.push_back(n);
        }
      }
      break;
    case 4:
      n.swizzle = 0, out.push_back(n);
      if (caps.swizzle) n.swizzle = 1, out.push_back(n);
      break;
    case 5:
      for (int32_t o = 0; o <= caps.custom_max; ++o) n.custom = o, out.push_back(n);
      break;
  }
  return out;
}

constexpr int kSettings = 6;

}  // namespace

SearchResult SearchConfigs(
    cublasLtHandle_t handle, const seed_gemm::Ranked& r, bool tf32,
    const std::function<double(const cublasLtMatmulHeuristicResult_t&)>& time_us, int keep) {
  SearchResult result;
  std::map<AlgoConfig, double> seen;  // every configuration asked about: us, or < 0 if none
  std::map<int32_t, Caps> caps;
  auto caps_of = [&](int32_t id) -> const Caps& {
    auto it = caps.find(id);
    if (it == caps.end()) it = caps.emplace(id, CapsOf(handle, id, tf32)).first;
    return it->second;
  };
  auto measure = [&](const AlgoConfig& c) {
    auto it = seen.find(c);
    if (it != seen.end()) return it->second;
    ++result.checked;
    double us = -1;
    cublasLtMatmulHeuristicResult_t algo;
    if (seed_gemm::Configure(handle, r, c, tf32, &algo)) {
      us = time_us(algo);
      ++result.timed;
    }
    seen.emplace(c, us);
    return us;
  };

  std::vector<AlgoConfig> starts;
  for (const auto& offered : r.algos) starts.push_back(seed_gemm::ConfigOf(offered.algo));
  int ids[512];
  int count = 0;
  if (cublasLtMatmulAlgoGetIds(handle, tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F,
                               CUDA_R_32F, CUDA_R_32F, CUDA_R_32F, CUDA_R_32F, CUDA_R_32F, 512,
                               ids, &count) == CUBLAS_STATUS_SUCCESS) {
    for (int i = 0; i < count; ++i) {
      const Caps& c = caps_of(ids[i]);
      if (c.tiles.empty()) continue;
      for (uint32_t tile : c.tiles) {  // the first tile that runs, with the first stages
        AlgoConfig start;
        start.id = ids[i];
        start.tile = tile;
        start.stages = c.stages.front();
        if (measure(start) >= 0) {
          starts.push_back(start);
          break;
        }
      }
    }
  }
  for (const AlgoConfig& start : starts) {
    AlgoConfig best = start;
    double best_us = measure(best);
    if (best_us < 0) continue;
    for (int round = 0; round < 2; ++round) {
      for (int setting = 0; setting < kSettings; ++setting) {
        for (const AlgoConfig& n : Along(best, caps_of(best.id), setting)) {
          const double us = measure(n);
          if (us >= 0 && us < best_us) best = n, best_us = us;
        }
      }
    }
  }
  for (const auto& [config, us] : seen) {
    if (us >= 0) result.fastest.push_back({config, us});
  }
  std::sort(result.fastest.begin(), result.fastest.end(),
            [](const Timed& a, const Timed& b) { return a.us < b.us; });
  if (static_cast<int>(result.fastest.size()) > keep) result.fastest.resize(keep);
  return result;
}

}  // namespace gemm_bench
}  // namespace sg
