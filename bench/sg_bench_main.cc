// sg-bench: how fast a pack of seeds trains on a device, against the device's memory-bandwidth
// roofline (docs/performance.md).
//   sg-bench [--layers L] [--seeds S] [--steps N] [--device cuda[:N]|cpu] [--sweep]
//            [--precision tf32|fp32|bf16] [--no-cuda-graphs] [--warmup W]
//            [--check-cpu STEPS] [--tolerance X] [--profile] [--fused-attention]
//            [--sg-optimizer|--libtorch-optimizer] [--fused-layer-norm|--libtorch-layer-norm]
//            [--task question_formation|tense_inflection|dyck] [--pack-lines auto|on|off]
//            [--line-attention|--masked-attention]
//            [--own-line-attention|--libtorch-line-attention] [--own-line-attention-from N]
//            [--one-row-per-seed|--no-one-row-per-seed]
//            [--side-stream-weight-grads|--one-stream-weight-grads]
//            [--lt-gemms|--libtorch-gemms]
//            [--lt-transposed-weight-grads|--lt-nt-weight-grads]
//            [--wgmma-weight-grads|--cublas-weight-grads]
//            [--relay-residual-grads|--autograd-residual-grads] [--relay-into-linears]
//            [--one-copy-inputs|--separate-input-copies]
//            [--fused-relu-dropout|--libtorch-relu-dropout] [--dropout P]
//            [--fused-residual-dropout|--libtorch-residual-dropout] [--ragged C]
//            [--ragged-granules A,B] [--max-graphs N]
//            [--own-padded-views|--libtorch-padded-views]
//            [--own-weight-grads|--view-weight-grads]
//            [--high-priority-chain|--normal-priority-chain]
//            [--update-beside-forward|--update-after-step]
//            [--gemm-pins FILE[,FILE...]] [--print-gemm-pins]
// Trains the paper's model (d 512, 8 heads, FF 2048) on the task's generated data (default
// Question-Formation) in batches of 8 lines per seed (several lines per row, as sg-train on
// CUDA; --pack-lines off: one padded row per line), and prints model-steps/s (pack steps x seeds), the bytes it counts per
// model-step, the achieved GB/s, the device's copy bandwidth measured in the same run, the
// percentage of the roofline (copy bandwidth / bytes per model-step) and the allocator's peak memory. --sweep runs
// a table of layers x seeds. --check-cpu K trains the same pack (dropout 0) for K steps on the
// CPU and on the device and compares the per-step losses; exit 1 when they differ by more than
// --tolerance (relative). --profile adds the device's kernel time per step, by kernel, how the
// streams shared it (stream_timeline.h) and the update's time and bandwidth (update_share.h).
// The graph step's clip and AdamW run as our kernels (trainer/model/cuda_pack_optimizer.h) and
// each residual + LayerNorm as our fused kernel, as in sg-train; --libtorch-optimizer and
// --libtorch-layer-norm run LibTorch's instead (the before of docs/performance.md's table);
// --sg-optimizer and --fused-layer-norm name the defaults. Packed rows attend per line
// (trainer/model/cuda_line_attention.h) by our own kernels, dropout included, as in
// sg-train; --masked-attention runs the block-diagonal mask over whole rows instead;
// --libtorch-line-attention LibTorch's kernel instead of ours, for training without dropout
// only (--dropout 0; the paper's 0.1 is the default, and rows past 256 positions only);
// --own-line-attention names the default. --own-line-attention-from N: rows of at least N
// positions attend per line by our kernels, shorter ones through the mask (default 1: every
// row; 257 was the default before 2026-12-04). The layers' weight gradients run on
// a second stream (PackTrainerOptions::side_stream_weight_grads), as in sg-train;
// --one-stream-weight-grads keeps them in the backward's stream; --side-stream-weight-grads
// names the default. The layers' products there are cuBLASLt's, with its first-ranked
// algorithm (PackTrainerOptions::lt_gemms), as in sg-train; --libtorch-gemms takes
// LibTorch's bmm instead; --lt-gemms names the default. --lt-transposed-weight-grads takes
// each weight gradient's product from a transposed copy of the layer's input ("nn", which
// Hopper's sm90 TF32 kernels take; PackTrainerOptions::lt_transposed_weight_grads);
// --lt-nt-weight-grads names the default (x^T @ dy as it stands, "nt"; sm80 kernels on
// Hopper). The weight gradients are sg's own Hopper kernel's, which also writes their norm's
// sums of squares (PackTrainerOptions::wgmma_weight_grads), as in sg-train;
// --cublas-weight-grads takes cuBLASLt's products and the norm's full pass instead;
// --wgmma-weight-grads names the default. Each residual's gradient of its input goes past
// autograd's add to the residual that wrote that input, whose backward kernels add it
// (PackTrainerOptions::relay_residual_grads), as in sg-train; --autograd-residual-grads
// leaves the sum to autograd's add; --relay-residual-grads names the default;
// --relay-into-linears hands it to the linear that also reads the input instead, which adds
// it in its product's epilogue (PackTrainerOptions::relay_into_linears). A graph step's
// inputs go to the device as one copy (PackTrainerOptions::one_copy_inputs), as in sg-train;
// --separate-input-copies copies each tensor and fills the step and learning rate apart;
// --one-copy-inputs names the default. The feed-forward's
// ReLU + dropout run as one kernel of ours each way (PackTrainerOptions::fused_relu_dropout),
// as in sg-train;
// --libtorch-relu-dropout runs LibTorch's relu and dropout instead; --fused-relu-dropout
// names the default.
// Each seed's lines go back to back in one row in steps whose usual rows would be past 256
// positions and attend per line (PackTrainerOptions::one_row_per_seed), as in sg-train;
// --no-one-row-per-seed keeps the usual rows; --one-row-per-seed names the default;
// --one-row-from N takes one row per seed in steps whose usual rows are at least N positions
// (default 257; 1: every step, QF's and Tense's rows of 64 too), --one-row-granule G rounds
// such a row's length up to a multiple of G positions (default 256). The
// dropout on each residual branch runs inside our residual + LayerNorm kernels
// (PackTrainerOptions::fused_residual_dropout), as in sg-train; --libtorch-residual-dropout
// runs torch::dropout before them instead;
// --fused-residual-dropout names the default. --ragged C lays each step out ragged
// (PackTrainerOptions::ragged_chunk: each seed its own positions, in chunks of C, a multiple
// of 8), one graph per rounded (chunks, largest seed's chunks): --ragged-granules A,B rounds
// them up to multiples of A and B (default 16,8, for Dyck's spread; QF's few shapes fit 1,1).
// --gemm-pins FILE times the step with the cuBLASLt configurations FILE pins
// (trainer/model/gemm_pin_text.h) in place of the compiled table (CUDA builds): on the H200 only
// the step ranks a table, and one binary can then time many; an empty FILE pins nothing (the
// heuristic's first everywhere). --gemm-pins F1,F2,... times one pack a table in turn in one
// process (a row each, its table named on the line before it), without a process start and the
// copy bandwidth's measurement a row. --print-gemm-pins prints the table in force in that format
// and exits.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/sweep_spec.h"
#include "common/version.h"
#include "tasks/task_dataset.h"
#include "trainer/api/pack_memory.h"
#include "trainer/model/cuda_device.h"
#include "trainer/model/cuda_line_attention.h"
#include "trainer/model/cuda_seed_gemm.h"
#include "trainer/model/gemm_pin_text.h"
#include "trainer/model/pack_trainer.h"
#include "trainer/model/ragged_batch.h"
#include "trainer/model/stream_timeline.h"
#include "trainer/model/torch_warnings.h"
#include "trainer/model/update_priority.h"
#include "trainer/model/update_share.h"

