#include "tasks/evaluators.h"

#include <algorithm>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "tasks/lexicon.h"
#include "tasks/rng.h"

namespace sg {
namespace {

const std::vector<TokenIds>& SplitIds(const TaskDataset& d, Split split) {
  return split == Split::kTrain ? d.train : split == Split::kVal ? d.val : d.test;
}

absl::Status CheckScores(const std::vector<std::vector<std::vector<float>>>& scores,
                         int num_models, size_t batch, int32_t num_ids) {
  if (static_cast<int>(scores.size()) != num_models) {
    return absl::InternalError(absl::StrCat("scorer returned ", scores.size(),
                                            " models' scores, expected num_models() = ",
                                            num_models));
  }
  for (const auto& model : scores) {
    if (model.size() != batch) {
      return absl::InternalError(absl::StrCat("scorer returned ", model.size(),
                                              " score rows for a batch of ", batch));
    }
    for (const auto& row : model) {
      if (static_cast<int32_t>(row.size()) != num_ids) {
        return absl::InternalError(absl::StrCat("scorer returned ", row.size(),
                                                " scores per input, expected V+2 = ", num_ids));
      }
    }
  }
  return absl::OkStatus();
}

// The candidate with the highest score; ties go to the earlier candidate.
int32_t ArgmaxOver(const std::vector<float>& row, const std::vector<int32_t>& candidates) {
  int32_t best = candidates[0];
  for (int32_t c : candidates) {
    if (row[c] > row[best]) best = c;
  }
  return best;
}

int32_t ArgmaxAll(const std::vector<float>& row) {
  return static_cast<int32_t>(std::max_element(row.begin(), row.end()) - row.begin());
}

// Ranks next-token scores for prefixes; shared by the QF and Dyck metrics.
class RankingEvaluator : public TaskEvaluator {
 public:
  RankingEvaluator(int32_t num_ids, std::vector<int32_t> candidates, int batch_size)
      : num_ids_(num_ids), candidates_(std::move(candidates)), batch_size_(batch_size) {}

  absl::StatusOr<std::vector<double>> Evaluate(ModelScorer& scorer) const override {
    const int models = scorer.num_models();
    std::vector<int64_t> hits(models, 0);
    const int64_t n = num_items();
    std::vector<TokenIds> batch;
    for (int64_t start = 0; start < n; start += batch_size_) {
      const int64_t end = std::min<int64_t>(n, start + batch_size_);
      batch.clear();
      for (int64_t i = start; i < end; ++i) batch.push_back(Input(i));
      SG_ASSIGN_OR_RETURN(auto scores, scorer.NextTokenScores(batch));
      SG_RETURN_IF_ERROR(CheckScores(scores, models, batch.size(), num_ids_));
      for (int m = 0; m < models; ++m) {
        for (int64_t i = start; i < end; ++i) {
          const std::vector<float>& row = scores[m][i - start];
          const int32_t pred = candidates_.empty() ? ArgmaxAll(row) : ArgmaxOver(row, candidates_);
          hits[m] += pred == Target(i) ? 1 : 0;
        }
      }
    }
    std::vector<double> acc(models);
    for (int m = 0; m < models; ++m) acc[m] = static_cast<double>(hits[m]) / n;
    return acc;
  }

 protected:
  virtual TokenIds Input(int64_t i) const = 0;  // SOS first
  virtual int32_t Target(int64_t i) const = 0;

 private:
  int32_t num_ids_;
  std::vector<int32_t> candidates_;  // empty: all ids
  int batch_size_;
};

class QfEvaluator final : public RankingEvaluator {
 public:
  QfEvaluator(int32_t num_ids, std::vector<int32_t> candidates, int batch_size,
              std::vector<TokenIds> inputs, std::vector<int32_t> targets)
      : RankingEvaluator(num_ids, std::move(candidates), batch_size),
        inputs_(std::move(inputs)),
        targets_(std::move(targets)) {}
  int64_t num_items() const override { return static_cast<int64_t>(inputs_.size()); }

 private:
  TokenIds Input(int64_t i) const override { return inputs_[i]; }
  int32_t Target(int64_t i) const override { return targets_[i]; }
  std::vector<TokenIds> inputs_;
  std::vector<int32_t> targets_;
};

class DyckEvaluator final : public RankingEvaluator {
 public:
  struct Prefix {
    int64_t line;
    int32_t length;
  };
  DyckEvaluator(int32_t num_ids, std::vector<int32_t> candidates, int batch_size,
                std::vector<TokenIds> lines, int32_t sos, std::vector<Prefix> prefixes)
      : RankingEvaluator(num_ids, std::move(candidates), batch_size),
        lines_(std::move(lines)),
        sos_(sos),
        prefixes_(std::move(prefixes)) {}
  int64_t num_items() const override { return static_cast<int64_t>(prefixes_.size()); }

