#include "tasks/question_formation.h"

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

void AppendNp(const NounPhrase& np, std::vector<std::string>& out) {
  out.push_back(lexicon::kDeterminers[np.det]);
  out.push_back(Noun(np.noun, np.plural));
  switch (np.kind) {
    case NpKind::kPlain:
      break;
    case NpKind::kPP:
      out.push_back(lexicon::kPrepositions[np.prep]);
      out.push_back(lexicon::kDeterminers[np.det2]);
      out.push_back(Noun(np.noun2, np.plural2));
      break;
    case NpKind::kSrcI:
      out.push_back(lexicon::kRelativisers[np.rel]);
      out.push_back(lexicon::Auxiliary(np.plural, np.rc_negative));
      out.push_back(lexicon::kVerbBare[0][np.verb]);
      break;
    case NpKind::kSrcT:
      out.push_back(lexicon::kRelativisers[np.rel]);
      out.push_back(lexicon::Auxiliary(np.plural, np.rc_negative));
      out.push_back(lexicon::kVerbBare[1][np.verb]);
      out.push_back(lexicon::kDeterminers[np.det2]);
      out.push_back(Noun(np.noun2, np.plural2));
      break;
    case NpKind::kOrc:
      out.push_back(lexicon::kRelativisers[np.rel]);
      out.push_back(lexicon::kDeterminers[np.det2]);
      out.push_back(Noun(np.noun2, np.plural2));
      out.push_back(lexicon::Auxiliary(np.plural2, np.rc_negative));
      out.push_back(lexicon::kVerbBare[1][np.verb]);
      break;
  }
}

int NpLength(NpKind kind) {
  switch (kind) {
    case NpKind::kPlain:
      return 2;
    case NpKind::kPP:
    case NpKind::kSrcI:
      return 5;
    case NpKind::kSrcT:
    case NpKind::kOrc:
      return 7;
  }
  return 0;
}

// Reads words[pos...] as one of the grammar's word kinds.
class Cursor {
 public:
  explicit Cursor(const std::vector<std::string>& words) : words_(words) {}
  bool done() const { return pos_ >= words_.size(); }
  char PeekKind() const { return done() ? 0 : Lookup(words_[pos_]).kind; }
  absl::StatusOr<WordInfo> Take(char kind, const char* what) {
    if (done()) return absl::InvalidArgumentError(absl::StrCat("sentence ends where ", what,
                                                               " was expected"));
    WordInfo info = Lookup(words_[pos_]);
    if (info.kind != kind) {
      return absl::InvalidArgumentError(absl::StrCat("word ", pos_ + 1, " '", words_[pos_],
                                                     "' is not ", what));
    }
    ++pos_;
    return info;
  }

 private:
  const std::vector<std::string>& words_;
  size_t pos_ = 0;
};

absl::Status CheckBare(const WordInfo& v) {
  if (!v.is_bare) return absl::InvalidArgumentError("QF verbs must be bare forms");
  return absl::OkStatus();
}

