#include "trainer/analyze_checkpoints.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <torch/torch.h>

#include "absl/strings/str_cat.h"
#include "common/run_config.h"
#include "common/status_macros.h"
#include "common/sweep_spec.h"
#include "tasks/task_dataset.h"
#include "tasks/tree_sentences.h"
#include "trainer/api/checkpoint_file.h"
#include "trainer/api/trainer_lines.h"
#include "trainer/eval/eval_sentences.h"
#include "trainer/eval/pack_eval.h"
#include "trainer/eval/tree_sci.h"
#include "trainer/io/metrics_log.h"
#include "trainer/model/pack_trainer.h"
#include "trainer/model/torch_warnings.h"

namespace sg {
namespace {

// The trainer's sample seed for its fixed analysis sentences (train_pack.cc), so the offline
// values are over the same sentences.
constexpr uint64_t kAnalysisSampleSeed = 42;

absl::StatusOr<torch::Device> ParseAnalyzeDevice(const std::string& text) {
  if (text != "cpu" && text != "cuda" && text.rfind("cuda:", 0) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--device: expected cpu, cuda or cuda:N, got '", text, "'"));
  }
  if (text != "cpu" && !torch::cuda::is_available()) {
    return absl::FailedPreconditionError(
        absl::StrCat("--device ", text, ": CUDA is not available; use --device cpu"));
  }
  try {
    return torch::Device(text);
  } catch (const c10::Error&) {
    return absl::InvalidArgumentError(
        absl::StrCat("--device: expected cpu, cuda or cuda:N, got '", text, "'"));
  }
}

absl::Status FromTorch(const c10::Error& e, const std::string& what) {
  const std::string msg = e.what_without_backtrace();
  if (msg.find("out of memory") != std::string::npos) {
    return absl::ResourceExhaustedError(absl::StrCat("out of memory while ", what, ": ", msg));
  }
  return absl::InternalError(absl::StrCat(what, " failed: ", msg));
}

class Analyzer {
 public:
  explicit Analyzer(const AnalyzeOptions& options) : options_(options) {}

  absl::Status Run() {
    SG_RETURN_IF_ERROR(Setup());
    const std::vector<CheckpointRef> newest_first = ListCheckpoints(options_.checkpoint_dir);
    if (newest_first.empty()) {
      return absl::NotFoundError(absl::StrCat("--checkpoints ", options_.checkpoint_dir,
                                              ": no ckpt-*.pt files (is it the run's folder, "
                                              "and did train.keep_checkpoints keep any?)"));
    }
    for (auto it = newest_first.rbegin(); it != newest_first.rend(); ++it) {
      try {
        SG_RETURN_IF_ERROR(AnalyzeOne(*it));
      } catch (const c10::Error& e) {
        return FromTorch(e, absl::StrCat("analysing ", it->path));
      }
    }
    return out_ ? out_->Flush(/*durable=*/true) : absl::OkStatus();
  }

