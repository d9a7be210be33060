// TrainPack: spec + cell -> config, data, a PackTrainer, the step loop with evaluation,
// metrics, checkpoints, resume and stop handling.
#include "trainer/train_pack.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <torch/torch.h>
#include <torch/version.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/clock.h"
#include "common/run_config.h"
#include "common/status_macros.h"
#include "common/sweep_spec.h"
#include "tasks/evaluators.h"
#include "tasks/task_dataset.h"
#include "trainer/api/checkpoint_file.h"
#include "trainer/api/trainer_lines.h"
#include "trainer/eval/eval_sentences.h"
#include "trainer/eval/line_forward.h"
#include "trainer/eval/pack_eval.h"
#include "trainer/eval/pack_scorer.h"
#include "trainer/io/metrics_log.h"
#include "trainer/io/progress.h"
#include "trainer/model/attention_choice.h"
#include "trainer/model/cuda_device.h"
#include "trainer/model/layout_choice.h"
#include "trainer/model/pack_trainer.h"
#include "trainer/model/state_payload.h"
#include "trainer/model/torch_warnings.h"
#include "tasks/tree_sentences.h"
#include "trainer/eval/tree_sci.h"

namespace sg {
namespace {

constexpr uint64_t kAttentionSampleSeed = 42;  // the reference's set_seed(42) (§5)
// WriteCheckpointFile deletes nothing with this; PruneCheckpoints applies the retention.
constexpr int kKeepEveryFile = std::numeric_limits<int>::max();

absl::StatusOr<torch::Device> ParseDevice(const std::string& text) {
  if (text == "cpu") return torch::Device(torch::kCPU);
  if (text == "cuda" || text.rfind("cuda:", 0) == 0) {
    int index = 0;
    if (text.size() > 4 && (!absl::SimpleAtoi(text.substr(5), &index) || index < 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--device: expected cpu, cuda or cuda:N, got '", text, "'"));
    }
    if (!torch::cuda::is_available()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "--device ", text, ": CUDA is not available (this sg-train uses a CPU-only LibTorch, "
          "or no GPU is visible); use --device cpu"));
    }
    if (index >= static_cast<int>(torch::cuda::device_count())) {
      return absl::InvalidArgumentError(absl::StrCat("--device ", text, ": only ",
                                                     torch::cuda::device_count(),
                                                     " CUDA device(s) visible"));
    }
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--device: expected cpu, cuda or cuda:N, got '", text, "'"));
}

absl::Status ValidateConfig(const TrainConfig& c) {
  auto bad = [](const std::string& field, const std::string& rule, auto value) {
    return absl::InvalidArgumentError(
        absl::StrCat("train.", field, ": must be ", rule, ", got ", value));
  };
  if (c.depth < 1) return bad("depth", ">= 1", c.depth);
  if (c.steps < 1) return bad("steps", ">= 1", c.steps);
  if (c.eval_every < 1) return bad("eval_every", ">= 1", c.eval_every);
  if (c.checkpoint_every < 1) return bad("checkpoint_every", ">= 1", c.checkpoint_every);
  if (c.batch_size < 1) return bad("batch_size", ">= 1", c.batch_size);
  if (c.d_model < 1) return bad("d_model", ">= 1", c.d_model);
  if (c.heads < 1 || c.d_model % c.heads != 0) {
    return bad("heads", absl::StrCat("a divisor of d_model (", c.d_model, ")"), c.heads);
  }
  if (c.d_model % 2 != 0) return bad("d_model", "even (sinusoidal positions)", c.d_model);
  if (c.ff < 1) return bad("ff", ">= 1", c.ff);
  if (!(c.dropout >= 0 && c.dropout < 1)) return bad("dropout", "in [0, 1)", c.dropout);
  if (!(c.lr >= 0)) return bad("lr", ">= 0", c.lr);
  return absl::OkStatus();
}

absl::Status MakeDirs(const std::string& path) {
  std::string partial;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || (path[i] == '/' && i > 0)) {
      partial = path.substr(0, i);
      if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) {
        return absl::InternalError(
            absl::StrCat("cannot create folder ", partial, ": ", std::strerror(errno)));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status FromTorch(const c10::Error& e, const std::string& what) {
  const std::string msg = e.what_without_backtrace();
  if (msg.find("out of memory") != std::string::npos) {
    return absl::ResourceExhaustedError(absl::StrCat("out of memory while ", what, ": ", msg));
  }
  return absl::InternalError(absl::StrCat(what, " failed: ", msg));
}

// The run's resolved config: from --config (what the coordinator stored at submit), or resolved
// here from --spec and --cell (standalone use) by the same function the coordinator uses.
absl::StatusOr<RunConfig> LoadRunConfig(const TrainPackOptions& o) {
  if (!o.config_path.empty()) {
    std::ifstream in(o.config_path, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat("--config: cannot open ", o.config_path));
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    absl::StatusOr<RunConfig> run = ParseRunConfigJson(text);
    if (!run.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--config ", o.config_path, ": ", run.status().message()));
    }
    return run;
  }
  SG_ASSIGN_OR_RETURN(SweepSpec spec, LoadSweepSpecFile(o.spec_path));
  GridCell cell;
  if (!o.cell.empty()) {
    SG_ASSIGN_OR_RETURN(cell, ParseCell(o.cell));
  }
  return ResolveRunConfig(spec, cell);
}

class PackRun {
 public:
  explicit PackRun(const TrainPackOptions& options) : options_(options) {}

  absl::Status Run() {
    SG_RETURN_IF_ERROR(Setup());
    absl::Status status;
    try {
      status = Loop();
    } catch (const c10::Error& e) {
      // No trainer once ReleaseDevice gave the device back (its cache release threw).
      status = FromTorch(e, trainer_ != nullptr
                                ? absl::StrCat("training at step ", trainer_->step())
                                : std::string("giving the device back after the last step"));
    } catch (const std::bad_alloc&) {
      status = absl::ResourceExhaustedError("out of memory (host)");
    }
    if (!status.ok()) {
      // A checkpoint written beside the steps that failed is still announced once durable, as
      // it was when checkpoints were written before the next step; its own failure is told.
      const absl::Status written = FinishCheckpoint();
      if (!written.ok()) {
        std::fprintf(stderr, "sg-train: the checkpoint being written was not: %s\n",
                     std::string(written.message()).c_str());
      }
    }
    return status;
  }

 private:
  absl::Status Setup() {
    const TrainPackOptions& o = options_;
    SG_RETURN_IF_ERROR(ValidateTrainOptions(o));
    if (std::set<int64_t>(o.seeds.begin(), o.seeds.end()).size() != o.seeds.size()) {
      return absl::InvalidArgumentError("--seeds: seeds must be distinct");
    }
    SG_ASSIGN_OR_RETURN(run_, LoadRunConfig(o));
    config_ = run_.train;
    if (o.steps > 0) config_.steps = o.steps;
    SG_RETURN_IF_ERROR(ValidateConfig(config_));
    if (absl::StatusOr<CheckpointRetention> keep =
            ParseCheckpointRetention(config_.keep_checkpoints);
        keep.ok()) {
      retention_ = *keep;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("train.keep_checkpoints: ", keep.status().message()));
    }
    SG_ASSIGN_OR_RETURN(device_, ParseDevice(o.device));
    if (o.precision != "tf32" && o.precision != "fp32" && o.precision != "bf16") {
      return absl::InvalidArgumentError(absl::StrCat(
          "--precision: expected tf32, fp32 or bf16, got '", o.precision, "'"));
    }
    if (o.eval_precision != "auto" && o.eval_precision != "train" && o.eval_precision != "bf16") {
      return absl::InvalidArgumentError(absl::StrCat(
          "--eval-precision: expected auto, train or bf16, got '", o.eval_precision, "'"));
    }
    if (o.threads > 0) at::set_num_threads(static_cast<int>(o.threads));
    SG_RETURN_IF_ERROR(MakeDirs(o.out_dir));
    for (const std::string& dir : o.seed_checkpoint_dirs) SG_RETURN_IF_ERROR(MakeDirs(dir));
    SG_ASSIGN_OR_RETURN(metrics_,
                        JsonLinesFile::OpenForAppend(o.out_dir + "/metrics.jsonl"));
    SG_ASSIGN_OR_RETURN(events_, JsonLinesFile::OpenForAppend(o.out_dir + "/events.jsonl"));

    const int64_t load_start = RealClock::Get()->NowMillis();
    SG_ASSIGN_OR_RETURN(data_, LoadTaskDataset(run_.task, run_.data));
    if (data_.train.empty()) return absl::InvalidArgumentError("the task's train split is empty");
    SG_ASSIGN_OR_RETURN(EvalOptions eval_options, EvalOptionsFromTrainConfig(config_));
    // On a GPU, large scorer calls: results do not depend on batching (experiment.md §1.9),
    // and one call over all 2,000 Tense prompts is one prompt forward and one cached decode
    // instead of 16 (the scorer still chunks by the memory budget).
    if (device_.is_cuda()) eval_options.batch_size = 2048;
    SG_ASSIGN_OR_RETURN(val_eval_, MakeTaskEvaluator(data_, Split::kVal, eval_options));
    SG_ASSIGN_OR_RETURN(gen_eval_, MakeTaskEvaluator(data_, Split::kTest, eval_options));
    sentences_ = AttentionSentences(data_, o.attn_sentences, kAttentionSampleSeed);
    SG_ASSIGN_OR_RETURN(trees_,
                        TreeSentences(data_, config_.tree_sentences, kAttentionSampleSeed));
    auto limit = [&](const std::vector<TokenIds>& lines) {
      if (o.eval_max_lines <= 0 || static_cast<int64_t>(lines.size()) <= o.eval_max_lines) {
        return lines;
      }
      return std::vector<TokenIds>(lines.begin(), lines.begin() + o.eval_max_lines);
    };
    val_lines_ = limit(data_.val);
    test_lines_ = limit(data_.test);
    budget_.max_bytes = (o.eval_memory_mb > 0 ? o.eval_memory_mb
                                               : (device_.is_cuda() ? 4096 : 512)) << 20;
    // On a GPU only the memory budget limits a forward's rows: 128-row chunks left it idle
    // between launches (one cached decode step per 128 prompts).
    if (device_.is_cuda()) budget_.max_rows = 1 << 16;

    PackTrainerOptions to;
    to.config = config_;
    to.seeds = o.seeds;
    to.device = device_;
    to.num_ids = data_.vocab.num_ids();
    to.sos_id = data_.vocab.sos_id();
    to.eos_id = data_.vocab.eos_id();
    to.cuda_graphs = o.cuda_graphs;
    to.tf32 = o.precision != "fp32";
    to.bf16 = device_.is_cuda() && o.precision == "bf16";
    // Lines packed into rows (docs/performance.md, "Dyck: lines packed into rows"): Dyck's
    // long tail padded a step of S x 8 lines to ~400 tokens; QF's and Tense's rows of 64 have
    // a sixth fewer positions than their padded rows, which made a QF pack 17-20% faster on
    // the H200 (2026-12-04). Only on CUDA, where the step is one pack-level dropout stream
    // anyway; the CPU keeps one padded row per line, on which each seed's own dropout stream is
    // defined (a seed in a pack equals its single run). Every task since the packed tests and
    // sg-bench --check-cpu passed on the H200; SG_PACK_LINES=0 in the environment turns it
    // off (one padded row per line, as before).
    const char* pack_env = std::getenv("SG_PACK_LINES");
    to.pack_lines =
        device_.is_cuda() && !(pack_env != nullptr && std::string(pack_env) == "0");
    // Steps whose rows would be longer than 256 positions (Dyck's long lines) lay each seed's
    // lines back to back in one row, which they attend per line: Dyck 631 -> 684
    // model-steps/s on the H200 (2026-12-04, docs/performance.md); QF's steps never do.
    to.one_row_per_seed = to.pack_lines;
    // Packed rows attend per line by our kernels (rows of every length since 2026-12-04);
    // SG_LINE_ATTENTION=libtorch or =masked in the environment picks the others
    // (attention_choice.h).
    if (absl::Status s = ApplyLineAttentionChoice(std::getenv(kLineAttentionEnv), &to);
        !s.ok()) {
      return s;
    }
    // The ragged layout (docs/performance.md, "Ragged steps"): Dyck's CUDA packs in fp32 or
    // TF32 by default (layout_choice.h), where our attention per line serves (a ragged graph
    // needs it: with the others every ragged step would be eager); SG_RAGGED=0 in the
    // environment keeps their rows, SG_RAGGED=C or C:A,B picks another chunk (any task).
    if (device_.is_cuda() && !to.bf16 && to.own_line_attention) {
      ApplyTaskRaggedDefault(run_.task, &to);
    }
    if (absl::Status s = ApplyRaggedChoice(std::getenv(kRaggedEnv), &to); !s.ok()) return s;
    if (to.ragged_chunk > 0 && (!device_.is_cuda() || to.bf16)) {
      Say(absl::StrFormat("%s applies to CUDA packs in fp32 or tf32 only: this pack keeps its "
                          "rows", kRaggedEnv));
      to.ragged_chunk = 0;
    }
    if (to.ragged_chunk > 0) {
      Say(absl::StrFormat("steps ragged: each seed its own positions, in chunks of %d (graphs "
                          "by chunk counts in %ds and the largest seed's in %ds, %d at most); "
                          "%s=0 keeps packed rows",
                          to.ragged_chunk, to.ragged_chunks_granule,
                          to.ragged_seed_chunks_granule, to.max_graphs, kRaggedEnv));
    }
    if (!to.own_line_attention && to.line_attention && config_.dropout > 0) {
      Say(absl::StrFormat("%s=libtorch serves training without dropout only: with dropout %g "
                          "packed rows on CUDA attend through the mask",
                          kLineAttentionEnv, config_.dropout));
    }
    try {
      trainer_ = std::make_unique<PackTrainer>(to, &data_.train);
    } catch (const c10::Error& e) {
      return FromTorch(e, "building the model");
    }
    Say(absl::StrFormat("%s cell {%s} seeds [%s] on %s%s: %d layers, d %d, %d heads, ff %d, "
                        "%d parameters per seed; data %d/%d/%d lines (%.1fs)",
                        TaskName(run_.task), o.cell, absl::StrJoin(o.seeds, ","),
                        device_.str(),
                        device_.is_cuda() ? absl::StrCat(" (", o.precision,
                                                         o.cuda_graphs ? ", cuda graphs" : "", ")")
                                          : std::string(),
                        config_.depth, config_.d_model, config_.heads,
                        config_.ff, trainer_->model().shape().NumParams(), data_.train.size(),
                        data_.val.size(), data_.test.size(),
                        (RealClock::Get()->NowMillis() - load_start) / 1000.0));
    return Resume();
  }

  absl::Status Resume() {
    if (!options_.seed_checkpoint_dirs.empty()) return ResumeSeeds();
    for (const CheckpointRef& ref : ListCheckpoints(options_.out_dir)) {
      absl::StatusOr<CheckpointContents> c = ReadCheckpointFile(ref.path);
      if (c.ok() && c->content == CheckpointContent::kWeightsOnly) {
        Say(absl::StrCat("not resuming from ", ref.path, ": weights only (an analysis checkpoint)"));
        continue;
      }
      absl::Status st = c.ok() ? trainer_->LoadState(c->payload) : c.status();
      if (st.ok()) {
        Say(absl::StrCat("resumed from ", ref.path, " (step ", trainer_->step(), ")"));
        return absl::OkStatus();
      }
      if (st.code() != absl::StatusCode::kDataLoss) return st;  // another pack's folder
      Say(absl::StrCat("skipping unusable checkpoint: ", st.message()));
    }
    return absl::OkStatus();
  }

  // Per-seed resume: every seed must load the same step (the pack shares one step counter).
  absl::Status ResumeSeeds() {
    const std::vector<std::string>& dirs = options_.seed_checkpoint_dirs;
    const size_t S = dirs.size();
    std::vector<std::set<int64_t>> valid(S);
    std::set<int64_t> common;
    bool any = false;
    for (size_t s = 0; s < S; ++s) {
      for (const CheckpointRef& ref : ListCheckpoints(dirs[s])) {
        absl::StatusOr<CheckpointContents> c = ReadCheckpointFile(ref.path);
        if (!c.ok()) {
          Say(absl::StrCat("skipping unusable checkpoint: ", c.status().message()));
          continue;
        }
        if (c->content == CheckpointContent::kWeightsOnly) continue;  // analysis only
        valid[s].insert(c->step);
        any = true;
      }
      if (s == 0) {
        common = valid[0];
      } else {
        std::set<int64_t> both;
        for (int64_t step : valid[s]) {
          if (common.count(step) > 0) both.insert(step);
        }
        common = std::move(both);
      }
    }
    if (!any) return absl::OkStatus();  // a fresh start for every seed
    if (common.empty()) {
      std::string have;
      for (size_t s = 0; s < S; ++s) {
        absl::StrAppend(&have, s > 0 ? "; " : "", "seed ", options_.seeds[s], ": ",
                        valid[s].empty() ? std::string("none")
                                         : absl::StrJoin(valid[s], ","));
      }
      return absl::FailedPreconditionError(absl::StrCat(
          "per-seed checkpoints have no step in common (", have,
          "); a pack resumes all its seeds from one step: run seeds with different checkpoint "
          "steps in separate packs"));
    }
    const int64_t step = *common.rbegin();
    for (size_t s = 0; s < S; ++s) {
      const std::string path = CheckpointPath(dirs[s], step);
      SG_ASSIGN_OR_RETURN(CheckpointContents c, ReadCheckpointFile(path));
      absl::Status st = trainer_->LoadSeedState(static_cast<int64_t>(s), c.payload);
      if (!st.ok()) {
        return absl::Status(st.code(), absl::StrCat(path, ": ", st.message()));
      }
    }
    Say(absl::StrCat("resumed every seed from its step-", step, " checkpoint"));
    return absl::OkStatus();
  }

  absl::Status Loop() {
    const TrainPackOptions& o = options_;
    TrainerEvent start;
    start.kind = TrainerEventKind::kStart;
    start.step = trainer_->step();
    start.steps = config_.steps;
    start.seeds = o.seeds;
    start.cell = o.cell;
    start.device = device_.str();
    SG_RETURN_IF_ERROR(Event(start));
    const bool tty = ::isatty(STDERR_FILENO) == 1;
    if (o.show_progress) {
      progress_ = std::make_unique<Progress>(stderr, tty,
                                             static_cast<double>(o.progress_interval_s),
                                             trainer_->step(), config_.steps, RealClock::Get());
    }
    int64_t last_checkpoint = trainer_->step();
    double last_loss = -1;
    while (trainer_->step() < config_.steps) {
      trainer_->Step();
      const int64_t step = trainer_->step();
      const bool eval = step % config_.eval_every == 0 || step == config_.steps;
      const bool log_train =
          eval || (o.train_loss_every > 0 && step % o.train_loss_every == 0);
      if (log_train) {
        SG_RETURN_IF_ERROR(WriteTrainStats(step, &last_loss));
      }
      if (eval) SG_RETURN_IF_ERROR(Evaluate(step));
      const bool stopping = o.stop != nullptr && o.stop->load() != 0;
      if (step % config_.checkpoint_every == 0 || step == config_.steps ||
          (stopping && last_checkpoint != step)) {
        SG_RETURN_IF_ERROR(Checkpoint(step));
        last_checkpoint = step;
      } else if (log_train) {
        SG_RETURN_IF_ERROR(metrics_->Flush(/*durable=*/false));
      }
      SG_RETURN_IF_ERROR(PollCheckpoint());
      if (progress_) progress_->Update(step, last_loss);
      if (stopping) {
        SG_RETURN_IF_ERROR(FinishCheckpoint());
        if (progress_) progress_->Finish();
        TrainerEvent stopped;
        stopped.kind = TrainerEventKind::kStopped;
        stopped.step = step;
        stopped.signal = o.stop->load();
        SG_RETURN_IF_ERROR(Event(stopped));
        return absl::CancelledError(
            absl::StrCat("stopped by signal ", o.stop->load(), " after step ", step,
                         "; checkpoint written"));
      }
    }
    if (progress_) progress_->Finish();
    const int64_t final_step = trainer_->step();
    if (last_checkpoint != final_step) SG_RETURN_IF_ERROR(Checkpoint(final_step));
    SG_RETURN_IF_ERROR(ReleaseDevice(final_step));
    SG_RETURN_IF_ERROR(FinishCheckpoint());
    TrainerEvent done;
    done.kind = TrainerEventKind::kDone;
    done.step = final_step;
    SG_RETURN_IF_ERROR(Event(done));
    Say(absl::StrCat("done at step ", final_step));
    if (!config_.keep_final_checkpoint) DeleteCheckpoints();
    return absl::OkStatus();
  }

  // train.keep_final_checkpoint: false. The run is done; its checkpoint files in this attempt's
  // folders go (a later `sgctl extend` then trains it again from step 0). Best effort: a file
  // that cannot be deleted is only disk space.
  void DeleteCheckpoints() {
    std::vector<std::string> dirs = options_.seed_checkpoint_dirs;
    if (dirs.empty()) dirs.push_back(options_.out_dir);
    int64_t deleted = 0;
    for (const std::string& dir : dirs) {
      for (const CheckpointRef& ref : ListCheckpoints(dir)) {
        std::error_code ec;
        if (std::filesystem::remove(ref.path, ec)) ++deleted;
      }
    }
    Say(absl::StrCat("train.keep_final_checkpoint is false: deleted ", deleted,
                     " checkpoint file(s)"));
  }

  absl::Status WriteTrainStats(int64_t step, double* last_loss) {
    PackTrainer::Stats stats = trainer_->TakeStats();
    if (stats.steps == 0) return absl::OkStatus();
    double mean = 0;
    for (size_t s = 0; s < options_.seeds.size(); ++s) {
      SG_RETURN_IF_ERROR(Metric(s, step, "train_loss", stats.loss[s]));
      SG_RETURN_IF_ERROR(Metric(s, step, "grad_norm", stats.grad_norm[s]));
      SG_RETURN_IF_ERROR(Metric(s, step, "lr", trainer_->last_lr()));
      mean += stats.loss[s] / static_cast<double>(options_.seeds.size());
    }
    *last_loss = mean;
    return absl::OkStatus();
  }

  // SG_PROFILE_EVAL_STEP=N (CUDA builds): the device's kernel time by kernel during the
  // evaluation at step N, on stderr (docs/performance.md, "Evaluation cost", was measured so).
  absl::Status Evaluate(int64_t step) {
    const char* profile_step = std::getenv("SG_PROFILE_EVAL_STEP");
    const bool profile = profile_step != nullptr && std::atoll(profile_step) == step &&
                         StartKernelProfile().ok();
    absl::Status status = EvaluateInner(step);
    if (profile) {
      absl::StatusOr<std::vector<KernelTime>> kernels = StopKernelProfile();
      if (kernels.ok()) PrintKernelProfile(step, *kernels);
    }
    return status;
  }

  static void PrintKernelProfile(int64_t step, const std::vector<KernelTime>& kernels) {
    double total_us = 0;
    for (const KernelTime& k : kernels) total_us += k.total_us;
    std::fprintf(stderr, "eval profile, step %lld: %.0f us of kernels\n",
                 static_cast<long long>(step), total_us);
    for (size_t i = 0; i < kernels.size() && i < 30; ++i) {
      std::fprintf(stderr, "  %10.0f us %7lld  %.110s\n", kernels[i].total_us,
                   static_cast<long long>(kernels[i].count), kernels[i].name.c_str());
    }
  }

  absl::Status EvaluateInner(int64_t step) {
    const int64_t t0 = RealClock::Get()->NowMillis();
    PackModel& model = trainer_->model();
    const int32_t sos = data_.vocab.sos_id(), eos = data_.vocab.eos_id();
    std::vector<std::pair<std::string, std::vector<double>>> values;
    // Seconds per metric, for the eval line: evaluation must stay a small share of training.
    std::string timing;
    int64_t mark = t0;
    auto timed = [&](const std::string& name, std::vector<double> per_seed) {
      const int64_t now = RealClock::Get()->NowMillis();
      absl::StrAppendFormat(&timing, "%s%s %.2fs", timing.empty() ? "" : ", ", name,
                            (now - mark) / 1000.0);
      mark = now;
      values.emplace_back(name, std::move(per_seed));
    };
    // One forward per split serves its LM loss and, through the scorer, the task metric: QF's
    // and Dyck's prompts are prefixes of the split's lines, and Tense decodes speculatively
    // from the same forward (line_forward.h, speculative_decode.h).
    LineForwardOptions lo;
    lo.keep_logits = true;
    lo.keep_argmax = true;
    // The weights prepared once for both splits (and their verification forwards).
    EvalForwardOptions fo;
    fo.bf16 = options_.eval_precision == "bf16" ||
              (options_.eval_precision == "auto" && options_.precision != "fp32");
    lo.forward = std::make_shared<const EvalForward>(model, fo);
    PackScorer scorer(&model, budget_);
    // Safe for every evaluator: Tense cuts a decoded answer at its first EOS (the others do not
    // decode), so rows may stop once they have produced it.
    scorer.set_decode_stop_id(eos);
    {
      const LineForward val = LineForward::Compute(model, val_lines_, sos, eos, budget_, lo);
      timed("val_loss", val.LmLoss(32));
      scorer.set_lines(&val);
      SG_ASSIGN_OR_RETURN(std::vector<double> val_acc, val_eval_->Evaluate(scorer));
      timed("val_acc", val_acc);
    }
    {
      const LineForward test = LineForward::Compute(model, test_lines_, sos, eos, budget_, lo);
      timed("test_loss", test.LmLoss(32));
      scorer.set_lines(&test);
      SG_ASSIGN_OR_RETURN(std::vector<double> gen_acc, gen_eval_->Evaluate(scorer));
      timed("gen_acc", gen_acc);
    }
    scorer.set_lines(nullptr);
    std::vector<double> norms = WeightNorms(model);
    std::vector<double> ref_norms;
    const double dead = DeadDecoderSquaredNorm(config_.d_model, config_.ff);
    for (double n : norms) ref_norms.push_back(std::sqrt(n * n + dead));
    values.emplace_back("weight_norm", norms);
    values.emplace_back("weight_norm_ref", ref_norms);
    if (!sentences_.empty()) {
      timed("attn_entropy", EvalAttentionEntropy(model, sentences_, sos, budget_));
    }
    if (!trees_.sentences.empty() && TreeMetricsDue(config_, step)) {
      SG_ASSIGN_OR_RETURN(
          std::vector<TreeMetrics> trees,
          EvalTreeProjections(model, trees_.sentences, trees_.gold, sos, step, budget_));
      std::vector<double> t_score, t_parseval;
      for (const TreeMetrics& m : trees) {
        t_score.push_back(m.t_score);
        t_parseval.push_back(m.t_parseval);
      }
      timed("t_score", std::move(t_score));
      // Dyck has no gold trees, so no t_parseval curve (the reference writes 0.0).
      if (!trees_.gold.empty()) values.emplace_back("t_parseval", std::move(t_parseval));
    }
    std::string summary;
    for (const auto& [name, per_seed] : values) {
      double mean = 0;
      for (size_t s = 0; s < per_seed.size(); ++s) {
        SG_RETURN_IF_ERROR(Metric(s, step, name, per_seed[s]));
        mean += per_seed[s] / static_cast<double>(per_seed.size());
      }
      if (name != "weight_norm_ref") absl::StrAppendFormat(&summary, " %s %.4g", name, mean);
    }
    if (const SpeculativeStats& st = scorer.speculative_stats(); st.rows > 0) {
      // How greedy decoding was decided (speculative_decode.h): the cost of gen_acc follows it.
      absl::StrAppendFormat(&timing,
                            "; greedy rows: %d read off the loss forwards, %d verified, %d "
                            "decoded with the cache",
                            st.from_lines, st.verified, st.decoded);
    }
    Say(absl::StrFormat("eval step %d (%.1fs: %s; seed means):%s", step,
                        (RealClock::Get()->NowMillis() - t0) / 1000.0, timing, summary));
    return absl::OkStatus();
  }

  // Writes the checkpoint of `step`: here, the state as of this step copied off the device
  // (PackTrainer::StageState: 0.04-0.07 s for a 10-seed pack on the H100); on a thread of
  // their own while training goes on, the files, straight from that copy (a 10-layer pack's
  // file took 4-7 s there, 8 times in a grid's pack: docs/performance.md, "What a checkpoint
  // costs"), announced by PollCheckpoint or FinishCheckpoint once durable. At most one in
  // flight: the previous one is finished (durable, announced) first.
  absl::Status Checkpoint(int64_t step) {
    SG_RETURN_IF_ERROR(FinishCheckpoint());
    // Metrics up to `step` are durable before the checkpoint that covers them is announced.
    SG_RETURN_IF_ERROR(metrics_->Flush(/*durable=*/true));
    std::vector<std::string> dirs;
    std::vector<std::unique_ptr<StatePayloadWriter>> payloads;
    std::vector<CheckpointIdentity> ids;
    const bool per_seed = !options_.seed_checkpoint_dirs.empty();
    if (per_seed) {
      // One file per seed. A crash between seeds leaves them at different newest steps; the
      // previous step (kept, keep >= 1 older file) is then the common one resume uses.
      for (size_t s = 0; s < options_.seeds.size(); ++s) {
        dirs.push_back(options_.seed_checkpoint_dirs[s]);
        payloads.push_back(trainer_->StageSeedState(static_cast<int64_t>(s)));
        ids.push_back(Identity(static_cast<int64_t>(s)));
      }
    } else {
      dirs.push_back(options_.out_dir);
      payloads.push_back(trainer_->StageState());
      ids.push_back(Identity(-1));
    }
    // Only what the thread reads: its own copies, the options (they outlive this run) and
    // retention_ (constant while training; pending_write_ is destroyed, waited for, first).
    pending_write_ = std::async(
        std::launch::async,
        [this, step, per_seed, dirs = std::move(dirs), payloads = std::move(payloads),
         ids = std::move(ids)]() mutable -> absl::StatusOr<TrainerEvent> {
          TrainerEvent event;
          event.kind = TrainerEventKind::kCheckpoint;
          event.step = step;
          for (size_t i = 0; i < dirs.size(); ++i) {
            // The staged arrays go to the file as they lie in their host block, not copied
            // into one payload string first (12 bytes a parameter a seed less host memory).
            std::string head;
            std::vector<absl::string_view> payload;
            try {
              payload = payloads[i]->Pieces(&head);
            } catch (const c10::Error& e) {
              return absl::InternalError(absl::StrCat("checkpoint payload of step ", step, ": ",
                                                      e.what_without_backtrace()));
            } catch (const std::bad_alloc&) {
              return absl::ResourceExhaustedError(absl::StrCat(
                  "checkpoint payload of step ", step, ": out of host memory"));
            }
            absl::StatusOr<std::string> written =
                WriteCheckpointFile(dirs[i], step, payload, kKeepEveryFile, ids[i]);
            payloads[i].reset();  // its staged copy of the state, back to the pinned cache
            if (!written.ok()) return written.status();
            const std::string& path = *written;
            Retain(dirs[i]);
            if (per_seed) {
              event.seed_paths.push_back(path);
            } else {
              event.path = path;
            }
          }
          if (per_seed) event.path = dirs[0];
          return event;
        });
    return absl::OkStatus();
  }

  // The training is over and its final checkpoint staged on the host: the pack's weights,
  // moments, graphs and the allocator's cache go back to the device before the file is
  // written, and a `released` event says so, so sg-worker may start the device's next pack
  // meanwhile (in the reduced grid the GPU sat idle 4-12 s at each pack's end while its last
  // checkpoint was written: docs/performance.md, session 23). The staged payload is the
  // writer's own copy, so nothing the thread reads goes with the trainer.
  absl::Status ReleaseDevice(int64_t step) {
    trainer_.reset();
    if (device_.is_cuda()) ReleaseCudaCache();
    TrainerEvent released;
    released.kind = TrainerEventKind::kReleased;
    released.step = step;
    return Event(released);
  }

  // The checkpoint in flight, if its files are written: its event (or the write's error).
  absl::Status PollCheckpoint() {
    if (!pending_write_.valid() ||
        pending_write_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      return absl::OkStatus();
    }
    return FinishCheckpoint();
  }

  // Waits for the checkpoint in flight, if any, and announces it (or returns its error).
  absl::Status FinishCheckpoint() {
    if (!pending_write_.valid()) return absl::OkStatus();
    absl::StatusOr<TrainerEvent> event = pending_write_.get();  // invalidates the future
    if (!event.ok()) return event.status();
    return Event(*event);
  }

  // Applies train.keep_checkpoints to a checkpoint folder: deletes what it does not keep and
  // thins what it keeps only for analysis to weights only (checkpoint_file.h).
  void Retain(const std::string& dir) {
    PruneCheckpoints(dir, retention_, options_.keep_checkpoints);
    absl::StatusOr<int> thinned = ThinAnalysisCheckpoints(
        dir, retention_, options_.keep_checkpoints, &PackTrainer::WeightsOnlyPayload);
    if (!thinned.ok()) {
      // The file stays full-state: more disk, nothing lost, so training goes on. Printed even
      // with --quiet (the worker's setting): a file that does not shrink should be explained.
      std::fprintf(stderr, "sg-train: analysis checkpoint left full-state: %s\n",
                   std::string(thinned.status().message()).c_str());
    }
  }

  // Whose state a checkpoint holds: seed index s, or the whole pack (-1).
  CheckpointIdentity Identity(int64_t s) const {
    CheckpointIdentity id;
    id.known = true;
    id.sweep_id = options_.sweep_id;
    if (s >= 0) {
      id.seed = options_.seeds[static_cast<size_t>(s)];
      if (!options_.run_ids.empty()) id.run_id = options_.run_ids[static_cast<size_t>(s)];
    }
    return id;
  }

  absl::Status Metric(size_t seed_index, int64_t step, const std::string& name, double value) {
    return metrics_->Append(EncodeMetricLine({options_.seeds[seed_index], step, name, value}));
  }

  absl::Status Event(const TrainerEvent& event) {
    SG_RETURN_IF_ERROR(events_->Append(EncodeTrainerEvent(event)));
    return events_->Flush(/*durable=*/true);
  }

  void Say(const std::string& line) {
    if (!options_.show_progress) return;
    if (progress_) {
      progress_->Message(line);
    } else {
      std::fprintf(stderr, "sg-train: %s\n", line.c_str());
    }
  }

  const TrainPackOptions& options_;
  RunConfig run_;  // task, train and data, resolved
  TrainConfig config_;
  torch::Device device_ = torch::kCPU;
  TaskDataset data_;
  std::unique_ptr<TaskEvaluator> val_eval_, gen_eval_;
  std::vector<TokenIds> sentences_, val_lines_, test_lines_;
  TreeSentenceSet trees_;  // the tree projections' sentences and gold trees
  // train.keep_checkpoints; --keep-checkpoints is the floor of newest files kept.
  CheckpointRetention retention_;
  EvalBudget budget_;
  std::unique_ptr<PackTrainer> trainer_;
  std::optional<JsonLinesFile> metrics_, events_;
  std::unique_ptr<Progress> progress_;
  // The checkpoint whose files are being written (Checkpoint). Last, so destroyed first: its
  // destructor waits for the thread, which reads retention_ and options_.
  std::future<absl::StatusOr<TrainerEvent>> pending_write_;
};

}  // namespace

absl::Status TrainPack(const TrainPackOptions& options) {
  LayoutNoteFilter filter;
  PackRun run(options);
  return run.Run();
}

}  // namespace sg