absl::StatusOr<NounPhrase> ParseNp(Cursor& c) {
  NounPhrase np;
  absl::StatusOr<WordInfo> w = c.Take('D', "a determiner");
  if (!w.ok()) return w.status();
  np.det = w->index;
  if (!(w = c.Take('N', "a noun")).ok()) return w.status();
  np.noun = w->index;
  np.plural = w->plural;
  const char next = c.PeekKind();
  if (next == 'P') {
    np.kind = NpKind::kPP;
    np.prep = c.Take('P', "a preposition")->index;
    if (!(w = c.Take('D', "a determiner")).ok()) return w.status();
    np.det2 = w->index;
    if (!(w = c.Take('N', "a noun")).ok()) return w.status();
    np.noun2 = w->index;
    np.plural2 = w->plural;
    return np;
  }
  if (next != 'R') return np;
  np.rel = c.Take('R', "a relativiser")->index;
  if (c.PeekKind() == 'D') {  // object relative: Det N Aux Vt
    np.kind = NpKind::kOrc;
    np.det2 = c.Take('D', "a determiner")->index;
    if (!(w = c.Take('N', "a noun")).ok()) return w.status();
    np.noun2 = w->index;
    np.plural2 = w->plural;
    if (!(w = c.Take('A', "an auxiliary")).ok()) return w.status();
    if (w->plural != np.plural2) {
      return absl::InvalidArgumentError("relative-clause auxiliary does not agree with its subject");
    }
    np.rc_negative = w->negative;
    if (!(w = c.Take('V', "a verb")).ok()) return w.status();
    if (!w->transitive) return absl::InvalidArgumentError("object relative with intransitive verb");
    if (absl::Status s = CheckBare(*w); !s.ok()) return s;
    np.verb = w->index;
    return np;
  }
  if (!(w = c.Take('A', "an auxiliary")).ok()) return w.status();
  if (w->plural != np.plural) {
    return absl::InvalidArgumentError("relative-clause auxiliary does not agree with its head noun");
  }
  np.rc_negative = w->negative;
  if (!(w = c.Take('V', "a verb")).ok()) return w.status();
  if (absl::Status s = CheckBare(*w); !s.ok()) return s;
  np.verb = w->index;
  if (!w->transitive) {
    np.kind = NpKind::kSrcI;
    return np;
  }
  np.kind = NpKind::kSrcT;
  if (!(w = c.Take('D', "a determiner")).ok()) return w.status();
  np.det2 = w->index;
  if (!(w = c.Take('N', "a noun")).ok()) return w.status();
  np.noun2 = w->index;
  np.plural2 = w->plural;
  return np;
}

}  // namespace

bool QfSentence::operator==(const QfSentence& o) const {
  return subject == o.subject && aux_negative == o.aux_negative && transitive == o.transitive &&
         verb == o.verb && (!transitive || object == o.object);
}

std::vector<std::string> QfDeclarativeWords(const QfSentence& s) {
  std::vector<std::string> w;
  w.reserve(17);
  AppendNp(s.subject, w);
  w.push_back(lexicon::Auxiliary(s.subject.plural, s.aux_negative));
  w.push_back(lexicon::kVerbBare[s.transitive][s.verb]);
  if (s.transitive) AppendNp(s.object, w);
  return w;
}

int QfMainAuxIndex(const QfSentence& s) { return NpLength(s.subject.kind); }

int QfNumAuxiliaries(const QfSentence& s) {
  return 1 + (HasRelativeClause(s.subject.kind) ? 1 : 0) +
         (s.transitive && HasRelativeClause(s.object.kind) ? 1 : 0);
}

std::string QfLine(const QfSentence& s, bool question) {
  const std::vector<std::string> w = QfDeclarativeWords(s);
  const std::string decl = absl::StrJoin(w, " ");
  if (!question) return absl::StrCat(decl, " . decl\t", decl, " .");
  const int aux = QfMainAuxIndex(s);
  std::vector<std::string> q;
  q.reserve(w.size() + 1);
  q.push_back(w[aux]);
  for (int i = 0; i < static_cast<int>(w.size()); ++i) {
    if (i != aux) q.push_back(w[i]);
  }
  return absl::StrCat(decl, " . quest\t", absl::StrJoin(q, " "), " ?");
}

std::string QfTemplate(const QfSentence& s, bool question) {
  return absl::StrCat(question ? "quest" : "decl", "|", NpKindName(s.subject.kind), "|",
                      s.transitive ? absl::StrCat("Vt+", NpKindName(s.object.kind)) : "Vi");
}

absl::StatusOr<QfSentence> ParseQfDeclarative(const std::vector<std::string>& words) {
  Cursor c(words);
  QfSentence s;
  absl::StatusOr<NounPhrase> np = ParseNp(c);
  if (!np.ok()) return np.status();
  s.subject = *np;
  absl::StatusOr<WordInfo> w = c.Take('A', "the main auxiliary");
  if (!w.ok()) return w.status();
  if (w->plural != s.subject.plural) {
    return absl::InvalidArgumentError("main auxiliary does not agree with the subject");
  }
  s.aux_negative = w->negative;
  if (!(w = c.Take('V', "the main verb")).ok()) return w.status();
  if (absl::Status st = CheckBare(*w); !st.ok()) return st;
  s.verb = w->index;
  s.transitive = w->transitive;
  if (s.transitive) {
    if (!(np = ParseNp(c)).ok()) return np.status();
    s.object = *np;
  }
  if (!c.done()) return absl::InvalidArgumentError("words after the end of the sentence");
  return s;
}

