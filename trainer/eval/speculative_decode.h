// Greedy decoding that takes the split's own lines as drafts. Trainer-internal (LibTorch).
//
// A decoding prompt of the Tense evaluator is a prefix of a test line, and a trained model's
// greedy continuation mostly *is* the rest of that line. The forward that computed the line's
// LM loss (line_forward.h) already holds the model's argmax at every position of the line, so
// the greedy tokens can be read off it for as long as they agree with the line: t0 is the argmax
// after the prompt; while t_k equals the line's next token, t_{k+1} is the argmax one position
// further. Where the model first departs from the line, that argmax is still the greedy token
// (its context is the prompt plus tokens that were accepted). The row then continues with the
// rest of the line as its next draft (a wrong verb form is a substitution: the line's later
// words still follow), checked by one forward over prompt + decoded + draft per round (only
// while a probe of the round's rows shows that rows settle: an untrained model departs from
// the line everywhere); rows still undecided are decoded token by token with the key/value
// cache (pack_decode.h), each seed from its own decoded prefix.
//
// The result is the greedy decode itself, not an approximation: every emitted token is an
// argmax given exactly the previously emitted tokens. Only float rounding differs between the
// batched forwards and the cached steps, as it already does between chunks of a plain decode.
#ifndef SG_TRAINER_EVAL_SPECULATIVE_DECODE_H_
#define SG_TRAINER_EVAL_SPECULATIVE_DECODE_H_

#include <cstdint>
#include <vector>

#include "tasks/model_scorer.h"
#include "trainer/eval/line_forward.h"
#include "trainer/eval/pack_decode.h"
#include "trainer/model/pack_model.h"

namespace sg {

// How the rows (seed x prompt) of one call were decided.
struct SpeculativeStats {
  int64_t rows = 0;
  int64_t from_lines = 0;  // read off the line forward alone
  int64_t verified = 0;    // decided by a verification round
  int64_t decoded = 0;     // left to the cached token-by-token decoder
  int64_t rounds = 0;      // verification forwards run (rounds x chunks)
  void Add(const SpeculativeStats& o) {
    rows += o.rows;
    from_lines += o.from_lines;
    verified += o.verified;
    decoded += o.decoded;
    rounds += o.rounds;
  }
};

struct SpeculativeOptions {
  DecodeOptions decode;   // max_new_tokens, stop_id (the decoded output's contract)
  int verify_rounds = 2;  // forwards over prompt + decoded + draft before the cached decoder
  // Each round verifies every probe_every-th undecided row first and stops verifying (the
  // cached decoder takes the rest) when fewer than min_settled of them settled. 1: no probe.
  int probe_every = 8;
  double min_settled = 0.25;
  SpeculativeStats* stats = nullptr;  // when set, receives this call's counts
};

// For each prompt, hits[i] = lines.Find(prompts[i]) (which must have found it) and `lines`
// must hold argmaxes (LineForwardOptions::keep_argmax) computed with `model` as it is now.
// Returns what GreedyDecodePack returns for these prompts ([seed][prompt][token], t0..tN, tokens
// after a stop reported as stop_id when stop_id >= 0). The caller validates the prompts.
std::vector<std::vector<TokenIds>> SpeculativeGreedyDecode(
    const PackModel& model, const LineForward& lines, const std::vector<TokenIds>& prompts,
    const std::vector<LineForward::Hit>& hits, const SpeculativeOptions& options,
    const EvalBudget& budget);

}  // namespace sg

#endif  // SG_TRAINER_EVAL_SPECULATIVE_DECODE_H_