namespace sg {
namespace {

// The bytes a model-step must move per parameter (fp32): the forward reads the weights (4), the
// backward reads them again for the input gradient (4) and writes the weight gradient (4), the
// per-seed norm reads the gradient (4), and AdamW reads weights, gradient and both moments (16)
// and writes weights and moments (12). Activations are left out: at batch 8 x ~40 tokens they
// are a few percent of this.
constexpr int64_t kBytesPerParam = 4 + 4 + 4 + 4 + 16 + 12;

struct Flags {
  int64_t layers = 6, seeds = 10, steps = 300, warmup = 60, check_cpu = 0;
  int64_t own_line_attention_from = kOwnLineAttentionFrom;
  int64_t one_row_from = kOneRowFrom, one_row_granule = kOneRowGranule;
  int64_t ragged_chunk = 0;  // off
  int64_t max_graphs = PackTrainerOptions{}.max_graphs;  // sg-train's cap
  int64_t ragged_chunks_granule = kRaggedChunksGranule;
  int64_t ragged_seed_chunks_granule = kRaggedSeedChunksGranule;
  std::string device = "cuda", precision = "tf32";
  bool sweep = false, graphs = true, profile = false, fused_attention = false;
  bool own_optimizer = true, fused_layer_norm = true, line_attention = true;  // the defaults
  bool own_line_attention = true, one_row_per_seed = true, side_stream = true;
  bool lt_gemms = true;  // PackTrainerOptions's default
  bool lt_transposed_weight_grads = false;  // PackTrainerOptions's default
  bool wgmma_weight_grads = PackTrainerOptions{}.wgmma_weight_grads;
  bool relay_residual_grads = PackTrainerOptions{}.relay_residual_grads;
  bool relay_into_linears = PackTrainerOptions{}.relay_into_linears;
  bool one_copy_inputs = PackTrainerOptions{}.one_copy_inputs;
  bool own_padded_views = true, own_weight_grads = false;
  int chain_priority = -1;  // -1: the trainer's defaults; 1: high for every step; 0: normal
  bool update_beside_forward = PackTrainerOptions{}.update_beside_forward;
  UpdatePriority update_priority = PackTrainerOptions{}.update_priority;
  bool fused_relu_dropout = true, fused_residual_dropout = true;
  double tolerance = -1;  // default by precision
  double dropout = 0.1;   // the paper's (experiment.md §1.4)
  TaskKind task = TaskKind::kQuestionFormation;
  std::string pack_lines = "auto";  // auto: packed, as sg-train on CUDA
  // Pin tables' files (--gemm-pins F[,F...]); none: the compiled table.
  std::vector<std::string> gemm_pins;
  bool print_gemm_pins = false;
};

// The pin table in `path` (gemm_pin_text.h), or why not. A table is a few lines: a file past
// 1 MiB is refused unread rather than parsed.
absl::StatusOr<std::vector<GemmPinText>> ReadGemmPins(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return absl::NotFoundError("cannot read '" + path + "'");
  const std::streamoff size = in.tellg();
  if (size > (std::streamoff{1} << 20)) {
    return absl::InvalidArgumentError("'" + path + "' is past 1 MiB: a pin table is a line a "
                                      "product");
  }
  std::string text(static_cast<size_t>(size), '\0');
  in.seekg(0);
  in.read(text.data(), size);
  absl::StatusOr<std::vector<GemmPinText>> pins = ParseGemmPins(text);
  if (!pins.ok()) {
    return absl::InvalidArgumentError(path + ": " + std::string(pins.status().message()));
  }
  return pins;
}

// Whether the graph steps update beside the next forward (padded and packed ones only).
bool UpdateBesideForward(const PackTrainerOptions& o) {
  return o.update_beside_forward && o.ragged_chunk == 0;
}

// Which graph steps are captured on a high-priority stream (PackTrainerOptions).
const char* ChainPriority(const PackTrainerOptions& o) {
  if (o.ragged_chunk > 0) return o.ragged_high_priority_chain ? "high" : "normal";
  return o.high_priority_chain ? "high" : "normal";
}

bool PackLines(const Flags& f) {
  return f.pack_lines != "off";  // auto: as sg-train on CUDA (every task)
}

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void Sync(const torch::Device& device) {
  // Reading one value waits for every queued kernel on the (default) stream.
  if (device.is_cuda()) torch::zeros({1}, torch::TensorOptions().device(device)).cpu();
}

// Device-to-device copy bandwidth, counting bytes read plus bytes written.
double CopyBandwidth(const torch::Device& device) {
  const int64_t n = device.is_cuda() ? (int64_t{1} << 28) : (int64_t{1} << 25);  // floats
  auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  torch::Tensor src = torch::rand({n}, opts), dst = torch::empty({n}, opts);
  for (int i = 0; i < 3; ++i) dst.copy_(src);
  Sync(device);
  const int reps = device.is_cuda() ? 30 : 5;
  const double t0 = Now();
  for (int i = 0; i < reps; ++i) dst.copy_(src);
  Sync(device);
  return 2.0 * n * sizeof(float) * reps / (Now() - t0);
}

PackTrainerOptions Options(const Flags& f, const TaskDataset& data, int64_t layers,
                           int64_t seeds, const torch::Device& device) {
  PackTrainerOptions o;
  o.config.depth = layers;
  o.config.dropout = f.dropout;
  o.config.steps = f.warmup + f.steps + std::max<int64_t>(f.check_cpu, 0) + 1;
  for (int64_t s = 0; s < seeds; ++s) o.seeds.push_back(s);
  o.device = device;
  o.num_ids = data.vocab.num_ids();
  o.sos_id = data.vocab.sos_id();
  o.eos_id = data.vocab.eos_id();
  o.cuda_graphs = f.graphs;
  o.fused_attention = f.fused_attention;
  o.own_optimizer_kernels = f.own_optimizer;
  o.fused_layer_norm = f.fused_layer_norm;
  o.tf32 = f.precision != "fp32";
  o.bf16 = f.precision == "bf16" && device.is_cuda();  // the CPU reference is always fp32
  o.pack_lines = PackLines(f);
  o.line_attention = f.line_attention;
  o.own_line_attention = f.line_attention && f.own_line_attention;  // --masked-attention: neither
  o.own_line_attention_from = f.own_line_attention_from;
  o.one_row_per_seed = f.one_row_per_seed;
  o.one_row_from = f.one_row_from;
  o.one_row_granule = f.one_row_granule;
  o.side_stream_weight_grads = f.side_stream;
  o.lt_gemms = f.lt_gemms;
  o.lt_transposed_weight_grads = f.lt_transposed_weight_grads;
  o.wgmma_weight_grads = f.wgmma_weight_grads;
  o.relay_residual_grads = f.relay_residual_grads;
  o.relay_into_linears = f.relay_into_linears;
  o.one_copy_inputs = f.one_copy_inputs;
  o.fused_relu_dropout = f.fused_relu_dropout;
  o.fused_residual_dropout = f.fused_residual_dropout;
  o.ragged_chunk = f.ragged_chunk;
  o.max_graphs = static_cast<int>(f.max_graphs);
  o.ragged_own_padded_views = f.own_padded_views;
  o.ragged_own_weight_grads = f.own_weight_grads;
  if (f.chain_priority >= 0) {
    o.high_priority_chain = o.ragged_high_priority_chain = f.chain_priority == 1;
  }
  o.update_beside_forward = f.update_beside_forward;
  o.update_priority = f.update_priority;
  o.ragged_chunks_granule = f.ragged_chunks_granule;
  o.ragged_seed_chunks_granule = f.ragged_seed_chunks_granule;
  return o;
}

struct Row {
  int64_t layers, seeds, params;
  double model_steps_per_s, gbps, roofline_pct;
  int64_t peak_bytes;
  int64_t estimate_bytes;  // trainer/api/pack_memory.h's model of this pack (no eval budget)
  double positions = 0;    // computed per timed step (S x rows x row length, padding included)
  double real_pct = 0;     // the share of those that are real (tokens and SOS)
  int graphs;
  int64_t eager_steps;
};

// Which stream was busy when, per step: a stream that waits while another runs is the shorter
// branch at a join (stream_timeline.h).
void PrintStreams(const StreamTimeline& t, int steps) {
  const double us = 1e3 * steps;  // ns over the profiled steps -> us a step
  std::printf("streams (us a step): window %.0f, no kernel running %.0f, two or more at once "
              "%.0f\n",
              t.window_ns / us, t.idle_ns / us, t.parallel_ns / us);
  std::printf("  idle gaps a step:");
  for (const IdleGaps& g : t.gaps) {
    const std::string upper = g.max_ns > 0 ? "-" + std::to_string(g.max_ns / 1000) : "+";
    std::printf(" %.1f of %s%s us (%.0f us)%s", static_cast<double>(g.count) / steps,
                std::to_string(g.min_ns / 1000).c_str(), upper.c_str(), g.total_ns / us,
                &g == &t.gaps.back() ? "\n" : ",");
  }
  for (const StreamActivity& a : t.streams) {
    std::printf("  stream %ld: %.0f kernels, busy %.0f, waiting while another runs %.0f, its own "
                "kernels stacked %.0f\n",
                static_cast<long>(a.stream), static_cast<double>(a.kernels) / steps,
                a.busy_ns / us, a.waiting_ns / us, a.stacked_ns / us);
  }
}

// The update's kernels (the gradient norm's pass and AdamW) against the bytes they must move:
// how far the update is from its floor (update_share.h).
void PrintUpdate(const UpdateShare& u, double wall_per_step, double copy_bw) {
  if (u.us_per_step <= 0) return;
  std::printf("update (gradient norm + AdamW): %.0f us a step in %.0f kernels, %.0f%% of the "
              "wall; %ld bytes a parameter: %.0f GB/s, %.1f%% of the copy bandwidth\n",
              u.us_per_step, u.launches_per_step, 100.0 * u.us_per_step / (wall_per_step * 1e6),
              static_cast<long>(u.bytes_per_param), u.gb_per_s,
              copy_bw > 0 ? 100.0 * u.gb_per_s * 1e9 / copy_bw : 0.0);
}

// Where a step's device time goes: kernel time by kernel over 20 steps, against wall time.
void Profile(PackTrainer& trainer, const Row& row, double wall_per_step, double copy_bw) {
  const int steps = 20;
  if (!StartKernelProfile().ok()) return;
  for (int i = 0; i < steps; ++i) trainer.Step();
  trainer.TakeStats();
  std::vector<KernelInterval> intervals;
  absl::StatusOr<std::vector<KernelTime>> kernels = StopKernelProfile(&intervals);
  if (!kernels.ok()) {
    std::printf("profile: %s\n", kernels.status().ToString().c_str());
    return;
  }
  double total = 0;
  int64_t launches = 0;
  for (const KernelTime& k : *kernels) {
    total += k.total_us;
    launches += k.count;
  }
  std::printf("profile (%ld layers, %ld seeds): %.0f us of kernels per step in %.0f kernels; "
              "wall %.0f us per step (kernels %.0f%% of wall)\n",
              static_cast<long>(row.layers), static_cast<long>(row.seeds), total / steps,
              static_cast<double>(launches) / steps, wall_per_step * 1e6,
              100.0 * total / steps / (wall_per_step * 1e6));
  for (size_t i = 0; i < kernels->size() && i < 25; ++i) {
    const KernelTime& k = (*kernels)[i];
    std::printf("  %7.1f us/step %5.1f%% %5.0fx  %.110s\n", k.total_us / steps,
                100.0 * k.total_us / total, static_cast<double>(k.count) / steps,
                k.name.c_str());
  }
  PrintStreams(SummarizeStreams(intervals), steps);
  PrintUpdate(SummarizeUpdate(*kernels, steps, row.params * row.seeds), wall_per_step, copy_bw);
}

Row BenchOne(const Flags& f, const TaskDataset& data, int64_t layers, int64_t seeds,
             const torch::Device& device, double copy_bw) {
  if (device.is_cuda()) ResetCudaMemoryPeaks(device.index());
  PackTrainer trainer(Options(f, data, layers, seeds, device), &data.train);
  for (int64_t i = 0; i < f.warmup; ++i) trainer.Step();
  trainer.TakeStats();  // waits for the warm-up
  const int64_t eager_before = trainer.eager_steps();
  const int64_t computed_before = trainer.computed_positions();
  const int64_t real_before = trainer.real_positions();
  const double t0 = Now();
  for (int64_t i = 0; i < f.steps; ++i) trainer.Step();
  PackTrainer::Stats stats = trainer.TakeStats();  // waits for the timed steps
  const double dt = Now() - t0;
  for (double l : stats.loss) {
    if (!std::isfinite(l)) std::fprintf(stderr, "sg-bench: warning: non-finite loss\n");
  }
  Row r;
  r.layers = layers;
  r.seeds = seeds;
  r.params = trainer.model().shape().NumParams();
  r.model_steps_per_s = static_cast<double>(f.steps * seeds) / dt;
  const double bytes = static_cast<double>(r.params * kBytesPerParam);
  r.gbps = r.model_steps_per_s * bytes / 1e9;
  r.roofline_pct = 100.0 * r.model_steps_per_s / (copy_bw / bytes);
  r.peak_bytes = 0;
  if (device.is_cuda()) {
    absl::StatusOr<CudaMemoryFigures> mem = CudaMemory(device.index());
    if (mem.ok()) r.peak_bytes = mem->peak_reserved;
  }
  r.graphs = trainer.num_graphs();
  r.eager_steps = trainer.eager_steps() - eager_before;
  const double computed = static_cast<double>(trainer.computed_positions() - computed_before);
  r.positions = computed / static_cast<double>(f.steps);
  r.real_pct =
      computed > 0 ? 100.0 * static_cast<double>(trainer.real_positions() - real_before) / computed
                   : 0.0;
  // The worker sizes packs with this model; printing it beside the measured peak shows when its
  // constants need calibrating (trainer/api/pack_memory.h).
  const TaskSizeBounds bounds = TaskSizeBoundsFor(f.task);
  r.estimate_bytes = EstimatePackMemory(Options(f, data, layers, seeds, device).config,
                                        data.vocab.num_ids(), bounds.max_tokens, r.graphs,
                                        /*eval_bytes=*/0, bounds.eager_line_tokens)
                         .Bytes(seeds);
  if (f.profile && device.is_cuda()) {
    Profile(trainer, r, dt / static_cast<double>(f.steps), copy_bw);
  }
  return r;
}

void PrintHeader() {
  std::printf("%6s %5s %11s %14s %12s %9s %9s %10s %10s %6s %6s %10s %6s\n", "layers",
              "seeds", "params/seed", "model-steps/s", "bytes/step", "GB/s", "roofline",
              "peak MiB", "est MiB", "graphs", "eager", "positions", "real");
}

void PrintRow(const Row& r) {
  std::printf("%6ld %5ld %11ld %14.0f %12ld %9.0f %8.1f%% %10.0f %10.0f %6d %6ld %10.0f %5.1f%%\n",
              static_cast<long>(r.layers), static_cast<long>(r.seeds),
              static_cast<long>(r.params), r.model_steps_per_s,
              static_cast<long>(r.params * kBytesPerParam), r.gbps, r.roofline_pct,
              r.peak_bytes / 1048576.0, r.estimate_bytes / 1048576.0, r.graphs,
              static_cast<long>(r.eager_steps), r.positions, r.real_pct);
  std::fflush(stdout);
}

// Per-step losses of the same pack on the CPU and on `device`, dropout off (the two devices'
// dropout streams differ by design). Returns the exit code.
int CheckAgainstCpu(const Flags& f, const TaskDataset& data, const torch::Device& device) {
  double tol = f.tolerance;
  if (tol < 0) tol = f.precision == "bf16" ? 5e-2 : (f.precision == "fp32" ? 1e-4 : 5e-3);
  auto run = [&](const torch::Device& d) {
    PackTrainerOptions o = Options(f, data, f.layers, f.seeds, d);
    o.config.dropout = 0.0;
    // The CPU reference keeps one padded row per line, so a packed device run is checked
    // against the layout the packing must reproduce.
    if (!d.is_cuda()) o.pack_lines = false;
    PackTrainer trainer(o, &data.train);
    std::vector<std::vector<double>> losses;  // [step][seed]
    for (int64_t i = 0; i < f.check_cpu; ++i) {
      torch::Tensor l = trainer.Step().to(torch::kFloat64).cpu();
      losses.emplace_back(l.data_ptr<double>(), l.data_ptr<double>() + l.numel());
    }
    return losses;
  };
  const double t0 = Now();
  auto cpu = run(torch::kCPU);
  const double t1 = Now();
  auto dev = run(device);
  const double t2 = Now();
  double max_rel = 0, sum_rel = 0;
  int64_t worst_step = 0, n = 0;
  for (size_t i = 0; i < cpu.size(); ++i) {
    for (size_t s = 0; s < cpu[i].size(); ++s) {
      const double rel = std::fabs(dev[i][s] - cpu[i][s]) / std::max(1e-12, std::fabs(cpu[i][s]));
      if (!std::isfinite(dev[i][s])) max_rel = INFINITY;
      if (rel > max_rel) {
        max_rel = rel;
        worst_step = static_cast<int64_t>(i) + 1;
      }
      sum_rel += rel;
      ++n;
    }
  }
  std::printf("check: %ld layers, %ld seeds, %ld steps, dropout 0, %s on %s%s vs fp32 on cpu "
              "(%.0fs cpu, %.0fs %s)\n",
              static_cast<long>(f.layers), static_cast<long>(f.seeds),
              static_cast<long>(f.check_cpu), f.precision.c_str(), device.str().c_str(),
              PackLines(f) && device.is_cuda() ? " (lines packed)" : "", t1 - t0, t2 - t1,
              device.str().c_str());
  for (size_t i : {size_t{0}, cpu.size() / 2, cpu.size() - 1}) {
    std::printf("  step %4zu seed 0: cpu %.6f  %s %.6f\n", i + 1, cpu[i][0],
                device.str().c_str(), dev[i][0]);
  }
  const bool pass = max_rel <= tol;
  std::printf("check: loss relative difference max %.3g (step %ld), mean %.3g; tolerance %.3g: "
              "%s\n",
              max_rel, static_cast<long>(worst_step), sum_rel / std::max<int64_t>(1, n), tol,
              pass ? "PASS" : "FAIL");
  return pass ? 0 : 1;
}

// --help: every flag with its default.
int Help() {
  std::printf(
      "usage: sg-bench [flags]\n"
      "Trains a pack of seeds of the paper's model and prints model-steps/s against the "
      "device's\nmemory-bandwidth roofline (docs/performance.md).\n\nflags:\n"
      "  --layers L          encoder layers (default 6)\n"
      "  --seeds S           seeds in the pack (default 10)\n"
      "  --steps N           timed steps (default 300)\n"
      "  --warmup W          untimed steps first (default 60)\n"
      "  --device D          cuda, cuda:N or cpu (default cuda)\n"
      "  --precision P       tf32 (default), fp32 or bf16\n"
      "  --no-cuda-graphs    step without CUDA graphs\n"
      "  --fused-attention   use the fused attention kernel\n"
      "  --sg-optimizer      clip and AdamW with sg's own kernels (the default)\n"
      "  --libtorch-optimizer  clip and AdamW with LibTorch's kernels instead\n"
      "  --fused-layer-norm  residual + LayerNorm as sg's fused kernel (graph steps; default)\n"
      "  --libtorch-layer-norm  residual + LayerNorm as LibTorch's ops instead\n"
      "  --sweep             a table of layers x seeds instead of one pack\n"
      "  --check-cpu K       train K steps on the CPU and on the device and compare the losses "
      "(exit 1 past --tolerance)\n"
      "  --tolerance X       relative loss difference allowed by --check-cpu (default by "
      "precision: fp32 1e-4, tf32 5e-3, bf16 5e-2)\n"
      "  --profile           add the device's kernel time per step, by kernel\n"
      "  --task T            question_formation (default), tense_inflection or dyck: the "
      "task's generated train split\n"
      "  --pack-lines M      auto (default: as sg-train, on), on or off: several lines per row\n"
      "  --line-attention    packed rows attend per line (CUDA build; the default)\n"
      "  --masked-attention  packed rows attend through a block-diagonal mask instead\n"
      "  --own-line-attention  per line by sg's own kernels, dropout included (the default)\n"
      "  --libtorch-line-attention  per line by LibTorch's kernel instead (dropout 0 only; "
      "not reproducible bit for bit)\n"
      "  --own-line-attention-from N  rows of at least N positions attend per line by sg's "
      "kernels, shorter ones through the mask (default 1: every row)\n"
      "  --one-row-per-seed  each seed's lines back to back in one row, in steps whose usual "
      "rows would be past 256 positions and attend per line (the default)\n"
      "  --no-one-row-per-seed  the usual rows in every step\n"
      "  --one-row-from N    one row per seed in steps whose usual rows are at least N "
      "positions (default 257; 1: every step)\n"
      "  --one-row-granule G  one-row lengths in multiples of G positions, G 8 to 256 in 8s "
      "(default 256)\n"
      "  --side-stream-weight-grads  the layers' weight gradients on a second CUDA stream "
      "(graph steps, fp32 and tf32; the default)\n"
      "  --one-stream-weight-grads  the weight gradients in the backward's stream instead\n"
      "  --lt-gemms          with the side stream, the layers' products by cuBLASLt's "
      "first-ranked algorithm (the default)\n"
      "  --libtorch-gemms    the layers' products by LibTorch's bmm instead\n"
      "  --lt-transposed-weight-grads  with --lt-gemms, each weight gradient from a transposed "
      "copy of the layer's input (\"nn\": Hopper's sm90 TF32 kernels)\n"
      "  --lt-nt-weight-grads  the weight gradients from the input as it stands (\"nt\"; "
      "the default)\n"
      "  --wgmma-weight-grads  with --lt-gemms and sg's optimizer, the weight gradients by "
      "sg's Hopper kernel, their norm's sums in its epilogue (the default)\n"
      "  --cublas-weight-grads  the weight gradients by cuBLASLt, the norm's full pass\n"
      "  --relay-residual-grads  each residual's input gradient added by the backward "
      "kernels of the residual that wrote that input (the default)\n"
      "  --relay-into-linears  those gradients added in the epilogue of the product of the "
      "linear that also reads that input instead\n"
      "  --autograd-residual-grads  autograd's add kernel for those sums instead\n"
      "  --one-copy-inputs   a graph step's batch, step and learning rate as one copy "
      "(the default)\n"
      "  --separate-input-copies  a copy a tensor and two fills instead\n"
      "  --fused-relu-dropout  the feed-forward's ReLU + dropout as one kernel of sg's "
      "(the default)\n"
      "  --libtorch-relu-dropout  LibTorch's relu and dropout instead\n"
      "  --fused-residual-dropout  the residual branches' dropout inside sg's LayerNorm "
      "kernels (the default)\n"
      "  --libtorch-residual-dropout  torch::dropout before the LayerNorm instead\n"
      "  --dropout P         dropout probability of every site (default 0.1, the paper's; "
      "--libtorch-line-attention needs 0)\n"
      "  --ragged C          each seed its own positions, in chunks of C (a multiple of 8 "
      "from 8 to 1024)\n"
      "  --ragged-granules A,B  ragged graphs per chunk count rounded up to A and largest "
      "seed's chunks to B (default 16,8)\n"
      "  --max-graphs N      captured graphs per pack at most, 1 to 64 (default 8); steps of "
      "other shapes run eagerly\n"
      "  --own-padded-views  ragged weight gradients read padded views written by sg's kernel "
      "(the default)\n"
      "  --libtorch-padded-views  LibTorch's zeros and index_copy_ for them instead\n"
      "  --own-weight-grads  ragged weight gradients over each seed's own rows by sg's "
      "kernel (TF32 only)\n"
      "  --view-weight-grads  ragged weight gradients through the padded views (the default)\n"
      "  --high-priority-chain  every graph step captured on a high-priority stream, ahead "
      "of the side stream's weight gradients (default: padded and packed steps only)\n"
      "  --normal-priority-chain  every graph step captured at normal priority\n"
      "  --update-beside-forward  the layers' AdamW beside the next step's forward (padded "
      "and packed graph steps; the same bits; the default)\n"
      "  --update-after-step  every AdamW at the end of its own step\n"
      "  --gemm-pins FILE    the layers' products take the cuBLASLt configurations FILE pins "
      "(one a line: op_a op_b m n k seeds, then the configuration as sg-gemm-bench prints it) "
      "in place of the compiled table; an empty FILE pins nothing (CUDA builds); F1,F2,... "
      "times one pack a table in turn\n"
      "  --print-gemm-pins   print the pin table in force in --gemm-pins's format and exit\n"
      "  --help, -h          show this help\n"
      "  --version           print sg-bench's version\n");
  return 0;
}

int Usage(const std::string& error) {
  std::fprintf(stderr,
               "sg-bench: %s\nusage: sg-bench [--layers L] [--seeds S] [--steps N] "
               "[--device cuda[:N]|cpu] [--sweep]\n                [--precision tf32|fp32|bf16] "
               "[--no-cuda-graphs] [--warmup W] [--check-cpu STEPS] [--tolerance X]\n"
               "                [--profile] [--fused-attention] [--sg-optimizer]\n"
               "                [--fused-layer-norm|--libtorch-layer-norm] [--task T] [--pack-lines auto|on|off]\n"
               "                [--line-attention|--masked-attention]\n"
               "                [--own-line-attention|--libtorch-line-attention]\n"
               "                [--own-line-attention-from N]\n"
               "                [--one-row-per-seed|--no-one-row-per-seed]\n"
               "                [--one-row-from N] [--one-row-granule G]\n"
               "                [--side-stream-weight-grads|--one-stream-weight-grads]\n"
               "                [--lt-gemms|--libtorch-gemms]\n"
               "                [--lt-transposed-weight-grads|--lt-nt-weight-grads]\n"
               "                [--wgmma-weight-grads|--cublas-weight-grads]\n"
               "                [--relay-residual-grads|--autograd-residual-grads]\n"
               "                [--relay-into-linears]\n"
               "                [--one-copy-inputs|--separate-input-copies]\n"
               "                [--fused-relu-dropout|--libtorch-relu-dropout] [--dropout P]\n"
               "                [--fused-residual-dropout|--libtorch-residual-dropout]\n"
               "                [--ragged C] [--ragged-granules A,B] [--max-graphs N]\n"
               "                [--own-padded-views|--libtorch-padded-views]\n"
               "                [--own-weight-grads|--view-weight-grads]\n"
               "                [--high-priority-chain|--normal-priority-chain]\n"
               "                [--update-beside-forward|--update-after-step]\n"
               "                [--update-priority below|chain|above]\n"
               "                [--gemm-pins FILE[,FILE...]] [--print-gemm-pins]\n",
               error.c_str());
  return 2;
}

int Main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // lines in order with stderr when piped
  Flags f;
  // Flags without a value, and the value each sets.
  const std::map<std::string, std::pair<bool*, bool>> switches = {
      {"--sweep", {&f.sweep, true}},
      {"--profile", {&f.profile, true}},
      {"--update-beside-forward", {&f.update_beside_forward, true}},
      {"--update-after-step", {&f.update_beside_forward, false}},
      {"--fused-attention", {&f.fused_attention, true}},
      {"--libtorch-optimizer", {&f.own_optimizer, false}},
      {"--sg-optimizer", {&f.own_optimizer, true}},
      {"--fused-layer-norm", {&f.fused_layer_norm, true}},
      {"--libtorch-layer-norm", {&f.fused_layer_norm, false}},
      {"--line-attention", {&f.line_attention, true}},
      {"--masked-attention", {&f.line_attention, false}},
      {"--own-line-attention", {&f.own_line_attention, true}},
      {"--libtorch-line-attention", {&f.own_line_attention, false}},
      {"--one-row-per-seed", {&f.one_row_per_seed, true}},
      {"--no-one-row-per-seed", {&f.one_row_per_seed, false}},
      {"--own-padded-views", {&f.own_padded_views, true}},
      {"--libtorch-padded-views", {&f.own_padded_views, false}},
      {"--own-weight-grads", {&f.own_weight_grads, true}},
      {"--view-weight-grads", {&f.own_weight_grads, false}},
      {"--side-stream-weight-grads", {&f.side_stream, true}},
      {"--one-stream-weight-grads", {&f.side_stream, false}},
      {"--lt-gemms", {&f.lt_gemms, true}},
      {"--libtorch-gemms", {&f.lt_gemms, false}},
      {"--lt-transposed-weight-grads", {&f.lt_transposed_weight_grads, true}},
      {"--lt-nt-weight-grads", {&f.lt_transposed_weight_grads, false}},
      {"--wgmma-weight-grads", {&f.wgmma_weight_grads, true}},
      {"--cublas-weight-grads", {&f.wgmma_weight_grads, false}},
      {"--relay-residual-grads", {&f.relay_residual_grads, true}},
      {"--autograd-residual-grads", {&f.relay_residual_grads, false}},
      {"--relay-into-linears", {&f.relay_into_linears, true}},
      {"--one-copy-inputs", {&f.one_copy_inputs, true}},
      {"--separate-input-copies", {&f.one_copy_inputs, false}},
      {"--fused-relu-dropout", {&f.fused_relu_dropout, true}},
      {"--libtorch-relu-dropout", {&f.fused_relu_dropout, false}},
      {"--fused-residual-dropout", {&f.fused_residual_dropout, true}},
      {"--libtorch-residual-dropout", {&f.fused_residual_dropout, false}},
      {"--print-gemm-pins", {&f.print_gemm_pins, true}},
      {"--no-cuda-graphs", {&f.graphs, false}}};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") return Help();
    if (arg == "--version") {
      std::printf("sg-bench %s\n", kSgVersion);
      return 0;
    }
    if (arg == "--high-priority-chain" || arg == "--normal-priority-chain") {
      f.chain_priority = arg == "--high-priority-chain" ? 1 : 0;
      continue;
    }
    if (auto it = switches.find(arg); it != switches.end()) {
      *it->second.first = it->second.second;
      continue;
    }
    if (arg.rfind("--", 0) != 0 || i + 1 >= argc) return Usage("bad argument '" + arg + "'");
    const std::string value = argv[++i];
    auto whole = [&](int64_t* out) {
      return absl::SimpleAtoi(value, out) && *out >= 0;
    };
    bool ok = true;
    if (arg == "--layers") {
      ok = whole(&f.layers) && f.layers > 0;
    } else if (arg == "--seeds") {
      ok = whole(&f.seeds) && f.seeds > 0;
    } else if (arg == "--steps") {
      ok = whole(&f.steps) && f.steps > 0;
    } else if (arg == "--warmup") {
      ok = whole(&f.warmup);
    } else if (arg == "--own-line-attention-from") {
      ok = whole(&f.own_line_attention_from) && f.own_line_attention_from > 0;
    } else if (arg == "--one-row-from") {
      if (!whole(&f.one_row_from) || f.one_row_from < 1) {
        return Usage("--one-row-from: expected a row length of at least 1 position (1: every "
                     "step), got '" + value + "'");
      }
    } else if (arg == "--one-row-granule") {
      // Multiples of 8 keep a row's positions aligned for the GEMMs and our kernels.
      if (!whole(&f.one_row_granule) || f.one_row_granule < 8 || f.one_row_granule > 256 ||
          f.one_row_granule % 8 != 0) {
        return Usage("--one-row-granule: expected a multiple of 8 from 8 to 256, got '" + value +
                     "'");
      }
    } else if (arg == "--ragged") {
      if (!whole(&f.ragged_chunk) || f.ragged_chunk < 8 || f.ragged_chunk > 1024 ||
          f.ragged_chunk % 8 != 0) {
        return Usage("--ragged: expected a chunk of positions, a multiple of 8 from 8 to 1024, "
                     "got '" + value + "'");
      }
    } else if (arg == "--ragged-granules") {
      const std::vector<std::string> parts = absl::StrSplit(value, ',');
      if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &f.ragged_chunks_granule) ||
          !absl::SimpleAtoi(parts[1], &f.ragged_seed_chunks_granule) ||
          f.ragged_chunks_granule < 1 || f.ragged_seed_chunks_granule < 1) {
        return Usage("--ragged-granules: expected two whole numbers of at least 1, A,B, got '" +
                     value + "'");
      }
    } else if (arg == "--max-graphs") {
      // Each graph holds its own activations in the shared pool: a bound keeps memory bounded.
      if (!whole(&f.max_graphs) || f.max_graphs < 1 || f.max_graphs > 64) {
        return Usage("--max-graphs: expected a number of graphs from 1 to 64, got '" + value +
                     "'");
      }
    } else if (arg == "--check-cpu") {
      ok = whole(&f.check_cpu);
    } else if (arg == "--dropout") {
      ok = absl::SimpleAtod(value, &f.dropout) && f.dropout >= 0 && f.dropout < 1;
    } else if (arg == "--tolerance") {
      ok = absl::SimpleAtod(value, &f.tolerance) && f.tolerance >= 0;
    } else if (arg == "--task") {
      absl::StatusOr<TaskKind> task = ParseTaskName(value);
      if (!task.ok()) {
        return Usage("--task: expected question_formation, tense_inflection or dyck, got '" +
                     value + "'");
      }
      f.task = *task;
    } else if (arg == "--update-priority") {
      const std::optional<UpdatePriority> priority = UpdatePriorityFromName(value);
      if (!priority) {
        return Usage("--update-priority: expected below, chain or above, got '" + value + "'");
      }
      f.update_priority = *priority;
    } else if (arg == "--pack-lines") {
      ok = value == "auto" || value == "on" || value == "off";
      f.pack_lines = value;
    } else if (arg == "--gemm-pins") {
      f.gemm_pins = absl::StrSplit(value, ',');
    } else if (arg == "--device") {
      f.device = value;
    } else if (arg == "--precision") {
      ok = value == "tf32" || value == "fp32" || value == "bf16";
      f.precision = value;
    } else {
      return Usage("unknown flag " + arg);
    }
    if (!ok) return Usage(arg + ": bad value '" + value + "'");
  }
  torch::Device device(torch::kCPU);
  try {
    device = torch::Device(f.device);
  } catch (const c10::Error&) {
    return Usage("--device: expected cpu, cuda or cuda:N, got '" + f.device + "'");
  }
  if (device.is_cuda() && !torch::cuda::is_available()) {
    return Usage("--device " + f.device + ": CUDA is not available in this build or machine");
  }
  if (device.is_cuda() && !device.has_index()) device.set_index(0);
  // The table is replaced before any trainer plans a product (the probe below plans some).
  // Every table is read before any work, so a bad one costs nothing.
  std::string pins_note;
  std::vector<std::vector<GemmPinText>> pin_tables;
  for (const std::string& file : f.gemm_pins) {
    absl::StatusOr<std::vector<GemmPinText>> pins = ReadGemmPins(file);
    if (!pins.ok()) return Usage("--gemm-pins: " + std::string(pins.status().message()));
    pin_tables.push_back(*std::move(pins));
  }
  if (pin_tables.size() > 1 && (f.sweep || f.check_cpu > 0 || f.print_gemm_pins)) {
    return Usage("--gemm-pins: several tables time one pack each in turn; --sweep, "
                 "--check-cpu and --print-gemm-pins take one table");
  }
  if (!pin_tables.empty()) {
    const absl::Status replaced = ReplaceSeedGemmPins(pin_tables.front());
    if (!replaced.ok()) return Usage("--gemm-pins: " + std::string(replaced.message()));
    pins_note = pin_tables.size() > 1
                    ? " (pins from each of " + std::to_string(pin_tables.size()) +
                          " tables in turn)"
                    : " (pins from " + f.gemm_pins.front() + ": " +
                          std::to_string(pin_tables.front().size()) + ")";
  }
  if (f.print_gemm_pins) {
    std::printf("# sg-bench --print-gemm-pins: %s\n",
                !SeedGemmAvailable() ? "no cuBLASLt products in this build (a CPU build)"
                : f.gemm_pins.empty()
                    ? "the compiled table of this device's card (TF32)"
                    : ("the table of " + f.gemm_pins.front()).c_str());
    for (const GemmPinText& pin : SeedGemmPinsInForce(device)) {
      std::printf("%s\n", FormatGemmPin(pin).c_str());
    }
    return 0;
  }

  LayoutNoteFilter filter;
  const double t0 = Now();
  absl::StatusOr<TaskDataset> data = LoadTaskDataset(f.task, DefaultDataConfig(f.task));
  if (!data.ok()) {
    std::fprintf(stderr, "sg-bench: %s\n", data.status().ToString().c_str());
    return 1;
  }
  const std::string own_rows =
      "rows from " + std::to_string(f.own_line_attention_from) + ", sg's kernels";
  const std::string packing =
      f.ragged_chunk > 0      ? "ragged (each seed its own positions, chunks of " +
                                    std::to_string(f.ragged_chunk) + ")"
      : !PackLines(f)         ? "off"
      : !f.one_row_per_seed   ? "on"
                              : "on (one row per seed from rows of " +
                                    std::to_string(f.one_row_from) + ", in " +
                                    std::to_string(f.one_row_granule) + "s)";
  const PackTrainerOptions one_layer = Options(f, *data, 1, 1, device);
  const std::string update_note =
      std::string(", the update beside the next forward (--update-priority ") +
      UpdatePriorityName(one_layer.update_priority) + ")";
  std::printf("sg-bench: %s data, %zu train lines (%.1fs); device %s, %s, "
              "cuda graphs %s, fused attention %s, optimizer kernels %s, fused layer norm %s, "
              "lines packed into rows %s, attention per line %s, weight gradients %s, "
              "layer GEMMs %s%s, "
              "relu + dropout %s, residual dropout %s, residual gradients %s, dropout %g, graph "
              "steps at %s priority%s\n",
              TaskName(f.task), data->train.size(), Now() - t0, device.str().c_str(),
              f.precision.c_str(), f.graphs ? "on" : "off", f.fused_attention ? "on" : "off",
              f.own_optimizer ? "sg" : "libtorch", f.fused_layer_norm ? "on" : "off",
              packing.c_str(),
              !PackLines(f) || !f.line_attention ? "off"
              : f.own_line_attention && OwnLineAttentionAvailable()
                  ? own_rows.c_str()
              : f.dropout <= 0 && LineAttentionAvailable()
                  ? "rows past 256, LibTorch's kernel"
                  : "off",
              f.side_stream ? "on a side stream" : "in the chain",
              f.side_stream && f.lt_gemms && f.graphs && device.is_cuda() && SeedGemmAvailable()
                  ? (f.lt_transposed_weight_grads
                         ? "cuBLASLt's first, weight gradients from x transposed"
                     : f.wgmma_weight_grads && f.own_optimizer
                         ? "cuBLASLt's first, weight gradients by sg's wgmma kernel with "
                           "their norm's sums where it serves"
                         : "cuBLASLt's first")
                  : "LibTorch's bmm",
              pins_note.c_str(), f.fused_relu_dropout ? "sg's kernel" : "libtorch",
              f.fused_residual_dropout && f.fused_layer_norm ? "in sg's layer norm" : "libtorch",
              !f.relay_residual_grads || !f.fused_layer_norm ? "added by autograd"
              : !f.relay_into_linears ? "relayed to the residuals' kernels"
              : f.side_stream         ? "relayed to the linears' products"
                                      : "added by autograd",
              f.dropout, ChainPriority(one_layer),
              UpdateBesideForward(one_layer) ? update_note.c_str() : "");
  if (device.is_cuda()) {
    // Constructing a trainer sets the precision; report what cuBLAS was told.
    PackTrainer probe(one_layer, &data->train);
    std::printf("cuBLAS TF32 for fp32 matmuls: %s\n",
                at::globalContext().allowTF32CuBLAS() ? "on" : "off");
  }
  try {
    if (f.check_cpu > 0) return CheckAgainstCpu(f, *data, device);
    const double bw = CopyBandwidth(device);
    std::printf("device copy bandwidth (read + write): %.0f GB/s; counted %ld bytes per "
                "parameter per model-step\n",
                bw / 1e9, static_cast<long>(kBytesPerParam));
    PrintHeader();
    if (pin_tables.size() > 1) {
      // One pack a table, in the order given: a row's table is named on the line before it.
      for (size_t t = 0; t < pin_tables.size(); ++t) {
        const absl::Status replaced = ReplaceSeedGemmPins(pin_tables[t]);
        if (!replaced.ok()) return Usage("--gemm-pins: " + std::string(replaced.message()));
        std::printf("gemm pins: %s (%zu)\n", f.gemm_pins[t].c_str(), pin_tables[t].size());
        PrintRow(BenchOne(f, *data, f.layers, f.seeds, device, bw));
      }
      return 0;
    }
    if (!f.sweep) {
      PrintRow(BenchOne(f, *data, f.layers, f.seeds, device, bw));
      return 0;
    }
    for (int64_t layers : {2, 6, 10}) {
      for (int64_t seeds : {1, 4, 10, 16}) PrintRow(BenchOne(f, *data, layers, seeds, device, bw));
    }
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "sg-bench: %s\n", e.what_without_backtrace());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace sg

int main(int argc, char** argv) { return sg::Main(argc, argv); }
