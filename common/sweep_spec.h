// The sweep specification: what a researcher writes in YAML, parsed and validated, and its
// expansion into runs. Shared by the coordinator (expansion, and each run's resolved config via
// run_config.h), sgctl (early validation) and sg-train (standalone use with --spec). Torch-free.
//
// YAML keys (every `train` default is the "code" column of shared/spec/experiment.md §0, so
// `task` + `grid` + `seeds` is a complete paper sweep):
//   name: qf-depth            # unique per coordinator; resubmitting returns the existing sweep
//   task: question_formation  # dyck | question_formation | tense_inflection
//   grid: {depth: [2,4,6,8,10]}  # axis -> list of values; axes are train keys or `depth`
//   seeds: 10                 # a count (seeds 0..N-1) or a list [42, 52]
//   train: {steps, eval_every, checkpoint_every, batch_size, lr, warmup_steps, decay_steps,
//           clip, d_model, heads, ff, dropout, tie_embeddings, depth, tree_sentences,
//           tree_every_evals, keep_checkpoints, ...}
//   data: {seed, train_size, val_size, test_size, dir}
//   tags: [paper, tied-embeddings]  # optional labels: shown by sgctl sweeps, filter --tag
//   notes: "why this sweep exists"   # optional free text
#ifndef SG_COMMON_SWEEP_SPEC_H_
#define SG_COMMON_SWEEP_SPEC_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sg {

enum class TaskKind { kDyck, kQuestionFormation, kTenseInflection };

// "dyck", "question_formation", "tense_inflection".
const char* TaskName(TaskKind task);
absl::StatusOr<TaskKind> ParseTaskName(absl::string_view name);

// Training hyper-parameters of one run. Defaults: experiment.md §0 "code" column.
struct TrainConfig {
  int64_t depth = 6;                  // encoder layers (the paper's grid axis)
  int64_t steps = 300000;             // 300k QF/Tense, 400k Dyck (task default)
  int64_t eval_every = 3000;          // 3k QF/Tense, 10k Dyck (what the paper's results used)
  int64_t checkpoint_every = 3000;    // defaults to eval_every
  int64_t batch_size = 8;
  double lr = 1e-4;
  int64_t warmup_steps = 10000;
  int64_t decay_steps = 2000000;      // linear decay reaches 0 here (the code's loop cap)
  double clip = 1.0;                  // global L2 norm per seed (paper says 10)
  int64_t d_model = 512;
  int64_t heads = 8;                  // code builds 8 (paper says 4)
  int64_t ff = 2048;
  double dropout = 0.1;
  bool tie_embeddings = false;        // code: untied output with bias (paper says tied)
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.999;
  double adam_eps = 1e-7;
  double weight_decay = 0.0;
  // Options for the disputed evaluation details (experiment.md §7), code behaviour by default.
  int64_t dyck_min_distance = 0;      // 0: score every closing bracket; paper App. A: 10
  // Tense gen_acc lines: N, a fixed seeded subset of the generalisation set (the reference
  // scores a fresh random 2,000 per evaluation); 0: all 10,000 (4x the evaluation time).
  int64_t tense_test_lines = 2000;
  std::string early_stop = "first_best";  // or "within_0.01" (analysis only)
  // More disputed evaluation details (experiment.md §7 items 7-8; tasks/evaluators.h):
  std::string qf_first_word = "four_way";  // code: argmax over doesn't/does/do/don't; "argmax": all ids
  bool tense_drop_before_eos = true;       // code drops the decoded token before EOS; false keeps it
  // Tree projections (experiment.md §5.3, docs/analysis.md): t_score (and t_parseval, QF and
  // Tense) on a fixed sample of this many train sentences; 0 turns them off. Task default:
  // 500 (QF, Tense), 50 (Dyck, whose strings are long); the paper's setting is 10,000 (Dyck 500).
  int64_t tree_sentences = 500;
  // Computed at every K-th evaluation (1: every one), and always at a run's first and final
  // evaluations.
  int64_t tree_every_evals = 1;
  // Checkpoint files kept per run: "last N" (the newest N), "every K steps" (also every
  // checkpoint at a multiple of K steps, for analyses after the run), or "all"
  // (common/checkpoint_retention.h).
  std::string keep_checkpoints = "last 2";
};

// Data generation settings. Sizes default to the paper's (Table 1).
struct DataConfig {
  int64_t seed = 0;
  int64_t train_size = 100000;  // 200k for Dyck
  int64_t val_size = 1000;      // 20k for Dyck
  int64_t test_size = 10000;    // 20k for Dyck
  std::string dir;              // optional: read the authors' files (reference names) from here
  // Dyck structural split (experiment.md §7 item 9): "blocks" (code: every top-level block's
  // depth profile seen in train) or "string" (paper App. A: the whole string's profile).
  std::string dyck_split = "blocks";
};

