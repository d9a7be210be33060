// Question-Formation (datasets.md §1): the sentence structure, its rendering to data lines, a
// parser for lines (used by the split checks, `sg-data stats` and the test scorers), and the
// generator of the three splits.
#ifndef SG_TASKS_QUESTION_FORMATION_H_
#define SG_TASKS_QUESTION_FORMATION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tasks/phrase.h"

namespace sg {

struct QfSentence {
  NounPhrase subject;
  bool aux_negative = false;  // main auxiliary; its number is the subject's
  bool transitive = false;
  int verb = 0;
  NounPhrase object;  // only when transitive

  bool operator==(const QfSentence& o) const;
};

// The declarative's words without the final ".".
std::vector<std::string> QfDeclarativeWords(const QfSentence& s);
// Index of the main auxiliary in QfDeclarativeWords (= the subject's length).
int QfMainAuxIndex(const QfSentence& s);
// Number of auxiliaries in the sentence (1..3).
int QfNumAuxiliaries(const QfSentence& s);
// A data line: "<decl> . decl\t<decl> ." or "<decl> . quest\t<aux> <decl without aux> ?".
std::string QfLine(const QfSentence& s, bool question);
// "decl|PP|Vt+SRC_i": marker, subject type, main VP type.
std::string QfTemplate(const QfSentence& s, bool question);

// Parses a declarative (words without the final "."); kInvalidArgument says which word breaks
// the grammar or which auxiliary does not agree with its subject.
absl::StatusOr<QfSentence> ParseQfDeclarative(const std::vector<std::string>& words);

struct QfParsedLine {
  QfSentence sentence;
  bool question = false;
  bool output_correct = false;  // the output is the rule's answer for the marker
  int lm_length = 0;            // words of the whole LM line
};
absl::StatusOr<QfParsedLine> ParseQfLine(absl::string_view line);

// Violations of the split rules of datasets.md §1.4 for one parsed line (empty if none).
// gen = the generalisation split (Split::kTest); otherwise train/val rules.
std::vector<std::string> QfSplitViolations(const QfParsedLine& line, bool gen);

// Generates train, val and test (generalisation) in that order from one seeded stream, with no
// line repeated within or across splits (datasets.md §1.6). kInvalidArgument if a size exceeds
// what the grammar can supply.
absl::Status GenerateQuestionFormation(uint64_t seed, int64_t train_size, int64_t val_size,
                                       int64_t test_size, std::vector<std::string>* train,
                                       std::vector<std::string>* val,
                                       std::vector<std::string>* test);

}  // namespace sg

#endif  // SG_TASKS_QUESTION_FORMATION_H_
