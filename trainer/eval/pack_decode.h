// Greedy decoding of a whole pack with a per-layer key/value cache (experiment.md §1.9):
// one forward over the padded prompts fills the cache, then every step feeds one token per row
// for all seeds at once. Trainer-internal (LibTorch); PackScorer::GreedyDecode is its caller.
#ifndef SG_TRAINER_EVAL_PACK_DECODE_H_
#define SG_TRAINER_EVAL_PACK_DECODE_H_

#include <cstdint>
#include <vector>

#include "tasks/model_scorer.h"
#include "trainer/eval/pack_eval.h"
#include "trainer/model/pack_model.h"

namespace sg {

struct DecodeOptions {
  int max_new_tokens = 50;  // tokens after t0; >= 0
  // >= 0: a chunk stops once every row (of every seed) has produced this id among t1..tN, and
  // the tokens it did not compute are this id. Every truncation that cuts at the first such id
  // among t1..tN (TruncateDecoded with the EOS id) sees the same output as a full decode.
  // -1: always decode all max_new_tokens.
  int32_t stop_id = -1;
  // With stop_id >= 0: t0 counts as well (a row is done once it produced stop_id among
  // t0..tN), for callers whose t0 continues an earlier decode of the same row.
  bool stop_counts_t0 = false;
  // How often (in tokens) the host reads the device's all-stopped flag: each read waits for the
  // device, so it is not done every token.
  int stop_check_every = 8;
  // When set, receives the number of single-token steps run, summed over chunks (max_new_tokens
  // per chunk without a stop): how much the stop saved.
  int64_t* steps_run = nullptr;
};

// Rows of one decode chunk: the prompt forward (RowsPerChunk at the longest prompt) and the
// cache (K and V for every layer and seed, prompt_len + max_new_tokens slots) must both fit.
int64_t DecodeRowsPerChunk(const ModelShape& shape, int64_t num_seeds, int64_t prompt_len,
                           int64_t max_new_tokens, const EvalBudget& budget);

// For each seed and prompt (SOS first, non-empty, ids in [0, num_ids): the caller checks), the
// greedy tokens t0..t_max_new_tokens, t_i fed at position prompt_length + i. Prompts are sorted
// by length and cut into chunks by the budget; results come back in input order
// ([seed][prompt][token]). Eval mode, no gradients. Throws c10::Error on LibTorch failures
// (e.g. out of memory). The same prompts for every seed: GreedyDecodePackPerSeed with the list
// repeated.
std::vector<std::vector<TokenIds>> GreedyDecodePack(const PackModel& model,
                                                    const std::vector<TokenIds>& prompts,
                                                    const DecodeOptions& options,
                                                    const EvalBudget& budget);

// GreedyDecodePack with each seed decoding its own prompts: prompts[s][i] is seed s's i-th
// prompt (same conditions as above), and out[s][i] its tokens t0..t_max_new_tokens. Every seed
// must have the same number of prompts, and prompts.size() must equal the pack's seeds (else
// c10::Error naming the mismatch). Each seed sorts its own prompts by length; chunk row b of
// seed s is that seed's b-th prompt of the chunk in that order, and the chunk is padded to its
// longest prompt over all seeds.
std::vector<std::vector<TokenIds>> GreedyDecodePackPerSeed(
    const PackModel& model, const std::vector<std::vector<TokenIds>>& prompts,
    const DecodeOptions& options, const EvalBudget& budget);

}  // namespace sg

#endif  // SG_TRAINER_EVAL_PACK_DECODE_H_
