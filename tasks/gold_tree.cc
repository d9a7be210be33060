#include "tasks/gold_tree.h"

#include "absl/strings/str_cat.h"

namespace sg {
namespace {

const BinaryTree kWord;

BinaryTree J(const BinaryTree& a, const BinaryTree& b) { return BinaryTree::Join(a, b); }

// (Det N): every NP starts with it.
BinaryTree DetNoun() { return J(kWord, kWord); }

// The VP of a relative clause or of the main clause: QF puts an auxiliary before the verb.
// `object` is the object NP's tree, or null for an intransitive verb.
BinaryTree VerbPhrase(bool qf, const BinaryTree* object) {
  const BinaryTree verb = object == nullptr ? kWord : J(kWord, *object);
  return qf ? J(kWord, verb) : verb;
}

// NP -> (Det N) | ((Det N) PP) | ((Det N) RC). PP and RC nouns are plain (Det N): the grammars
// do not nest further (experiment.md §3.5).
BinaryTree NounPhraseTree(const NounPhrase& np, bool qf) {
  const BinaryTree head = DetNoun();
  switch (np.kind) {
    case NpKind::kPlain:
      return head;
    case NpKind::kPP:
      return J(head, J(kWord, DetNoun()));
    case NpKind::kSrcI:
      return J(head, J(kWord, VerbPhrase(qf, nullptr)));
    case NpKind::kSrcT: {
      const BinaryTree object = DetNoun();
      return J(head, J(kWord, VerbPhrase(qf, &object)));
    }
    case NpKind::kOrc:  // R (NP VP), the VP without its (moved) object
      return J(head, J(kWord, J(DetNoun(), VerbPhrase(qf, nullptr))));
  }
  return head;
}

BinaryTree SentenceTree(const NounPhrase& subject, bool transitive, const NounPhrase& object,
                        bool qf) {
  if (!transitive) return J(NounPhraseTree(subject, qf), VerbPhrase(qf, nullptr));
  const BinaryTree obj = NounPhraseTree(object, qf);
  return J(NounPhraseTree(subject, qf), VerbPhrase(qf, &obj));
}

}  // namespace

BinaryTree QfGoldTree(const QfSentence& s) {
  return SentenceTree(s.subject, s.transitive, s.object, /*qf=*/true);
}

BinaryTree TenseGoldTree(const TenseSentence& s) {
  return SentenceTree(s.subject, s.transitive, s.object, /*qf=*/false);
}

absl::StatusOr<BinaryTree> GoldTree(TaskKind task, const std::vector<std::string>& words) {
  switch (task) {
    case TaskKind::kQuestionFormation: {
      absl::StatusOr<QfSentence> s = ParseQfDeclarative(words);
      if (!s.ok()) return s.status();
      return QfGoldTree(*s);
    }
    case TaskKind::kTenseInflection: {
      absl::StatusOr<TenseSentence> s = ParseTensePast(words);
      if (!s.ok()) return s.status();
      return TenseGoldTree(*s);
    }
    case TaskKind::kDyck:
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("task ", TaskName(task), " has no gold trees (only question_formation and "
                   "tense_inflection do)"));
}

}  // namespace sg