 private:
  absl::Status Setup() {
    if (!options_.config_path.empty()) {
      std::ifstream in(options_.config_path, std::ios::binary);
      if (!in) {
        return absl::NotFoundError(absl::StrCat("--config: cannot open ", options_.config_path));
      }
      const std::string text((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
      absl::StatusOr<RunConfig> run = ParseRunConfigJson(text);
      if (!run.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--config ", options_.config_path, ": ", run.status().message()));
      }
      run_ = *run;
    } else {
      SG_ASSIGN_OR_RETURN(SweepSpec spec, LoadSweepSpecFile(options_.spec_path));
      GridCell cell;
      if (!options_.cell.empty()) {
        SG_ASSIGN_OR_RETURN(cell, ParseCell(options_.cell));
      }
      SG_ASSIGN_OR_RETURN(run_, ResolveRunConfig(spec, cell));
    }
    SG_ASSIGN_OR_RETURN(device_, ParseAnalyzeDevice(options_.device));
    if (options_.threads > 0) at::set_num_threads(static_cast<int>(options_.threads));
    if (options_.out_path != "-") {
      SG_ASSIGN_OR_RETURN(out_, JsonLinesFile::OpenForAppend(options_.out_path));
    }
    SG_ASSIGN_OR_RETURN(data_, LoadTaskDataset(run_.task, run_.data));
    attention_ = AttentionSentences(data_, options_.attn_sentences, kAnalysisSampleSeed);
    const int64_t trees = options_.tree_sentences >= 0 ? options_.tree_sentences
                                                       : run_.train.tree_sentences;
    SG_ASSIGN_OR_RETURN(trees_, TreeSentences(data_, trees, kAnalysisSampleSeed));
    budget_.max_bytes =
        (options_.eval_memory_mb > 0 ? options_.eval_memory_mb
                                     : (device_.is_cuda() ? 4096 : 512)) << 20;
    if (device_.is_cuda()) budget_.max_rows = 1 << 16;  // as the trainer: memory limits rows
    PackTrainerOptions to;
    to.config = run_.train;
    to.seeds = {options_.seed};
    to.device = device_;
    to.num_ids = data_.vocab.num_ids();
    to.sos_id = data_.vocab.sos_id();
    to.eos_id = data_.vocab.eos_id();
    to.cuda_graphs = false;  // no training step is taken
    try {
      trainer_ = std::make_unique<PackTrainer>(to, &data_.train);
    } catch (const c10::Error& e) {
      return FromTorch(e, "building the model");
    }
    return absl::OkStatus();
  }

  // The header must name this run's seed (and sweep and run, when given), as the worker's
  // resume plan checks before it resumes from a file.
  absl::Status CheckIdentity(const CheckpointRef& ref, const CheckpointIdentity& id) const {
    if (!id.known) return absl::OkStatus();  // a version-1 file: nothing to check
    auto differs = [](int64_t want, int64_t got) { return want > 0 && got != 0 && got != want; };
    const bool other_seed = id.seed >= 0 && id.seed != options_.seed;
    if (!differs(options_.sweep_id, id.sweep_id) && !differs(options_.run_id, id.run_id) &&
        !other_seed) {
      return absl::OkStatus();
    }
    return absl::FailedPreconditionError(absl::StrCat(
        ref.path, ": its header names sweep ", id.sweep_id, " run ", id.run_id, " seed ", id.seed,
        ", not sweep ", options_.sweep_id, " run ", options_.run_id, " seed ", options_.seed,
        " (--checkpoints names another run's folder?)"));
  }

  absl::Status AnalyzeOne(const CheckpointRef& ref) {
    SG_ASSIGN_OR_RETURN(CheckpointContents c, ReadCheckpointFile(ref.path));
    SG_RETURN_IF_ERROR(CheckIdentity(ref, c.identity));
    absl::Status loaded = trainer_->LoadSeedWeights(0, c.payload);
    if (!loaded.ok()) {
      return absl::Status(loaded.code(), absl::StrCat(ref.path, ": ", loaded.message()));
    }
    const int64_t step = c.step;
    PackModel& model = trainer_->model();
    const int32_t sos = data_.vocab.sos_id();
    std::vector<std::pair<std::string, double>> values;
    const double norm = WeightNorms(model)[0];
    values.emplace_back("weight_norm", norm);
    values.emplace_back(
        "weight_norm_ref",
        std::sqrt(norm * norm + DeadDecoderSquaredNorm(run_.train.d_model, run_.train.ff)));
    if (!attention_.empty()) {
      values.emplace_back("attn_entropy",
                          EvalAttentionEntropy(model, attention_, sos, budget_)[0]);
    }
    if (!trees_.sentences.empty()) {
      SG_ASSIGN_OR_RETURN(
          std::vector<TreeMetrics> trees,
          EvalTreeProjections(model, trees_.sentences, trees_.gold, sos, step, budget_));
      values.emplace_back("t_score", trees[0].t_score);
      // Dyck has no gold trees, so no t_parseval (as in training).
      if (!trees_.gold.empty()) values.emplace_back("t_parseval", trees[0].t_parseval);
    }
    std::string summary;
    for (const auto& [name, value] : values) {
      const std::string line = EncodeMetricLine({options_.seed, step, name, value});
      if (out_) {
        SG_RETURN_IF_ERROR(out_->Append(line));
      } else {
        std::fprintf(stdout, "%s\n", line.c_str());
      }
      absl::StrAppend(&summary, " ", name, " ", value);
    }
    if (out_) SG_RETURN_IF_ERROR(out_->Flush(/*durable=*/false));
    std::fflush(stdout);
    if (!options_.quiet) {
      std::fprintf(stderr, "sg-analyze: %s (step %lld%s):%s\n", ref.path.c_str(),
                   static_cast<long long>(step),
                   c.content == CheckpointContent::kWeightsOnly ? ", weights only" : "",
                   summary.c_str());
    }
    return absl::OkStatus();
  }

  const AnalyzeOptions& options_;
  RunConfig run_;
  torch::Device device_ = torch::kCPU;
  TaskDataset data_;
  std::vector<TokenIds> attention_;
  TreeSentenceSet trees_;
  EvalBudget budget_;
  std::unique_ptr<PackTrainer> trainer_;
  std::optional<JsonLinesFile> out_;
};

}  // namespace

absl::Status AnalyzeCheckpoints(const AnalyzeOptions& options) {
  LayoutNoteFilter filter;
  Analyzer analyzer(options);
  try {
    return analyzer.Run();
  } catch (const c10::Error& e) {
    return FromTorch(e, "sg-analyze");
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError("out of memory (host)");
  }
}

}  // namespace sg
