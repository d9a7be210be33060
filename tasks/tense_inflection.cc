#include "tasks/tense_inflection.h"

#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tasks/lexicon.h"
#include "tasks/vocabulary.h"

namespace sg {
namespace {

using lexicon::Lookup;
using lexicon::WordInfo;

const char* Noun(int i, bool plural) {
  return plural ? lexicon::kNounsPlural[i] : lexicon::kNounsSingular[i];
}

// Renders words, choosing each verb's form from the inflection mode. `last_plural` tracks the
// number of the most recent noun for the linear rule.
class Renderer {
 public:
  Renderer(Inflection how, std::vector<std::string>& out) : how_(how), out_(out) {}

  void NounWord(int det, int noun, bool plural) {
    out_.push_back(lexicon::kDeterminers[det]);
    out_.push_back(Noun(noun, plural));
    last_plural_ = plural;
  }
  void VerbWord(bool transitive, int verb, bool own_subject_plural) {
    if (how_ == Inflection::kPast) {
      out_.push_back(lexicon::kVerbPast[transitive][verb]);
      return;
    }
    const bool plural =
        how_ == Inflection::kPresentBySubject ? own_subject_plural : last_plural_;
    out_.push_back(plural ? lexicon::kVerbBare[transitive][verb]
                          : lexicon::kVerbPresentSingular[transitive][verb]);
  }
  void Np(const NounPhrase& np) {
    NounWord(np.det, np.noun, np.plural);
    switch (np.kind) {
      case NpKind::kPlain:
        break;
      case NpKind::kPP:
        out_.push_back(lexicon::kPrepositions[np.prep]);
        NounWord(np.det2, np.noun2, np.plural2);
        break;
      case NpKind::kSrcI:
        out_.push_back(lexicon::kRelativisers[np.rel]);
        VerbWord(false, np.verb, np.plural);
        break;
      case NpKind::kSrcT:
        out_.push_back(lexicon::kRelativisers[np.rel]);
        VerbWord(true, np.verb, np.plural);
        NounWord(np.det2, np.noun2, np.plural2);
        break;
      case NpKind::kOrc:
        out_.push_back(lexicon::kRelativisers[np.rel]);
        NounWord(np.det2, np.noun2, np.plural2);
        VerbWord(true, np.verb, np.plural2);
        break;
    }
  }

 private:
  Inflection how_;
  std::vector<std::string>& out_;
  bool last_plural_ = false;
};

bool LastNounPlural(const NounPhrase& np) {
  switch (np.kind) {
    case NpKind::kPlain:
    case NpKind::kSrcI:
      return np.plural;
    case NpKind::kPP:
    case NpKind::kSrcT:
    case NpKind::kOrc:
      return np.plural2;
  }
  return np.plural;
}

class Cursor {
 public:
  explicit Cursor(const std::vector<std::string>& words) : words_(words) {}
  bool done() const { return pos_ >= words_.size(); }
  char PeekKind() const { return done() ? 0 : Lookup(words_[pos_]).kind; }
  absl::StatusOr<WordInfo> Take(char kind, const char* what) {
    if (done()) {
      return absl::InvalidArgumentError(absl::StrCat("sentence ends where ", what, " was expected"));
    }
    WordInfo info = Lookup(words_[pos_]);
    if (info.kind != kind) {
      return absl::InvalidArgumentError(
          absl::StrCat("word ", pos_ + 1, " '", words_[pos_], "' is not ", what));
    }
    if (kind == 'V' && !info.is_past) {
      return absl::InvalidArgumentError(
          absl::StrCat("word ", pos_ + 1, " '", words_[pos_], "' is not a past-tense verb"));
    }
    ++pos_;
    return info;
  }