 private:
  TokenIds Input(int64_t i) const override {
    const TokenIds& line = lines_[prefixes_[i].line];
    TokenIds in;
    in.reserve(prefixes_[i].length + 1);
    in.push_back(sos_);
    in.insert(in.end(), line.begin(), line.begin() + prefixes_[i].length);
    return in;
  }
  int32_t Target(int64_t i) const override {
    return lines_[prefixes_[i].line][prefixes_[i].length];
  }
  std::vector<TokenIds> lines_;  // the strings the prefixes come from (a copy: the evaluator
                                 // must not depend on the dataset's lifetime)
  int32_t sos_;
  std::vector<Prefix> prefixes_;
};

absl::StatusOr<std::unique_ptr<TaskEvaluator>> MakeQf(const TaskDataset& d, Split split,
                                                      const EvalOptions& o) {
  const Vocabulary& v = d.vocab;
  const int32_t quest = v.Id("quest");
  if (quest < 0) return absl::InvalidArgumentError("QF vocabulary has no 'quest' marker");
  std::vector<int32_t> aux;
  for (const char* w : {"doesn't", "does", "do", "don't"}) {
    const int32_t id = v.Id(w);
    if (id < 0) return absl::InvalidArgumentError(absl::StrCat("QF vocabulary lacks '", w, "'"));
    aux.push_back(id);
  }
  std::vector<TokenIds> inputs;
  std::vector<int32_t> targets;
  for (const TokenIds& line : SplitIds(d, split)) {
    auto it = std::find(line.begin(), line.end(), quest);
    if (it == line.end()) continue;  // decl lines are not scored
    if (it + 1 == line.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(SplitName(split), ": a quest line has no output after the marker"));
    }
    TokenIds in;
    in.push_back(v.sos_id());
    in.insert(in.end(), line.begin(), it + 1);
    inputs.push_back(std::move(in));
    targets.push_back(*(it + 1));
  }
  if (inputs.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("QF ", SplitName(split), " split has no quest lines to score"));
  }
  if (o.qf_ranking == EvalOptions::QfRanking::kFullArgmax) aux.clear();
  return std::unique_ptr<TaskEvaluator>(new QfEvaluator(
      v.num_ids(), std::move(aux), o.batch_size, std::move(inputs), std::move(targets)));
}

absl::StatusOr<std::unique_ptr<TaskEvaluator>> MakeDyck(const TaskDataset& d, Split split,
                                                        const EvalOptions& o) {
  const Vocabulary& v = d.vocab;
  std::vector<int32_t> close_ids;
  std::vector<char> is_close(v.num_ids(), 0), is_open(v.num_ids(), 0);
  for (char c = 'a'; c <= 't'; ++c) {
    const int32_t close = v.Id(std::string(1, c) + ")");
    const int32_t open = v.Id(std::string("(") + c);
    if (close > 0) {
      close_ids.push_back(close);
      is_close[close] = 1;
    }
    if (open > 0) is_open[open] = 1;
  }
  if (close_ids.empty()) return absl::InvalidArgumentError("Dyck vocabulary has no closing ids");
  const int64_t min_distance = split == Split::kTest ? o.dyck_min_distance : 0;
  const std::vector<TokenIds>& lines = SplitIds(d, split);
  std::vector<DyckEvaluator::Prefix> prefixes;
  for (size_t li = 0; li < lines.size(); ++li) {
    std::vector<int32_t> open_at;
    const TokenIds& line = lines[li];
    for (size_t i = 0; i < line.size(); ++i) {
      if (is_open[line[i]]) {
        open_at.push_back(static_cast<int32_t>(i));
      } else if (is_close[line[i]]) {
        if (open_at.empty()) {
          return absl::InvalidArgumentError(absl::StrCat(
              SplitName(split), " line ", li + 1, ": closing bracket without an opening one"));
        }
        const int64_t distance = static_cast<int64_t>(i) - open_at.back();
        open_at.pop_back();
        if (distance >= min_distance) {
          prefixes.push_back({static_cast<int64_t>(li), static_cast<int32_t>(i)});
        }
      }
    }
    if (static_cast<int64_t>(prefixes.size()) >= o.dyck_min_prefixes) break;
  }
  const size_t used = prefixes.empty() ? 0 : static_cast<size_t>(prefixes.back().line) + 1;
  if (prefixes.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Dyck ", SplitName(split), " split has no closing brackets to score"));
  }
  return std::unique_ptr<TaskEvaluator>(new DyckEvaluator(
      v.num_ids(), std::move(close_ids), o.batch_size,
      std::vector<TokenIds>(lines.begin(), lines.begin() + used), v.sos_id(), std::move(prefixes)));
}

