#include "trainer/api/pack_memory.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_format.h"

namespace sg {

namespace pm = pack_memory;

int64_t ModelParamCount(const TrainConfig& config, int64_t num_ids) {
  const int64_t d = config.d_model, ff = config.ff, v = num_ids;
  const int64_t per_layer = d * d          // W_q
                            + 2 * d * d    // W_kv
                            + d * d        // W_o
                            + ff * d + ff  // W_1, b_1
                            + d * ff + d   // W_2, b_2
                            + 4 * d;       // LN1 and LN2 gamma, beta
  const int64_t embedding = v * d;
  const int64_t output = (config.tie_embeddings ? 0 : v * d) + v;  // W_out, b_out
  return embedding + config.depth * per_layer + output;
}

namespace {

// The activations autograd keeps for one training step of N positions per seed (the parts
// named in pack_memory.h), with rows x T x T attention terms (rows 0: attention per line).
int64_t StepActivationBytes(int64_t N, int64_t rows, int64_t T, int64_t d, int64_t ff, int64_t H,
                            int64_t V, int64_t L) {
  const int64_t F = pm::kFloatBytes, M = pm::kDropoutMaskBytes;
  const int64_t per_layer_bytes =
      (F * pm::kModelWidthTensorsPerLayer + M * pm::kModelWidthMasksPerLayer) * N * d +
      (F * pm::kFfWidthTensorsPerLayer + M * pm::kFfWidthMasksPerLayer) * N * ff +
      (F * pm::kAttentionTensorsPerLayer + M * pm::kAttentionMasksPerLayer) * rows * H * T * T;
  const int64_t outside_bytes =
      F * pm::kEmbeddingOneHotTensors * N * V +
      (F * pm::kOutsideModelWidthTensors + M * pm::kOutsideModelWidthMasks) * N * d +
      F * pm::kAttentionMaskTensors * rows * T * T + F * pm::kLogitTensors * N * V;
  return (L + pm::kBackwardWorkspaceLayers) * per_layer_bytes + outside_bytes;
}

}  // namespace

PackMemoryEstimate EstimatePackMemory(const TrainConfig& config, int64_t num_ids,
                                      int64_t max_tokens, int graph_buckets,
                                      int64_t eval_bytes, int64_t eager_line_tokens) {
  const int64_t T = std::max<int64_t>(1, max_tokens);
  const int64_t buckets = std::max(0, graph_buckets);
  const int64_t B = config.batch_size, d = config.d_model, ff = config.ff, H = config.heads;
  const int64_t V = num_ids, L = config.depth, N = B * T;

  PackMemoryEstimate e;
  e.params_per_seed = ModelParamCount(config, num_ids);
  const int64_t bytes_per_param = pm::kWeightBytesPerParam + pm::kAdamBytesPerParam +
                                  (buckets + pm::kEagerGradBuffers) * pm::kGradBytesPerParam +
                                  pm::kCaptureSnapshotBytesPerParam +
                                  pm::kUpdateScratchBytesPerParam;
  e.state_bytes_per_seed = e.params_per_seed * bytes_per_param;

  e.activation_bytes_per_seed = StepActivationBytes(N, B, T, d, ff, H, V, L);
  // One row per seed of batch_size longest lines, attention per line: no [T, T] terms.
  if (eager_line_tokens > 0) {
    e.eager_activation_bytes_per_seed =
        StepActivationBytes(B * eager_line_tokens, /*rows=*/0, /*T=*/0, d, ff, H, V, L);
  }

  e.per_seed_bytes = (e.state_bytes_per_seed + e.activation_bytes_per_seed +
                      e.eager_activation_bytes_per_seed) *
                     (100 + pm::kMeasuredPerSeedOverheadPercent) / 100;
  e.fixed_bytes = pm::kCudaContextBytes + pm::kCublasWorkspaceBytes + pm::kAllocatorSlackBytes +
                  std::max<int64_t>(0, eval_bytes);
  return e;
}

int32_t SeedsThatFit(const PackMemoryEstimate& estimate, int64_t device_bytes,
                     double usable_fraction) {
  if (estimate.per_seed_bytes <= 0 || device_bytes <= 0 || !(usable_fraction > 0)) return 0;
  const double usable = std::floor(static_cast<double>(device_bytes) * std::min(usable_fraction, 1.0));
  const double room = usable - static_cast<double>(estimate.fixed_bytes);
  if (room < static_cast<double>(estimate.per_seed_bytes)) return 0;
  const double seeds = std::floor(room / static_cast<double>(estimate.per_seed_bytes));
  return seeds >= static_cast<double>(std::numeric_limits<int32_t>::max())
             ? std::numeric_limits<int32_t>::max()
             : static_cast<int32_t>(seeds);
}

std::string PackMemoryEstimate::ToString() const {
  const double gib = static_cast<double>(pm::kGiB);
  std::string eager;
  if (eager_activation_bytes_per_seed > 0) {
    eager = absl::StrFormat(" + %.2f GiB of an eager step", eager_activation_bytes_per_seed / gib);
  }
  return absl::StrFormat(
      "%.2f GiB fixed + %.2f GiB/seed (%.1fM params: %.2f GiB state, %.2f GiB activations%s)",
      fixed_bytes / gib, per_seed_bytes / gib, params_per_seed / 1e6, state_bytes_per_seed / gib,
      activation_bytes_per_seed / gib, eager);
}

TaskSizeBounds TaskSizeBoundsFor(TaskKind task) {
  TaskSizeBounds b;
  b.num_ids = pm::kNumIdsBound;
  switch (task) {
    case TaskKind::kQuestionFormation:
      b.max_tokens = pm::kMaxTokensQuestionFormation;
      b.graph_buckets = pm::kGraphBucketsQuestionFormation;
      break;
    case TaskKind::kTenseInflection:
      b.max_tokens = pm::kMaxTokensTenseInflection;
      b.graph_buckets = pm::kGraphBucketsTenseInflection;
      break;
    case TaskKind::kDyck:
      b.max_tokens = pm::kMaxTokensDyck;
      b.graph_buckets = pm::kGraphBucketsDyck;
      b.eager_line_tokens = pm::kEagerLineTokensDyck;
      break;
  }
  return b;
}

}  // namespace sg