 private:
  const std::vector<std::string>& words_;
  size_t pos_ = 0;
};

absl::Status TakeNoun(Cursor& c, int& det, int& noun, bool& plural) {
  absl::StatusOr<WordInfo> w = c.Take('D', "a determiner");
  if (!w.ok()) return w.status();
  det = w->index;
  if (!(w = c.Take('N', "a noun")).ok()) return w.status();
  noun = w->index;
  plural = w->plural;
  return absl::OkStatus();
}

absl::StatusOr<NounPhrase> ParseNp(Cursor& c) {
  NounPhrase np;
  if (absl::Status s = TakeNoun(c, np.det, np.noun, np.plural); !s.ok()) return s;
  const char next = c.PeekKind();
  if (next == 'P') {
    np.kind = NpKind::kPP;
    np.prep = c.Take('P', "a preposition")->index;
    if (absl::Status s = TakeNoun(c, np.det2, np.noun2, np.plural2); !s.ok()) return s;
    return np;
  }
  if (next != 'R') return np;
  np.rel = c.Take('R', "a relativiser")->index;
  if (c.PeekKind() == 'D') {
    np.kind = NpKind::kOrc;
    if (absl::Status s = TakeNoun(c, np.det2, np.noun2, np.plural2); !s.ok()) return s;
    absl::StatusOr<WordInfo> v = c.Take('V', "a verb");
    if (!v.ok()) return v.status();
    if (!v->transitive) return absl::InvalidArgumentError("object relative with intransitive verb");
    np.verb = v->index;
    return np;
  }
  absl::StatusOr<WordInfo> v = c.Take('V', "a verb");
  if (!v.ok()) return v.status();
  np.verb = v->index;
  if (!v->transitive) {
    np.kind = NpKind::kSrcI;
    return np;
  }
  np.kind = NpKind::kSrcT;
  if (absl::Status s = TakeNoun(c, np.det2, np.noun2, np.plural2); !s.ok()) return s;
  return np;
}

}  // namespace

bool TenseSentence::operator==(const TenseSentence& o) const {
  return subject == o.subject && transitive == o.transitive && verb == o.verb &&
         (!transitive || object == o.object);
}

std::vector<std::string> TenseWords(const TenseSentence& s, Inflection how) {
  std::vector<std::string> w;
  w.reserve(14);
  Renderer r(how, w);
  r.Np(s.subject);
  r.VerbWord(s.transitive, s.verb, s.subject.plural);
  if (s.transitive) r.Np(s.object);
  return w;
}

std::string TenseTemplate(const TenseSentence& s, bool present) {
  return absl::StrCat(present ? "PRESENT" : "PAST", "|", NpKindName(s.subject.kind), "|",
                      s.transitive ? absl::StrCat("Vt+", NpKindName(s.object.kind)) : "Vi");
}

std::string TenseLine(const TenseSentence& s, bool present) {
  const std::string past = absl::StrJoin(TenseWords(s, Inflection::kPast), " ");
  if (!present) return absl::StrCat(past, " . PAST\t", past, " .");
  return absl::StrCat(past, " . PRESENT\t",
                      absl::StrJoin(TenseWords(s, Inflection::kPresentBySubject), " "), " .");
}

bool TenseMainVerbAmbiguous(const TenseSentence& s) {
  return LastNounPlural(s.subject) == s.subject.plural;
}

absl::StatusOr<TenseSentence> ParseTensePast(const std::vector<std::string>& words) {
  Cursor c(words);
  TenseSentence s;
  absl::StatusOr<NounPhrase> np = ParseNp(c);
  if (!np.ok()) return np.status();
  s.subject = *np;
  absl::StatusOr<WordInfo> v = c.Take('V', "the main verb");
  if (!v.ok()) return v.status();
  s.verb = v->index;
  s.transitive = v->transitive;
  if (s.transitive) {
    if (!(np = ParseNp(c)).ok()) return np.status();
    s.object = *np;
  }
  if (!c.done()) return absl::InvalidArgumentError("words after the end of the sentence");
  return s;
}

absl::StatusOr<TenseParsedLine> ParseTenseLine(absl::string_view line) {
  std::vector<absl::string_view> halves = absl::StrSplit(line, '\t');
  if (halves.size() != 2) {
    return absl::InvalidArgumentError("a Tense line is INPUT<TAB>OUTPUT with exactly one TAB");
  }
  std::vector<std::string> in = LineToWords(halves[0], false);
  if (in.size() < 3 || in[in.size() - 2] != "." ||
      (in.back() != "PAST" && in.back() != "PRESENT")) {
    return absl::InvalidArgumentError("Tense input must end with '. PAST' or '. PRESENT'");
  }
  TenseParsedLine out;
  out.present = in.back() == "PRESENT";
  in.resize(in.size() - 2);
  absl::StatusOr<TenseSentence> s = ParseTensePast(in);
  if (!s.ok()) return s.status();
  out.sentence = *s;
  out.output_correct = TenseLine(out.sentence, out.present) == line;
  out.lm_length = static_cast<int>(LineToWords(line, false).size());
  return out;
}

std::vector<std::string> TenseSplitViolations(const TenseParsedLine& line, bool gen) {
  std::vector<std::string> v;
  if (!line.output_correct) v.push_back("output is not the rule's answer for the marker");
  const bool ambiguous = TenseMainVerbAmbiguous(line.sentence);
  if (!gen) {
    if (line.present && !ambiguous) {
      v.push_back("training-type PRESENT line whose main verb's nearest noun differs from the "
                  "subject in number");
    }
    return v;
  }
  if (!line.present) v.push_back("generalisation line is not PRESENT");
  if (ambiguous) {
    v.push_back("generalisation line whose main verb's nearest noun has the subject's number");
  }
  return v;
}

namespace {

// McCoy's tense.gr weights with the measured P(intransitive) = 0.25 (datasets.md §2.3, §2.6);
// NpKind order plain, PP, SRC_i, SRC_t, ORC.
constexpr double kNp[kNumNpKinds] = {1.0 / 3, 1.0 / 3, 1.0 / 9, 1.0 / 9, 1.0 / 9};
constexpr double kIntransitive = 0.25;

TenseSentence Draw(Rng& rng) {
  TenseSentence s;
  s.subject.plural = rng.Bernoulli(0.5);
  s.subject.kind = static_cast<NpKind>(rng.Choose(kNp));
  FillNounPhrase(rng, s.subject);
  s.transitive = !rng.Bernoulli(kIntransitive);
  s.verb = static_cast<int>(rng.Below(lexicon::kNumVerbs));
  if (s.transitive) {
    s.object.plural = rng.Bernoulli(0.5);
    s.object.kind = static_cast<NpKind>(rng.Choose(kNp));
    FillNounPhrase(rng, s.object);
  }
  return s;
}

}  // namespace

absl::Status GenerateTenseInflection(uint64_t seed, int64_t train_size, int64_t val_size,
                                     int64_t test_size, std::vector<std::string>* train,
                                     std::vector<std::string>* val,
                                     std::vector<std::string>* test) {
  Rng rng(seed);
  std::unordered_set<std::string> seen;
  seen.reserve(static_cast<size_t>(train_size + val_size + test_size) * 2);
  auto fill = [&](int64_t size, bool gen, std::vector<std::string>* out,
                  const char* field) -> absl::Status {
    out->clear();
    out->reserve(size);
    const int64_t limit = 200 * size + 1000000;
    for (int64_t attempts = 0; static_cast<int64_t>(out->size()) < size; ++attempts) {
      if (attempts > limit) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, ": ", size, " distinct lines could not be drawn; use a smaller size"));
      }
      const TenseSentence s = Draw(rng);
      const bool present = gen || rng.Bernoulli(0.5);
      // Keep only lines on which the two rules agree (train/val) or disagree (gen).
      if (present && TenseMainVerbAmbiguous(s) == gen) continue;
      std::string line = TenseLine(s, present);
      if (!seen.insert(line).second) continue;
      out->push_back(std::move(line));
    }
    return absl::OkStatus();
  };
  if (absl::Status s = fill(train_size, false, train, "data.train_size"); !s.ok()) return s;
  if (absl::Status s = fill(val_size, false, val, "data.val_size"); !s.ok()) return s;
  return fill(test_size, true, test, "data.test_size");
}

}  // namespace sg
