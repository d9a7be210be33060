#include "trainer/eval/speculative_decode.h"

#include <gtest/gtest.h>

#include <random>

#include "trainer/eval/pack_scorer.h"
#include "trainer/trainer_test_util.h"

namespace sg {
namespace {

using testing_util::kEos;
using testing_util::kNumIds;
using testing_util::kSos;

constexpr int kMaxNew = 12;

PackModel SharpModel(const std::vector<int64_t>& seeds) {
  return testing_util::SharpModel(seeds, 3.0);
}

TokenIds ReferenceDecode(const PackModel& model, int64_t seed, const TokenIds& prompt) {
  return testing_util::ReferenceDecode(model, seed, prompt, kMaxNew);
}

using testing_util::UpToFirstStop;

struct Case {
  std::vector<TokenIds> prompts, lines;
  std::vector<std::vector<TokenIds>> want;  // [seed][prompt]
};

// Prompts whose lines continue with seed 0's own greedy tokens (up to its EOS), the same with
// one token replaced, or random words: rows read off the lines, verified and decoded.
Case MakeCase(const PackModel& model, int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Case c;
  for (int i = 0; i < n; ++i) {
    // 4..7 words: prompts rarely prefix another prompt's line (Find would serve that line).
    TokenIds prompt = {kSos};
    const int words = 4 + static_cast<int>(rng() % 4);
    for (int w = 0; w < words; ++w) prompt.push_back(1 + static_cast<int32_t>(rng() % 9));
    const TokenIds greedy = ReferenceDecode(model, 0, prompt);
    TokenIds rest;
    for (size_t k = 0; k < greedy.size(); ++k) {
      if (k >= 1 && greedy[k] == kEos) break;
      rest.push_back(greedy[k]);
    }
    switch (i % 3) {
      case 0:
        break;  // the model's own continuation
      case 1:
        if (rest.size() > 2) rest[rest.size() / 2] = 1 + (rest[rest.size() / 2] % 9);
        break;
      case 2:
        for (int32_t& t : rest) t = 1 + static_cast<int32_t>(rng() % 9);
        break;
    }
    TokenIds line(prompt.begin() + 1, prompt.end());
    line.insert(line.end(), rest.begin(), rest.end());
    c.prompts.push_back(prompt);
    c.lines.push_back(line);
  }
  c.want.resize(model.num_seeds());
  for (int64_t s = 0; s < model.num_seeds(); ++s) {
    for (const TokenIds& p : c.prompts) c.want[s].push_back(ReferenceDecode(model, s, p));
  }
  return c;
}

std::vector<LineForward::Hit> Hits(const LineForward& lines, const std::vector<TokenIds>& prompts) {
  std::vector<LineForward::Hit> hits;
  for (const TokenIds& p : prompts) {
    auto hit = lines.Find(p);
    EXPECT_TRUE(hit.has_value());
    hits.push_back(hit.value_or(LineForward::Hit{}));
  }
  return hits;
}

TEST(SpeculativeDecodeTest, EqualsTheGreedyDecodeWithEveryRoundCountAndBudget) {
  PackModel model = SharpModel({21, 22, 23});
  const Case c = MakeCase(model, 24, 5);
  LineForwardOptions lo;
  lo.keep_argmax = true;
  EvalBudget small;
  small.max_rows = 3;
  for (const EvalBudget& budget : {EvalBudget(), small}) {
    const LineForward lines = LineForward::Compute(model, c.lines, kSos, kEos, budget, lo);
    const std::vector<LineForward::Hit> hits = Hits(lines, c.prompts);
    for (int rounds : {0, 1, 2, 5}) {
      SpeculativeOptions o;
      o.decode.max_new_tokens = kMaxNew;
      o.decode.stop_id = kEos;
      o.verify_rounds = rounds;
      o.probe_every = 1;  // every round verifies all its rows
      SpeculativeStats stats;
      o.stats = &stats;
      const auto got = SpeculativeGreedyDecode(model, lines, c.prompts, hits, o, budget);
      ASSERT_EQ(got.size(), 3u);
      for (int64_t s = 0; s < 3; ++s) {
        for (size_t i = 0; i < c.prompts.size(); ++i) {
          ASSERT_EQ(got[s][i].size(), static_cast<size_t>(kMaxNew + 1));
          EXPECT_EQ(UpToFirstStop(got[s][i], kEos), UpToFirstStop(c.want[s][i], kEos))
              << "seed " << s << " prompt " << i << " rounds " << rounds;
        }
      }
      EXPECT_EQ(stats.rows, 3 * 24);
      EXPECT_EQ(stats.from_lines + stats.verified + stats.decoded, stats.rows);
      // Seed 0 follows its own lines; the other seeds mostly do not.
      EXPECT_GE(stats.from_lines, 8);
      EXPECT_GT(stats.decoded + stats.verified, 0);
      // Lines with one replaced token are settled by a verification round.
      if (rounds == 0) EXPECT_EQ(stats.verified, 0);
      if (rounds >= 1) EXPECT_GT(stats.verified, 0);
    }
  }
}

// A probe that settles too few rows ends verification; the answer stays the greedy decode.
TEST(SpeculativeDecodeTest, AFailedProbeHandsTheRowsToTheCachedDecoder) {
  PackModel model = SharpModel({51, 52, 53});
  const Case c = MakeCase(model, 24, 9);
  LineForwardOptions lo;
  lo.keep_argmax = true;
  const LineForward lines = LineForward::Compute(model, c.lines, kSos, kEos, EvalBudget(), lo);
  for (double min_settled : {0.0, 2.0}) {  // always / never enough
    SpeculativeOptions o;
    o.decode.max_new_tokens = kMaxNew;
    o.decode.stop_id = kEos;
    o.verify_rounds = 3;
    o.probe_every = 4;
    o.min_settled = min_settled;
    SpeculativeStats stats;
    o.stats = &stats;
    const auto got =
        SpeculativeGreedyDecode(model, lines, c.prompts, Hits(lines, c.prompts), o, EvalBudget());
    for (int64_t s = 0; s < 3; ++s) {
      for (size_t i = 0; i < c.prompts.size(); ++i) {
        EXPECT_EQ(UpToFirstStop(got[s][i], kEos), UpToFirstStop(c.want[s][i], kEos))
            << "seed " << s << " prompt " << i << " min_settled " << min_settled;
      }
    }
    if (min_settled > 1) {
      EXPECT_EQ(stats.rounds, 1);  // the probe of round 1 only
    } else {
      EXPECT_GT(stats.rounds, 2);  // probe and the others, more than one round
    }
  }
}

TEST(SpeculativeDecodeTest, WithoutAStopIdEveryTokenIsDecoded) {
  PackModel model = SharpModel({31, 32});
  const Case c = MakeCase(model, 12, 6);
  LineForwardOptions lo;
  lo.keep_argmax = true;
  const LineForward lines = LineForward::Compute(model, c.lines, kSos, kEos, EvalBudget(), lo);
  SpeculativeOptions o;
  o.decode.max_new_tokens = kMaxNew;
  o.decode.stop_id = -1;
  EXPECT_EQ(SpeculativeGreedyDecode(model, lines, c.prompts, Hits(lines, c.prompts), o,
                                    EvalBudget()),
            c.want);
}

// Through the scorer: prompts in the lines decode speculatively, the others as before, and the
// caller sees one answer in input order.
TEST(SpeculativeDecodeTest, ScorerMixesLinePromptsAndOthers) {
  PackModel model = SharpModel({41, 42});
  Case c = MakeCase(model, 10, 7);
  LineForwardOptions lo;
  lo.keep_argmax = true;
  const LineForward lines = LineForward::Compute(model, c.lines, kSos, kEos, EvalBudget(), lo);
  std::vector<TokenIds> prompts = c.prompts;
  prompts.insert(prompts.begin() + 3, TokenIds{kSos, 9, 9, 9, 9, 9, 9, 9});  // in no line
  PackScorer scorer(&model, EvalBudget());
  scorer.set_decode_stop_id(kEos);
  scorer.set_lines(&lines);
  auto got = scorer.GreedyDecode(prompts, kMaxNew);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(scorer.speculative_stats().rows, 2 * 10);
  for (int64_t s = 0; s < 2; ++s) {
    for (size_t i = 0; i < prompts.size(); ++i) {
      EXPECT_EQ(UpToFirstStop((*got)[s][i], kEos),
                UpToFirstStop(ReferenceDecode(model, s, prompts[i]), kEos))
          << "seed " << s << " prompt " << i;
    }
  }
}

}  // namespace
}  // namespace sg
