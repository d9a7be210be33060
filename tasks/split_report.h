// Statistics and split-rule checks of one split's lines (what `sg-data stats` prints and what
// the tests compare with the reference files).
#ifndef SG_TASKS_SPLIT_REPORT_H_
#define SG_TASKS_SPLIT_REPORT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/sweep_spec.h"
#include "tasks/dyck.h"
#include "tasks/task_dataset.h"

namespace sg {

struct SplitReport {
  TaskKind task = TaskKind::kQuestionFormation;
  Split split = Split::kTrain;
  int64_t lines = 0;
  int64_t distinct_lines = 0;
  std::map<std::string, int64_t> markers;    // decl/quest, PAST/PRESENT; empty for Dyck
  std::map<int, int64_t> lm_lengths;         // LM tokens per line (Dyck: without END)
  // QF/Tense: "marker|subject|VP"; Dyck: "depth=D" (the string's maximum depth).
  std::map<std::string, int64_t> templates;
  double mean_length = 0;
  int64_t violations = 0;                    // lines breaking a rule (each counted once)
  std::vector<std::string> violation_examples;  // the first few, "line N: why"
};

// Checks every line against the task's grammar and the split's rules (datasets.md §1.4, §2.4,
// §3.3). Dyck val/test rules need the training strings: pass them as dyck_train, or null to
// check only well-formedness. Never fails on bad lines (they are violations); fails only on a
// bad dyck_split.
SplitReport AnalyzeSplit(TaskKind task, Split split, const std::vector<std::string>& lines,
                         const std::vector<std::string>* dyck_train = nullptr,
                         dyck::Structure structure = dyck::Structure::kBlocks);

// Share of each value of one "|"-separated field of the template keys (0 marker, 1 subject,
// 2 VP), over all lines.
std::map<std::string, double> TemplateMarginal(const SplitReport& report, int field);

// Human-readable report: counts, length histogram, template shares, violations.
std::string FormatReport(const SplitReport& report);

}  // namespace sg

#endif  // SG_TASKS_SPLIT_REPORT_H_
