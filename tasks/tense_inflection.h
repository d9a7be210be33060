// Tense-Inflection (datasets.md §2): sentence structure, rendering in the past or the present
// tense (by the hierarchical "agree with own subject" rule or the linear "agree with the nearest
// preceding noun" rule), a line parser, the split rules and the generator.
#ifndef SG_TASKS_TENSE_INFLECTION_H_
#define SG_TASKS_TENSE_INFLECTION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tasks/phrase.h"

namespace sg {

struct TenseSentence {
  NounPhrase subject;  // rc_negative unused
  bool transitive = false;
  int verb = 0;
  NounPhrase object;  // only when transitive

  bool operator==(const TenseSentence& o) const;
};

enum class Inflection {
  kPast,
  kPresentBySubject,     // every verb agrees with its own subject (the task's rule)
  kPresentByNearestNoun  // every verb agrees with the nearest preceding noun (linear rule)
};

// The sentence's words without the final ".".
std::vector<std::string> TenseWords(const TenseSentence& s, Inflection how);
// "PAST|PP|Vt+ORC": marker, subject type, main VP type.
std::string TenseTemplate(const TenseSentence& s, bool present);
// "<past> . PAST\t<past> ." or "<past> . PRESENT\t<present> .".
std::string TenseLine(const TenseSentence& s, bool present);
// Whether the noun right before the main verb has the subject head's number (both rules agree).
bool TenseMainVerbAmbiguous(const TenseSentence& s);

// Parses a sentence in the past tense (words without the final ".").
absl::StatusOr<TenseSentence> ParseTensePast(const std::vector<std::string>& words);

struct TenseParsedLine {
  TenseSentence sentence;
  bool present = false;
  bool output_correct = false;
  int lm_length = 0;
};
absl::StatusOr<TenseParsedLine> ParseTenseLine(absl::string_view line);

// Violations of datasets.md §2.4 (gen = the generalisation split).
std::vector<std::string> TenseSplitViolations(const TenseParsedLine& line, bool gen);

// Train, val, test (generalisation) in that order from one seeded stream, no line repeated.
absl::Status GenerateTenseInflection(uint64_t seed, int64_t train_size, int64_t val_size,
                                     int64_t test_size, std::vector<std::string>* train,
                                     std::vector<std::string>* val,
                                     std::vector<std::string>* test);

}  // namespace sg

#endif  // SG_TASKS_TENSE_INFLECTION_H_