// A reference POS tag as a small code: -1 for a word without one (a miss), else the tag's one
// character (0 for the empty tag of decl/quest). ReferencePosTag's tags are at most one
// character long.
int TagCode(const lexicon::PosTag& tag) {
  if (!tag.found) return -1;
  return tag.tag.empty() ? 0 : static_cast<unsigned char>(tag.tag[0]);
}

// Tense main-verb accuracy (§4.4).
class TenseEvaluator final : public TaskEvaluator {
 public:
  struct Item {
    TokenIds prompt;         // SOS + words up to the marker
    TokenIds target;         // the answer's ids, without the final "."
    std::vector<int> tags;   // TagCode of each target word
    int main_verb = 0;       // index into target
  };
  TenseEvaluator(Vocabulary vocab, std::vector<Item> items, const EvalOptions& o)
      : vocab_(vocab), items_(std::move(items)), options_(o) {
    // What Correct needs of each id's word, looked up once: a pack scores 10 seeds x 11,000
    // answers per evaluation, and word strings and tag lookups per answer were a visible
    // share of it.
    for (int32_t id = 0; id < vocab_.num_ids(); ++id) {
      const std::string word = vocab_.Word(id);
      id_tag_.push_back(TagCode(lexicon::ReferencePosTag(word)));
      id_ends_with_dot_.push_back(!word.empty() && word.back() == '.');
    }
  }

  int64_t num_items() const override { return static_cast<int64_t>(items_.size()); }

  absl::StatusOr<std::vector<double>> Evaluate(ModelScorer& scorer) const override {
    const int models = scorer.num_models();
    std::vector<int64_t> hits(models, 0);
    const int64_t n = num_items();
    std::vector<TokenIds> batch;
    for (int64_t start = 0; start < n; start += options_.batch_size) {
      const int64_t end = std::min<int64_t>(n, start + options_.batch_size);
      batch.clear();
      for (int64_t i = start; i < end; ++i) batch.push_back(items_[i].prompt);
      SG_ASSIGN_OR_RETURN(auto decoded,
                          scorer.GreedyDecode(batch, options_.tense_max_new_tokens));
      if (static_cast<int>(decoded.size()) != models) {
        return absl::InternalError(absl::StrCat("scorer decoded for ", decoded.size(),
                                                " models, expected ", models));
      }
      for (int m = 0; m < models; ++m) {
        if (decoded[m].size() != batch.size()) {
          return absl::InternalError(absl::StrCat("scorer decoded ", decoded[m].size(),
                                                  " prompts of a batch of ", batch.size()));
        }
        for (int64_t i = start; i < end; ++i) {
          hits[m] += Correct(items_[i], decoded[m][i - start]) ? 1 : 0;
        }
      }
    }
    std::vector<double> acc(models);
    for (int m = 0; m < models; ++m) acc[m] = static_cast<double>(hits[m]) / n;
    return acc;
  }

 private:
  bool Correct(const Item& item, const TokenIds& tokens) const {
    const TokenIds kept =
        TruncateDecoded(tokens, vocab_.eos_id(), options_.tense_drop_before_eos);
    size_t size = kept.size();
    for (int32_t id : kept) {
      if (id < 0 || id >= vocab_.num_ids()) return false;  // no word at all
    }
    // The reference joins the words and drops the last word if the text ends with ".".
    if (size > 0 && id_ends_with_dot_[kept[size - 1]]) --size;
    if (size != item.target.size() || size == 0) return false;
    for (size_t i = 0; i < size; ++i) {
      if (id_tag_[kept[i]] < 0 || id_tag_[kept[i]] != item.tags[i]) return false;
    }
    // Ids name distinct words, so comparing ids compares the words.
    return kept[item.main_verb] == item.target[item.main_verb];
  }

  Vocabulary vocab_;
  std::vector<Item> items_;
  EvalOptions options_;
  std::vector<int> id_tag_;             // TagCode per id
  std::vector<bool> id_ends_with_dot_;  // per id
};