inline constexpr size_t kMaxTags = 32;
inline constexpr size_t kMaxTagBytes = 64;
inline constexpr size_t kMaxNotesBytes = 4096;

// One grid axis value. Axes are numeric (booleans become 0/1).
using GridCell = std::vector<std::pair<std::string, double>>;  // in the spec's axis order

struct SweepSpec {
  std::string name;
  TaskKind task = TaskKind::kQuestionFormation;
  std::vector<std::pair<std::string, std::vector<double>>> grid;  // axis order as written
  std::vector<int64_t> seeds;
  TrainConfig train;  // base config, before grid values are applied
  DataConfig data;
  // Labels for people; they change no run. Each tag: 1..kMaxTagBytes of letters, digits, '-',
  // '_', '.'; at most kMaxTags, no repeats. notes: at most kMaxNotesBytes.
  std::vector<std::string> tags;
  std::string notes;
  std::string source_name;  // file name used in error messages
  std::string yaml;         // the original text, stored with the sweep
};

// One run of a sweep: a grid cell and a seed. Its config is ResolveRunConfig(spec, cell)
// (run_config.h), the same for every seed of the cell.
struct RunSpec {
  GridCell cell;
  int64_t seed = 0;
};

// What any spec may cost to read. Every limit is checked before the work it bounds (the text
// before YAML parsing, the YAML events before nodes are built, the run count before the grid
// is expanded), so a refused spec costs little whatever it holds. Defaults in comments.
struct SpecLimits {
  // Grid cells x seeds. The default is the absolute cap; the coordinator passes its
  // --max-runs-per-sweep at submit.
  int64_t max_runs = 1'000'000;
  size_t max_bytes = 1 << 20;    // the spec text (1 MiB)
  int max_depth = 32;            // YAML nesting (a spec needs 3)
  int64_t max_nodes = 100'000;   // YAML nodes, each alias counted as the nodes it stands for
};

// Parses and validates. Errors are kInvalidArgument and name the source, line and field and
// say what is allowed, e.g. "qf.yaml:7: train.lr: must be a number > 0, got 'fast'". Numbers
// have bounds (train.depth 1..64, d_model 1..8192, heads 1..256, ff 1..65536, steps
// 1..100000000, data sizes; each message names the bound); text that is not UTF-8, too large,
// too deep or with too many (alias-expanded) nodes is refused with what the limit is.
absl::StatusOr<SweepSpec> ParseSweepSpec(absl::string_view yaml_text,
                                         absl::string_view source_name,
                                         const SpecLimits& limits = SpecLimits());
// Reads and parses a spec file; a file larger than limits.max_bytes is refused unread.
absl::StatusOr<SweepSpec> LoadSweepSpecFile(const std::string& path,
                                            const SpecLimits& limits = SpecLimits());

// Grid cells x seeds, computed without expanding anything (saturates at INT64_MAX).
int64_t CountRuns(const SweepSpec& spec);

// The grid cells in a stable order (first axis slowest), one per combination of axis values.
std::vector<GridCell> ExpandGrid(const SweepSpec& spec);

// Every (cell, seed) exactly once. kInvalidArgument if there would be more than max_runs.
absl::StatusOr<std::vector<RunSpec>> ExpandSweep(const SweepSpec& spec, int64_t max_runs);

// Applies a cell's axis values to a base config. kInvalidArgument for an unknown axis. The
// primitive behind ResolveRunConfig (run_config.h), which is what callers want: it also carries
// the task and data settings.
absl::StatusOr<TrainConfig> ApplyCell(const TrainConfig& base, const GridCell& cell);

// Every numeric field in its range and the rules between fields (d_model divisible by heads,
// checkpoint_every a multiple of eval_every, eval_every <= steps, decay_steps > warmup_steps,
// early_stop and qf_first_word among their choices): what the parser demands of every cell.
// kInvalidArgument "train.<key>: must be ..., got ...".
absl::Status ValidateTrainConfig(const TrainConfig& config);

// "depth=6,lr=0.0001": the canonical text form used on the command line (sg-train --cell) and
// as the pack key in the queue. ParseCell accepts the same form.
std::string CellKey(const GridCell& cell);
absl::StatusOr<GridCell> ParseCell(absl::string_view text);

// One axis value as CellKey writes it: integral values without a decimal point ("6"), others in
// the shortest form that parses back to the same double ("0.0001", "1e-07").
std::string FormatCellValue(double v);

// {"depth":6,"lr":0.0001}: the JSON object form shown to users.
std::string CellJson(const GridCell& cell);

}  // namespace sg

#endif  // SG_COMMON_SWEEP_SPEC_H_
