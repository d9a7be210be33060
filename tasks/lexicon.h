// The word lists of the McCoy et al. (2020) grammars used by Question-Formation and
// Tense-Inflection (datasets.md §1.2, §2.2), word lookups, and the part-of-speech tags that the
// Tense metric compares (experiment.md §4.4). The tags are derived from these lists rather than
// read from McCoy's pos.txt / pos_tense.txt, because the product must not need reference files;
// lexicon_test checks that they agree with those files for every word of both tasks.
#ifndef SG_TASKS_LEXICON_H_
#define SG_TASKS_LEXICON_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace sg {
namespace lexicon {

constexpr int kNumDeterminers = 6;
constexpr int kNumNouns = 13;
constexpr int kNumPrepositions = 8;
constexpr int kNumRelativisers = 2;
constexpr int kNumVerbs = 9;  // per transitivity

extern const char* const kDeterminers[kNumDeterminers];
extern const char* const kNounsSingular[kNumNouns];
extern const char* const kNounsPlural[kNumNouns];
extern const char* const kPrepositions[kNumPrepositions];
extern const char* const kRelativisers[kNumRelativisers];

// Verb forms. Index [transitive][verb]. Bare = QF form = Tense present plural.
extern const char* const kVerbBare[2][kNumVerbs];
extern const char* const kVerbPast[2][kNumVerbs];
extern const char* const kVerbPresentSingular[2][kNumVerbs];

// QF auxiliaries by [plural][negative]: does, doesn't, do, don't.
const char* Auxiliary(bool plural, bool negative);

enum class VerbForm { kBare, kPast, kPresentSingular };
const char* Verb(bool transitive, int verb, VerbForm form);

// What a word is. kind: 'D' determiner, 'N' noun, 'P' preposition, 'R' relativiser,
// 'V' verb, 'A' auxiliary, 'T' punctuation, 'G' task marker; 0 if the word is not in the lexicon.
struct WordInfo {
  char kind = 0;
  int index = -1;          // position in its list
  bool plural = false;     // nouns and auxiliaries
  bool negative = false;   // auxiliaries
  bool transitive = false; // verbs
  // Verbs: which forms the word is ("read" is both past and bare/present plural).
  bool is_bare = false, is_past = false, is_present_singular = false;
};
WordInfo Lookup(absl::string_view word);

// The tag the reference Tense metric gives `word` (pos.txt first, then pos_tense.txt), or the
// empty string when neither table has it (the metric then counts a miss). Task markers
// decl/quest are in pos.txt with an empty tag and PAST/PRESENT are in pos_tense.txt as 'G'; both
// are reported here as found (found = true) with those tags.
struct PosTag {
  bool found = false;
  std::string tag;
};
PosTag ReferencePosTag(absl::string_view word);

// Every word of a task's lines (markers and punctuation included), unsorted.
std::vector<std::string> QuestionFormationWords();
std::vector<std::string> TenseInflectionWords();
std::vector<std::string> DyckWords();  // (a..(t, a)..t)

}  // namespace lexicon
}  // namespace sg

#endif  // SG_TASKS_LEXICON_H_
