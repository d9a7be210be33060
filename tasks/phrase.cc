#include "tasks/phrase.h"

#include "tasks/lexicon.h"

namespace sg {

const char* NpKindName(NpKind kind) {
  switch (kind) {
    case NpKind::kPlain:
      return "plain";
    case NpKind::kPP:
      return "PP";
    case NpKind::kSrcI:
      return "SRC_i";
    case NpKind::kSrcT:
      return "SRC_t";
    case NpKind::kOrc:
      return "ORC";
  }
  return "?";
}

bool NounPhrase::operator==(const NounPhrase& o) const {
  if (kind != o.kind || det != o.det || noun != o.noun || plural != o.plural) return false;
  switch (kind) {
    case NpKind::kPlain:
      return true;
    case NpKind::kPP:
      return prep == o.prep && det2 == o.det2 && noun2 == o.noun2 && plural2 == o.plural2;
    case NpKind::kSrcI:
      return rel == o.rel && verb == o.verb && rc_negative == o.rc_negative;
    case NpKind::kSrcT:
    case NpKind::kOrc:
      return rel == o.rel && verb == o.verb && rc_negative == o.rc_negative && det2 == o.det2 &&
             noun2 == o.noun2 && plural2 == o.plural2;
  }
  return false;
}

void FillNounPhrase(Rng& rng, NounPhrase& np) {
  np.det = static_cast<int>(rng.Below(lexicon::kNumDeterminers));
  np.noun = static_cast<int>(rng.Below(lexicon::kNumNouns));
  np.det2 = np.noun2 = np.prep = np.rel = np.verb = 0;
  np.plural2 = np.rc_negative = false;
  switch (np.kind) {
    case NpKind::kPlain:
      break;
    case NpKind::kPP:
      np.prep = static_cast<int>(rng.Below(lexicon::kNumPrepositions));
      np.det2 = static_cast<int>(rng.Below(lexicon::kNumDeterminers));
      np.noun2 = static_cast<int>(rng.Below(lexicon::kNumNouns));
      np.plural2 = rng.Bernoulli(0.5);
      break;
    case NpKind::kSrcI:
      np.rel = static_cast<int>(rng.Below(lexicon::kNumRelativisers));
      np.rc_negative = rng.Bernoulli(0.5);
      np.verb = static_cast<int>(rng.Below(lexicon::kNumVerbs));
      break;
    case NpKind::kSrcT:
    case NpKind::kOrc:
      np.rel = static_cast<int>(rng.Below(lexicon::kNumRelativisers));
      np.rc_negative = rng.Bernoulli(0.5);
      np.verb = static_cast<int>(rng.Below(lexicon::kNumVerbs));
      np.det2 = static_cast<int>(rng.Below(lexicon::kNumDeterminers));
      np.noun2 = static_cast<int>(rng.Below(lexicon::kNumNouns));
      np.plural2 = rng.Bernoulli(0.5);
      break;
  }
}

}  // namespace sg
