#include "tasks/testing/rule_scorers.h"

#include <string>

#include "tasks/lexicon.h"
#include "tasks/question_formation.h"
#include "tasks/tense_inflection.h"

namespace sg {
namespace testing {
namespace {

using Scores = std::vector<std::vector<std::vector<float>>>;
using Decoded = std::vector<std::vector<TokenIds>>;

// Words of an input without its leading SOS.
std::vector<std::string> Words(const Vocabulary& v, const TokenIds& ids) {
  std::vector<std::string> w;
  for (size_t i = 1; i < ids.size(); ++i) w.push_back(v.Word(ids[i]));
  return w;
}

class QfScorer final : public ModelScorer {
 public:
  QfScorer(const Vocabulary& v, Rule rule) : v_(v), rule_(rule) {}
  int num_models() const override { return 1; }
  absl::StatusOr<Scores> NextTokenScores(const std::vector<TokenIds>& inputs) override {
    Scores out(1);
    for (const TokenIds& in : inputs) {
      std::vector<float> row(v_.num_ids(), 0.0f);
      std::vector<std::string> w = Words(v_, in);
      if (w.size() > 2 && w.back() == "quest" && w[w.size() - 2] == ".") {
        w.resize(w.size() - 2);
        absl::StatusOr<QfSentence> s = ParseQfDeclarative(w);
        if (!s.ok()) return s.status();
        std::string aux;
        if (rule_ == Rule::kHierarchical) {
          aux = w[QfMainAuxIndex(*s)];
        } else {
          for (const std::string& x : w) {
            if (lexicon::Lookup(x).kind == 'A') {
              aux = x;
              break;
            }
          }
        }
        row[v_.Id(aux)] = 1.0f;
      }
      out[0].push_back(std::move(row));
    }
    return out;
  }
  absl::StatusOr<Decoded> GreedyDecode(const std::vector<TokenIds>&, int) override {
    return absl::UnimplementedError("the QF rule scorer does not decode");
  }

 private:
  Vocabulary v_;
  Rule rule_;
};

class TenseScorer final : public ModelScorer {
 public:
  TenseScorer(const Vocabulary& v, Rule rule, bool period)
      : v_(v), rule_(rule), period_(period) {}
  int num_models() const override { return 1; }
  absl::StatusOr<Scores> NextTokenScores(const std::vector<TokenIds>&) override {
    return absl::UnimplementedError("the Tense rule scorer only decodes");
  }
  absl::StatusOr<Decoded> GreedyDecode(const std::vector<TokenIds>& prompts,
                                       int max_new_tokens) override {
    Decoded out(1);
    for (const TokenIds& p : prompts) {
      std::vector<std::string> w = Words(v_, p);
      if (w.size() < 3 || w[w.size() - 2] != ".") {
        return absl::InvalidArgumentError("prompt does not end with '. MARKER'");
      }
      const bool present = w.back() == "PRESENT";
      w.resize(w.size() - 2);
      absl::StatusOr<TenseSentence> s = ParseTensePast(w);
      if (!s.ok()) return s.status();
      const Inflection how = !present ? Inflection::kPast
                             : rule_ == Rule::kHierarchical ? Inflection::kPresentBySubject
                                                            : Inflection::kPresentByNearestNoun;
      TokenIds t;
      for (const std::string& x : TenseWords(*s, how)) t.push_back(v_.Id(x));
      if (period_) t.push_back(v_.Id("."));
      while (static_cast<int>(t.size()) < max_new_tokens + 1) t.push_back(v_.eos_id());
      t.resize(max_new_tokens + 1);
      out[0].push_back(std::move(t));
    }
    return out;
  }

 private:
  Vocabulary v_;
  Rule rule_;
  bool period_;
};

class DyckScorer final : public ModelScorer {
 public:
  DyckScorer(const Vocabulary& v, Rule rule) : v_(v), rule_(rule) {}
  int num_models() const override { return 1; }
  absl::StatusOr<Scores> NextTokenScores(const std::vector<TokenIds>& inputs) override {
    Scores out(1);
    for (const TokenIds& in : inputs) {
      std::vector<char> stack;
      for (const std::string& w : Words(v_, in)) {
        if (w[0] == '(') {
          stack.push_back(w[1]);
        } else if (!stack.empty()) {
          stack.pop_back();
        }
      }
      std::vector<float> row(v_.num_ids(), 0.0f);
      if (!stack.empty()) {
        const char type = rule_ == Rule::kHierarchical ? stack.back() : stack.front();
        row[v_.Id(std::string(1, type) + ")")] = 1.0f;
      }
      out[0].push_back(std::move(row));
    }
    return out;
  }
  absl::StatusOr<Decoded> GreedyDecode(const std::vector<TokenIds>&, int) override {
    return absl::UnimplementedError("the Dyck rule scorer does not decode");
  }

 private:
  Vocabulary v_;
  Rule rule_;
};

class Pack final : public ModelScorer {
 public:
  explicit Pack(std::vector<std::unique_ptr<ModelScorer>> s) : s_(std::move(s)) {}
  int num_models() const override { return static_cast<int>(s_.size()); }
  absl::StatusOr<Scores> NextTokenScores(const std::vector<TokenIds>& inputs) override {
    Scores out;
    for (auto& s : s_) {
      absl::StatusOr<Scores> one = s->NextTokenScores(inputs);
      if (!one.ok()) return one.status();
      for (auto& m : *one) out.push_back(std::move(m));
    }
    return out;
  }
  absl::StatusOr<Decoded> GreedyDecode(const std::vector<TokenIds>& prompts, int n) override {
    Decoded out;
    for (auto& s : s_) {
      absl::StatusOr<Decoded> one = s->GreedyDecode(prompts, n);
      if (!one.ok()) return one.status();
      for (auto& m : *one) out.push_back(std::move(m));
    }
    return out;
  }

 private:
  std::vector<std::unique_ptr<ModelScorer>> s_;
};

}  // namespace

std::unique_ptr<ModelScorer> MakeQfRuleScorer(const Vocabulary& vocab, Rule rule) {
  return std::make_unique<QfScorer>(vocab, rule);
}
std::unique_ptr<ModelScorer> MakeTenseRuleScorer(const Vocabulary& vocab, Rule rule,
                                                 bool end_with_period) {
  return std::make_unique<TenseScorer>(vocab, rule, end_with_period);
}
std::unique_ptr<ModelScorer> MakeDyckRuleScorer(const Vocabulary& vocab, Rule rule) {
  return std::make_unique<DyckScorer>(vocab, rule);
}
std::unique_ptr<ModelScorer> MakePack(std::vector<std::unique_ptr<ModelScorer>> scorers) {
  return std::make_unique<Pack>(std::move(scorers));
}

}  // namespace testing
}  // namespace sg
