#include "tasks/split_report.h"

#include <memory>
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tasks/question_formation.h"
#include "tasks/tense_inflection.h"
#include "tasks/vocabulary.h"

namespace sg {
namespace {

constexpr size_t kMaxExamples = 10;

void AddViolation(SplitReport& r, size_t index, const std::string& why) {
  ++r.violations;
  if (r.violation_examples.size() < kMaxExamples) {
    r.violation_examples.push_back(absl::StrCat("line ", index + 1, ": ", why));
  }
}

}  // namespace

SplitReport AnalyzeSplit(TaskKind task, Split split, const std::vector<std::string>& lines,
                         const std::vector<std::string>* dyck_train, dyck::Structure structure) {
  SplitReport r;
  r.task = task;
  r.split = split;
  r.lines = static_cast<int64_t>(lines.size());
  const bool gen = split == Split::kTest;
  std::unordered_set<std::string> distinct;
  std::unique_ptr<dyck::ShapeSet> shapes;
  if (task == TaskKind::kDyck && dyck_train != nullptr && split != Split::kTrain) {
    shapes = std::make_unique<dyck::ShapeSet>(structure);
    for (const std::string& line : *dyck_train) {
      absl::StatusOr<dyck::DyckString> s = dyck::ParseLine(line, false);
      if (s.ok()) shapes->AddTrainString(*s);
    }
  }
  int64_t total_length = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    const bool repeated = !distinct.insert(line).second;
    std::vector<std::string> why;
    if (task == TaskKind::kQuestionFormation) {
      absl::StatusOr<QfParsedLine> p = ParseQfLine(line);
      if (!p.ok()) {
        AddViolation(r, i, std::string(p.status().message()));
        continue;
      }
      ++r.markers[p->question ? "quest" : "decl"];
      ++r.templates[QfTemplate(p->sentence, p->question)];
      ++r.lm_lengths[p->lm_length];
      total_length += p->lm_length;
      why = QfSplitViolations(*p, gen);
      if (repeated) why.push_back("repeats an earlier line");
    } else if (task == TaskKind::kTenseInflection) {
      absl::StatusOr<TenseParsedLine> p = ParseTenseLine(line);
      if (!p.ok()) {
        AddViolation(r, i, std::string(p.status().message()));
        continue;
      }
      ++r.markers[p->present ? "PRESENT" : "PAST"];
      ++r.templates[TenseTemplate(p->sentence, p->present)];
      ++r.lm_lengths[p->lm_length];
      total_length += p->lm_length;
      why = TenseSplitViolations(*p, gen);
      if (repeated) why.push_back("repeats an earlier line");
    } else {
      absl::StatusOr<dyck::DyckString> s = dyck::ParseLine(line, true);
      if (!s.ok()) {
        AddViolation(r, i, std::string(s.status().message()));
        continue;
      }
      const int length = static_cast<int>(s->size());
      ++r.lm_lengths[length];
      ++r.templates[absl::StrCat("depth=", dyck::MaxDepth(*s))];
      total_length += length;
      if (length < dyck::kMinLength) why.push_back("shorter than the sampler's minimum of 4");
      if (shapes != nullptr) {
        const bool all_seen = shapes->AllSeen(*s);
        if (split == Split::kVal && !all_seen) why.push_back("val string with an unseen shape");
        if (split == Split::kVal && shapes->InTrain(*s)) why.push_back("val string is in train");
        if (gen && all_seen) why.push_back("generalisation string with only seen shapes");
      }
    }
    if (!why.empty()) AddViolation(r, i, absl::StrJoin(why, "; "));
  }
  r.distinct_lines = static_cast<int64_t>(distinct.size());
  int64_t parsed = 0;
  for (const auto& [len, n] : r.lm_lengths) parsed += n;
  r.mean_length = parsed > 0 ? static_cast<double>(total_length) / parsed : 0;
  return r;
}

std::map<std::string, double> TemplateMarginal(const SplitReport& report, int field) {
  std::map<std::string, double> out;
  int64_t total = 0;
  for (const auto& [key, n] : report.templates) {
    std::vector<std::string> parts = absl::StrSplit(key, '|');
    if (field < static_cast<int>(parts.size())) out[parts[field]] += n;
    total += n;
  }
  for (auto& [k, v] : out) v /= total > 0 ? total : 1;
  return out;
}

std::string FormatReport(const SplitReport& r) {
  std::string s = absl::StrCat("task: ", TaskName(r.task), "\nsplit: ", SplitName(r.split),
                               "\nlines: ", r.lines, "\ndistinct lines: ", r.distinct_lines, "\n");
  if (!r.markers.empty()) {
    std::vector<std::string> m;
    for (const auto& [k, v] : r.markers) m.push_back(absl::StrCat(k, " ", v));
    absl::StrAppend(&s, "markers: ", absl::StrJoin(m, ", "), "\n");
  }
  int min_len = r.lm_lengths.empty() ? 0 : r.lm_lengths.begin()->first;
  int max_len = r.lm_lengths.empty() ? 0 : r.lm_lengths.rbegin()->first;
  absl::StrAppend(&s, absl::StrFormat("LM length: min %d, max %d, mean %.2f\n", min_len, max_len,
                                      r.mean_length));
  absl::StrAppend(&s, "length histogram:");
  for (const auto& [k, v] : r.lm_lengths) absl::StrAppend(&s, " ", k, ":", v);
  absl::StrAppend(&s, "\ntemplates (share):\n");
  int64_t total = 0;
  for (const auto& [k, v] : r.templates) total += v;
  for (const auto& [k, v] : r.templates) {
    absl::StrAppend(&s, absl::StrFormat("  %-28s %7d  %.4f\n", k, v,
                                        total > 0 ? static_cast<double>(v) / total : 0.0));
  }
  absl::StrAppend(&s, "split-rule violations: ", r.violations, "\n");
  for (const std::string& e : r.violation_examples) absl::StrAppend(&s, "  ", e, "\n");
  return s;
}

}  // namespace sg