absl::StatusOr<std::unique_ptr<TaskEvaluator>> MakeTense(const TaskDataset& d, Split split,
                                                         const EvalOptions& o) {
  const Vocabulary& v = d.vocab;
  const int32_t present = v.Id("PRESENT"), past = v.Id("PAST");
  const std::vector<TokenIds>& lines = SplitIds(d, split);
  std::vector<int64_t> chosen(lines.size());
  std::iota(chosen.begin(), chosen.end(), 0);
  if (split == Split::kTest && o.tense_test_lines > 0 &&
      o.tense_test_lines < static_cast<int64_t>(lines.size())) {
    // A partial Fisher-Yates shuffle, then file order.
    Rng rng(o.tense_subset_seed);
    for (int64_t i = 0; i < o.tense_test_lines; ++i) {
      const int64_t j = i + static_cast<int64_t>(rng.Below(chosen.size() - i));
      std::swap(chosen[i], chosen[j]);
    }
    chosen.resize(o.tense_test_lines);
    std::sort(chosen.begin(), chosen.end());
  }
  std::vector<TenseEvaluator::Item> items;
  items.reserve(chosen.size());
  for (int64_t li : chosen) {
    const TokenIds& line = lines[li];
    auto marker = std::find(line.begin(), line.end(), present);
    if (marker == line.end()) marker = std::find(line.begin(), line.end(), past);
    const std::string where = absl::StrCat(SplitName(split), " line ", li + 1, ": ");
    if (present < 0 && past < 0) {
      return absl::InvalidArgumentError("Tense vocabulary has neither PRESENT nor PAST");
    }
    if (marker == line.end()) {
      return absl::InvalidArgumentError(absl::StrCat(where, "no PRESENT/PAST marker"));
    }
    TenseEvaluator::Item item;
    item.prompt.push_back(v.sos_id());
    item.prompt.insert(item.prompt.end(), line.begin(), marker + 1);
    item.target.assign(marker + 1, line.end());
    if (!item.target.empty() && v.Word(item.target.back()) == ".") item.target.pop_back();
    int verbs_seen = 0;
    item.main_verb = -1;
    for (int32_t id : item.target) {
      const std::string w = v.Word(id);
      const lexicon::PosTag tag = lexicon::ReferencePosTag(w);
      if (!tag.found) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, "target word '", w, "' has no part-of-speech tag"));
      }
      item.tags.push_back(TagCode(tag));
    }
    const int wanted = item.tags.size() > 2 && item.tags[2] == 'R' ? 2 : 1;
    for (size_t i = 0; i < item.tags.size(); ++i) {
      if (item.tags[i] == 'V' && ++verbs_seen == wanted) {
        item.main_verb = static_cast<int>(i);
        break;
      }
    }
    if (item.main_verb < 0) {
      return absl::InvalidArgumentError(absl::StrCat(where, "target has no main verb"));
    }
    items.push_back(std::move(item));
  }
  if (items.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("Tense ", SplitName(split), " split is empty"));
  }
  return std::unique_ptr<TaskEvaluator>(new TenseEvaluator(d.vocab, std::move(items), o));
}

}  // namespace

TokenIds TruncateDecoded(const TokenIds& tokens, int32_t eos_id, bool drop_before_eos) {
  // The first EOS among t1..tN (an EOS at t0 is not looked for).
  for (size_t k = 1; k < tokens.size(); ++k) {
    if (tokens[k] == eos_id) {
      const size_t keep = drop_before_eos ? k - 1 : k;
      return TokenIds(tokens.begin(), tokens.begin() + keep);
    }
  }
  // No EOS: t0..t(N-1), as the reference keeps max_new_tokens tokens.
  const size_t keep = tokens.empty() ? 0 : tokens.size() - 1;
  return TokenIds(tokens.begin(), tokens.begin() + keep);
}

absl::StatusOr<EvalOptions> EvalOptionsFromTrainConfig(const TrainConfig& c) {
  EvalOptions o;
  if (c.dyck_min_distance < 0) {
    return absl::InvalidArgumentError("train.dyck_min_distance: must be >= 0");
  }
  if (c.tense_test_lines < 0) {
    return absl::InvalidArgumentError("train.tense_test_lines: must be >= 0");
  }
  o.dyck_min_distance = c.dyck_min_distance;
  o.tense_test_lines = c.tense_test_lines;
  o.tense_drop_before_eos = c.tense_drop_before_eos;
  if (c.qf_first_word == "four_way") {
    o.qf_ranking = EvalOptions::QfRanking::kFourWay;
  } else if (c.qf_first_word == "argmax") {
    o.qf_ranking = EvalOptions::QfRanking::kFullArgmax;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "train.qf_first_word: must be four_way or argmax, got '", c.qf_first_word, "'"));
  }
  return o;
}

absl::StatusOr<std::unique_ptr<TaskEvaluator>> MakeTaskEvaluator(const TaskDataset& data,
                                                                 Split split,
                                                                 const EvalOptions& options) {
  if (options.batch_size < 1) return absl::InvalidArgumentError("batch_size: must be >= 1");
  switch (data.task) {
    case TaskKind::kQuestionFormation:
      return MakeQf(data, split, options);
    case TaskKind::kTenseInflection:
      return MakeTense(data, split, options);
    case TaskKind::kDyck:
      return MakeDyck(data, split, options);
  }
  return absl::InvalidArgumentError("unknown task");
}

absl::StatusOr<std::unique_ptr<TaskEvaluator>> MakeTaskEvaluator(const TaskDataset& data,
                                                                 Split split,
                                                                 const TrainConfig& options) {
  SG_ASSIGN_OR_RETURN(EvalOptions o, EvalOptionsFromTrainConfig(options));
  return MakeTaskEvaluator(data, split, o);
}

}  // namespace sg
