#include "tasks/lexicon.h"

#include <string>
#include <unordered_map>

namespace sg {
namespace lexicon {

const char* const kDeterminers[kNumDeterminers] = {"the", "some", "my", "your", "our", "her"};
const char* const kNounsSingular[kNumNouns] = {
    "newt",   "orangutan", "peacock",   "quail", "raven", "salamander", "tyrannosaurus",
    "unicorn", "vulture",  "walrus",    "xylophone", "yak", "zebra"};
const char* const kNounsPlural[kNumNouns] = {
    "newts",    "orangutans", "peacocks",   "quails", "ravens", "salamanders", "tyrannosauruses",
    "unicorns", "vultures",   "walruses",   "xylophones", "yaks", "zebras"};
const char* const kPrepositions[kNumPrepositions] = {"around", "near",   "with",  "upon",
                                                     "by",     "behind", "above", "below"};
const char* const kRelativisers[kNumRelativisers] = {"who", "that"};

const char* const kVerbBare[2][kNumVerbs] = {
    {"giggle", "smile", "sleep", "swim", "wait", "move", "change", "read", "eat"},
    {"entertain", "amuse", "high_five", "applaud", "confuse", "admire", "accept", "remember",
     "comfort"}};
const char* const kVerbPast[2][kNumVerbs] = {
    {"giggled", "smiled", "slept", "swam", "waited", "moved", "changed", "read", "ate"},
    {"entertained", "amused", "high_fived", "applauded", "confused", "admired", "accepted",
     "remembered", "comforted"}};
const char* const kVerbPresentSingular[2][kNumVerbs] = {
    {"giggles", "smiles", "sleeps", "swims", "waits", "moves", "changes", "reads", "eats"},
    {"entertains", "amuses", "high_fives", "applauds", "confuses", "admires", "accepts",
     "remembers", "comforts"}};

const char* Auxiliary(bool plural, bool negative) {
  if (plural) return negative ? "don't" : "do";
  return negative ? "doesn't" : "does";
}

const char* Verb(bool transitive, int verb, VerbForm form) {
  switch (form) {
    case VerbForm::kBare:
      return kVerbBare[transitive][verb];
    case VerbForm::kPast:
      return kVerbPast[transitive][verb];
    case VerbForm::kPresentSingular:
      return kVerbPresentSingular[transitive][verb];
  }
  return "";
}

namespace {

using Table = std::unordered_map<std::string, WordInfo>;

Table BuildTable() {
  Table t;
  auto add = [&t](const char* w, WordInfo info) { t[w] = info; };
  for (int i = 0; i < kNumDeterminers; ++i) add(kDeterminers[i], {'D', i});
  for (int i = 0; i < kNumNouns; ++i) {
    add(kNounsSingular[i], {'N', i, false});
    add(kNounsPlural[i], {'N', i, true});
  }
  for (int i = 0; i < kNumPrepositions; ++i) add(kPrepositions[i], {'P', i});
  for (int i = 0; i < kNumRelativisers; ++i) add(kRelativisers[i], {'R', i});
  for (int tr = 0; tr < 2; ++tr) {
    for (int v = 0; v < kNumVerbs; ++v) {
      for (const char* w : {kVerbBare[tr][v], kVerbPast[tr][v], kVerbPresentSingular[tr][v]}) {
        WordInfo& info = t[w];
        info.kind = 'V';
        info.index = v;
        info.transitive = tr == 1;
      }
      t[kVerbBare[tr][v]].is_bare = true;
      t[kVerbPast[tr][v]].is_past = true;
      t[kVerbPresentSingular[tr][v]].is_present_singular = true;
    }
  }
  for (int pl = 0; pl < 2; ++pl) {
    for (int neg = 0; neg < 2; ++neg) {
      WordInfo info{'A', 0, pl == 1, neg == 1};
      add(Auxiliary(pl, neg), info);
    }
  }
  add(".", {'T'});
  add("?", {'T'});
  for (const char* m : {"decl", "quest", "PAST", "PRESENT"}) add(m, {'G'});
  return t;
}

const Table& GetTable() {
  static const Table* table = new Table(BuildTable());
  return *table;
}

}  // namespace

WordInfo Lookup(absl::string_view word) {
  const Table& t = GetTable();
  auto it = t.find(std::string(word));
  return it == t.end() ? WordInfo{} : it->second;
}

PosTag ReferencePosTag(absl::string_view word) {
  // McCoy's pos.txt lists decl/quest (and DECL/QUEST) with an empty tag and is consulted first;
  // pos_tense.txt adds PAST/PRESENT (and lower-case past/present) as G.
  if (word == "decl" || word == "quest" || word == "DECL" || word == "QUEST") return {true, ""};
  if (word == "PAST" || word == "PRESENT" || word == "past" || word == "present") {
    return {true, "G"};
  }
  const WordInfo info = Lookup(word);
  if (info.kind == 0 || info.kind == 'G') return {false, ""};
  return {true, std::string(1, info.kind)};
}

std::vector<std::string> QuestionFormationWords() {
  std::vector<std::string> w;
  for (const char* x : kDeterminers) w.push_back(x);
  for (const char* x : kNounsSingular) w.push_back(x);
  for (const char* x : kNounsPlural) w.push_back(x);
  for (const char* x : kPrepositions) w.push_back(x);
  for (const char* x : kRelativisers) w.push_back(x);
  for (int tr = 0; tr < 2; ++tr)
    for (const char* x : kVerbBare[tr]) w.push_back(x);
  for (int pl = 0; pl < 2; ++pl)
    for (int neg = 0; neg < 2; ++neg) w.push_back(Auxiliary(pl, neg));
  for (const char* x : {".", "?", "decl", "quest"}) w.push_back(x);
  return w;
}

std::vector<std::string> TenseInflectionWords() {
  std::vector<std::string> w;
  for (const char* x : kDeterminers) w.push_back(x);
  for (const char* x : kNounsSingular) w.push_back(x);
  for (const char* x : kNounsPlural) w.push_back(x);
  for (const char* x : kPrepositions) w.push_back(x);
  for (const char* x : kRelativisers) w.push_back(x);
  for (int tr = 0; tr < 2; ++tr) {
    for (int v = 0; v < kNumVerbs; ++v) {
      w.push_back(kVerbBare[tr][v]);
      w.push_back(kVerbPast[tr][v]);  // "read" twice; the vocabulary de-duplicates
      w.push_back(kVerbPresentSingular[tr][v]);
    }
  }
  for (const char* x : {".", "PAST", "PRESENT"}) w.push_back(x);
  return w;
}

std::vector<std::string> DyckWords() {
  std::vector<std::string> w;
  for (char c = 'a'; c <= 't'; ++c) {
    w.push_back(std::string("(") + c);
    w.push_back(std::string(1, c) + ")");
  }
  return w;
}

}  // namespace lexicon
}  // namespace sg
