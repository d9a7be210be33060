// Gold constituency trees of Question-Formation and Tense-Inflection sentences, from the
// grammar of experiment.md §3.5 (which gives the reference's trees on every val, test and
// sampled train sentence):
//   S -> (NP VP);  NP -> (Det N) | ((Det N) PP) | ((Det N) RC);  PP -> (P NP);
//   RC -> (R VP) (subject relative) | (R (NP VP)) (object relative);
//   VP -> (Aux V) | (Aux (V NP)) in QF, V | (V NP) in Tense.
// The sentence is the bare declarative of the analysis (§5.3): QF's declarative and Tense's
// past-tense source sentence, each without the final "." and without the task marker.
// Torch-free.
#ifndef SG_TASKS_GOLD_TREE_H_
#define SG_TASKS_GOLD_TREE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/sweep_spec.h"
#include "tasks/binary_tree.h"
#include "tasks/question_formation.h"
#include "tasks/tense_inflection.h"

namespace sg {

// Over QfDeclarativeWords(s).
BinaryTree QfGoldTree(const QfSentence& s);
// Over TenseWords(s, any inflection): the tree does not depend on the verb forms.
BinaryTree TenseGoldTree(const TenseSentence& s);

// Parses the words as the task's bare declarative and returns its gold tree. kInvalidArgument
// when the words are not a sentence of the task's grammar (the parser's message says which word
// breaks it), and for Dyck, which has no gold trees.
absl::StatusOr<BinaryTree> GoldTree(TaskKind task, const std::vector<std::string>& words);

}  // namespace sg

#endif  // SG_TASKS_GOLD_TREE_H_