absl::StatusOr<QfParsedLine> ParseQfLine(absl::string_view line) {
  std::vector<absl::string_view> halves = absl::StrSplit(line, '\t');
  if (halves.size() != 2) {
    return absl::InvalidArgumentError("a QF line is INPUT<TAB>OUTPUT with exactly one TAB");
  }
  std::vector<std::string> in = LineToWords(halves[0], false);
  if (in.size() < 3 || in[in.size() - 2] != "." ||
      (in.back() != "decl" && in.back() != "quest")) {
    return absl::InvalidArgumentError("QF input must end with '. decl' or '. quest'");
  }
  QfParsedLine out;
  out.question = in.back() == "quest";
  in.resize(in.size() - 2);
  absl::StatusOr<QfSentence> s = ParseQfDeclarative(in);
  if (!s.ok()) return s.status();
  out.sentence = *s;
  const std::string expected = QfLine(out.sentence, out.question);
  out.output_correct = expected == line;
  out.lm_length = static_cast<int>(LineToWords(line, false).size());
  return out;
}

std::vector<std::string> QfSplitViolations(const QfParsedLine& line, bool gen) {
  std::vector<std::string> v;
  const QfSentence& s = line.sentence;
  if (!line.output_correct) v.push_back("output is not the rule's answer for the marker");
  const bool subject_rc = HasRelativeClause(s.subject.kind);
  if (!gen) {
    if (line.question && subject_rc) v.push_back("training-type question with an RC subject");
    return v;
  }
  if (!line.question) v.push_back("generalisation line is not a question");
  if (!subject_rc) v.push_back("generalisation line without an RC on the subject");
  if (QfNumAuxiliaries(s) != 2) v.push_back("generalisation line without exactly two auxiliaries");
  if (subject_rc && s.subject.rc_negative == s.aux_negative) {
    v.push_back("RC and main auxiliaries have the same polarity");
  }
  if (s.subject.kind == NpKind::kOrc && s.subject.plural2 != s.subject.plural) {
    v.push_back("ORC embedded subject differs in number from the head");
  }
  return v;
}

