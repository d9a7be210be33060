// Scripted ModelScorers for tests: each applies a fixed rule instead of a trained model, so an
// evaluator's accuracy on a split is known in advance.
#ifndef SG_TASKS_TESTING_RULE_SCORERS_H_
#define SG_TASKS_TESTING_RULE_SCORERS_H_

#include <memory>
#include <vector>

#include "tasks/model_scorer.h"
#include "tasks/vocabulary.h"

namespace sg {
namespace testing {

enum class Rule {
  kHierarchical,  // QF: front the main auxiliary; Tense: agree with the own subject;
                  // Dyck: close the top of the stack
  kLinear,        // QF: front the first auxiliary; Tense: agree with the nearest preceding noun;
                  // Dyck: close the bottom of the stack (the oldest open bracket)
};

// QF: next-token scores after "<decl> . quest": 1 on the rule's auxiliary, 0 elsewhere. For
// any other input all scores are 0.
std::unique_ptr<ModelScorer> MakeQfRuleScorer(const Vocabulary& vocab, Rule rule);

// Tense: greedy decoding after "<past> . PRESENT|PAST" gives the rule's output words, ".",
// then EOS to the end. With end_with_period = false the "." is left out.
std::unique_ptr<ModelScorer> MakeTenseRuleScorer(const Vocabulary& vocab, Rule rule,
                                                 bool end_with_period = true);

// Dyck: next-token scores after a prefix: 1 on the closing id the rule picks.
std::unique_ptr<ModelScorer> MakeDyckRuleScorer(const Vocabulary& vocab, Rule rule);

// A pack: model i answers with scorers[i].
std::unique_ptr<ModelScorer> MakePack(std::vector<std::unique_ptr<ModelScorer>> scorers);

}  // namespace testing
}  // namespace sg

#endif  // SG_TASKS_TESTING_RULE_SCORERS_H_
