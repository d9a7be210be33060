// sg-analyze's options and their command line: the one definition both sides of the
// sgctl -> sg-analyze process boundary link (sgctl encodes, sg-analyze parses). Torch-free.
//
// sg-analyze recomputes the analysis metrics (weight_norm, weight_norm_ref, attn_entropy,
// t_score, t_parseval) of one run from the checkpoints kept in its folder
// (`train.keep_checkpoints`, full-state or weights-only) and writes them as metric lines
// (trainer_lines.h), one per (checkpoint step, metric); `sgctl analyze` records them on the
// run's curves through the coordinator (docs/analysis.md).
#ifndef SG_TRAINER_API_ANALYZE_OPTIONS_H_
#define SG_TRAINER_API_ANALYZE_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace sg {

struct AnalyzeOptions {
  // The run's configuration: its resolved config (run_config.h JSON, what the coordinator
  // stores; sgctl analyze passes it), or a sweep spec and grid cell (standalone sg-train runs).
  std::string config_path;     // --config FILE
  std::string spec_path;       // --spec FILE
  std::string cell;            // --cell "depth=6"; empty: the spec's base config
  int64_t seed = -1;           // --seed S: the run's seed (required, >= 0)
  std::string checkpoint_dir;  // --checkpoints DIR: the run's checkpoint folder
  std::string out_path;        // --out FILE: metric lines, appended; "-": stdout
  std::string device = "cpu";  // --device cpu | cuda | cuda:N
  // As sg-train's --attn-sentences (the same default, so the values match the streamed ones);
  // 0: no attn_entropy.
  int64_t attn_sentences = 256;
  // Sentences for t_score/t_parseval; -1 (default): the run's train.tree_sentences; 0: none.
  int64_t tree_sentences = -1;
  // The run the checkpoints must name (their header identity); 0: not checked. A file naming
  // another run or seed is refused.
  int64_t sweep_id = 0;        // --sweep-id
  int64_t run_id = 0;          // --run-id
  int64_t threads = 0;         // LibTorch CPU threads; 0: LibTorch's default
  int64_t eval_memory_mb = 0;  // activation budget per forward; 0: 512 (cpu), 4096 (cuda)
  bool quiet = false;          // --quiet: no progress lines on stderr
};

// The command line for `options` (without the program name).
std::vector<std::string> EncodeAnalyzeArgs(const AnalyzeOptions& options);

// Parses --flag VALUE pairs (and --quiet). kInvalidArgument naming the flag for an unknown flag,
// a missing or malformed value, or a required flag left out (--config or --spec, --seed,
// --checkpoints, --out).
absl::StatusOr<AnalyzeOptions> ParseAnalyzeArgs(const std::vector<std::string>& args);

// `sg-analyze --help`.
std::string AnalyzeUsage();

}  // namespace sg

#endif  // SG_TRAINER_API_ANALYZE_OPTIONS_H_