namespace {

// Measured train-pool distribution (datasets.md §1.3), in NpKind order
// plain, PP, SRC_i, SRC_t, ORC.
constexpr double kTrainSubject[kNumNpKinds] = {0.508, 0.207, 0.071, 0.071, 0.143};
constexpr double kTrainObject[kNumNpKinds] = {0.30, 0.30, 0.20, 0.10, 0.10};
constexpr double kTrainIntransitive = 0.22;

QfSentence DrawTrainPool(Rng& rng) {
  QfSentence s;
  s.subject.plural = rng.Bernoulli(0.5);
  s.subject.kind = static_cast<NpKind>(rng.Choose(kTrainSubject));
  FillNounPhrase(rng, s.subject);
  s.aux_negative = rng.Bernoulli(0.5);
  s.transitive = !rng.Bernoulli(kTrainIntransitive);
  s.verb = static_cast<int>(rng.Below(lexicon::kNumVerbs));
  if (s.transitive) {
    s.object.plural = rng.Bernoulli(0.5);
    s.object.kind = static_cast<NpKind>(rng.Choose(kTrainObject));
    FillNounPhrase(rng, s.object);
  }
  return s;
}

// McCoy's PCFG (datasets.md §1.3-1.4) for the generalisation pool: a subject RC, VP intransitive 1/2, object plain/PP/RC 1/3 each; candidates that break a gen
// constraint are rejected, exactly as the measured gen file implies.
bool DrawGenCandidate(Rng& rng, QfSentence& s) {
  // SRC_i : SRC_t as measured in the reference gen file (3,204 : 3,463); ORC a third of the raw
  // pool (its embedded-number filter then halves it, which the quota makes up for).
  constexpr double kRc[kNumNpKinds] = {0, 0, 0.3204, 0.3463, 0.3333};
  constexpr double kObject[kNumNpKinds] = {1, 1, 1.0 / 3, 1.0 / 3, 1.0 / 3};
  s = QfSentence();
  s.subject.plural = rng.Bernoulli(0.5);
  s.subject.kind = static_cast<NpKind>(rng.Choose(kRc));
  FillNounPhrase(rng, s.subject);
  s.aux_negative = rng.Bernoulli(0.5);
  s.transitive = !rng.Bernoulli(0.5);
  s.verb = static_cast<int>(rng.Below(lexicon::kNumVerbs));
  if (s.transitive) {
    s.object.plural = rng.Bernoulli(0.5);
    s.object.kind = static_cast<NpKind>(rng.Choose(kObject));
    FillNounPhrase(rng, s.object);
    if (HasRelativeClause(s.object.kind)) return false;
  }
  if (s.subject.rc_negative == s.aux_negative) return false;
  if (s.subject.kind == NpKind::kOrc && s.subject.plural2 != s.subject.plural) return false;
  return true;
}

int64_t AttemptLimit(int64_t size) { return 200 * size + 1000000; }

absl::Status TooMany(const char* field, int64_t size) {
  return absl::InvalidArgumentError(absl::StrCat(
      field, ": ", size,
      " distinct lines could not be drawn (the grammar's distinct sentences run out); use a "
      "smaller size"));
}

}  // namespace

absl::Status GenerateQuestionFormation(uint64_t seed, int64_t train_size, int64_t val_size,
                                       int64_t test_size, std::vector<std::string>* train,
                                       std::vector<std::string>* val,
                                       std::vector<std::string>* test) {
  Rng rng(seed);
  std::unordered_set<std::string> seen;
  seen.reserve(static_cast<size_t>(train_size + val_size + test_size) * 2);
  auto fill_ambiguous = [&](int64_t size, std::vector<std::string>* out,
                            const char* field) -> absl::Status {
    out->clear();
    out->reserve(size);
    for (int64_t attempts = 0; static_cast<int64_t>(out->size()) < size; ++attempts) {
      if (attempts > AttemptLimit(size)) return TooMany(field, size);
      const QfSentence s = DrawTrainPool(rng);
      const bool question = rng.Bernoulli(0.5);
      if (question && HasRelativeClause(s.subject.kind)) continue;  // withheld: disambiguating
      std::string line = QfLine(s, question);
      if (!seen.insert(line).second) continue;
      out->push_back(std::move(line));
    }
    return absl::OkStatus();
  };
  if (absl::Status s = fill_ambiguous(train_size, train, "data.train_size"); !s.ok()) return s;
  if (absl::Status s = fill_ambiguous(val_size, val, "data.val_size"); !s.ok()) return s;

  // Generalisation: a 2:1 quota of subject-relative (SRC_i + SRC_t) to object-relative subjects.
  test->clear();
  test->reserve(test_size);
  const int64_t src_quota = (2 * test_size + 1) / 3;
  const int64_t orc_quota = test_size - src_quota;
  int64_t src = 0, orc = 0;
  QfSentence s;
  for (int64_t attempts = 0; static_cast<int64_t>(test->size()) < test_size; ++attempts) {
    if (attempts > AttemptLimit(test_size)) return TooMany("data.test_size", test_size);
    if (!DrawGenCandidate(rng, s)) continue;
    const bool is_orc = s.subject.kind == NpKind::kOrc;
    if (is_orc ? orc >= orc_quota : src >= src_quota) continue;
    std::string line = QfLine(s, true);
    if (!seen.insert(line).second) continue;
    (is_orc ? orc : src)++;
    test->push_back(std::move(line));
  }
  return absl::OkStatus();
}

}  // namespace sg
