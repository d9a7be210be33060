// The noun-phrase skeleton shared by the Question-Formation and Tense-Inflection grammars
// (datasets.md §1.3, §2.3). Relative clauses and PPs never nest, so one flat struct holds any NP.
#ifndef SG_TASKS_PHRASE_H_
#define SG_TASKS_PHRASE_H_

#include "tasks/rng.h"

namespace sg {

enum class NpKind { kPlain = 0, kPP, kSrcI, kSrcT, kOrc };
constexpr int kNumNpKinds = 5;
// "plain", "PP", "SRC_i", "SRC_t", "ORC".
const char* NpKindName(NpKind kind);
inline bool HasRelativeClause(NpKind k) {
  return k == NpKind::kSrcI || k == NpKind::kSrcT || k == NpKind::kOrc;
}

struct NounPhrase {
  NpKind kind = NpKind::kPlain;
  int det = 0, noun = 0;
  bool plural = false;
  // The second noun: PP object, SRC_t object, or ORC embedded subject.
  int det2 = 0, noun2 = 0;
  bool plural2 = false;
  int prep = 0;        // PP
  int rel = 0;         // RC
  int verb = 0;        // RC verb (intransitive for SRC_i, transitive otherwise)
  bool rc_negative = false;  // QF: polarity of the RC auxiliary

  bool operator==(const NounPhrase& o) const;
  bool operator!=(const NounPhrase& o) const { return !(*this == o); }
};

// Fills every slot of `np` uniformly, keeping `kind` and `plural`; plural2 is drawn 1/2.
void FillNounPhrase(Rng& rng, NounPhrase& np);

}  // namespace sg

#endif  // SG_TASKS_PHRASE_H_
