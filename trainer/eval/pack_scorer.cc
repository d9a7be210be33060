#include "trainer/eval/pack_scorer.h"

#include <algorithm>
#include <numeric>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace sg {
namespace {

// Input indices sorted by length (stable), so chunks hold rows of similar length.
std::vector<size_t> ByLength(const std::vector<TokenIds>& seqs) {
  std::vector<size_t> order(seqs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return seqs[a].size() < seqs[b].size(); });
  return order;
}

absl::Status TorchError(const c10::Error& e) {
  const std::string msg = e.what_without_backtrace();
  if (msg.find("out of memory") != std::string::npos) {
    return absl::ResourceExhaustedError(absl::StrCat("out of memory while scoring: ", msg));
  }
  return absl::InternalError(absl::StrCat("scoring failed: ", msg));
}

// Every input non-empty with ids in [0, V); `what` names the call and its inputs.
absl::Status CheckIds(const char* what, const std::vector<TokenIds>& inputs, int64_t V) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].empty()) return absl::InvalidArgumentError(absl::StrCat(what, " ", i, " is empty"));
    for (int32_t id : inputs[i]) {
      if (id < 0 || id >= V) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, " ", i, " has id ", id, " outside [0, ", V, ")"));
      }
    }
  }
  return absl::OkStatus();
}

// Inputs split into those a line forward serves (prefixes of its lines) and the rest.
struct LineSplit {
  std::vector<size_t> served, rest;        // input indices
  std::vector<TokenIds> served_in, rest_in;  // the inputs themselves
  std::vector<LineForward::Hit> hits;      // aligned with served
};
LineSplit SplitByLines(const std::vector<TokenIds>& inputs, const LineForward* lines) {
  LineSplit out;
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::optional<LineForward::Hit> hit;
    if (lines != nullptr) hit = lines->Find(inputs[i]);
    if (hit.has_value()) {
      out.served.push_back(i);
      out.served_in.push_back(inputs[i]);
      out.hits.push_back(*hit);
    } else {
      out.rest.push_back(i);
      out.rest_in.push_back(inputs[i]);
    }
  }
  return out;
}

// out[s][where[k]] = got[s][k] for every seed.
template <typename T>
void ScatterInto(std::vector<std::vector<T>>&& got, const std::vector<size_t>& where,
                 std::vector<std::vector<T>>* out) {
  for (size_t s = 0; s < got.size(); ++s) {
    for (size_t k = 0; k < where.size(); ++k) (*out)[s][where[k]] = std::move(got[s][k]);
  }
}

}  // namespace

// Throws c10::Error on LibTorch failures.
std::vector<std::vector<std::vector<float>>> PackScorer::ScoresByForward(
    const std::vector<TokenIds>& inputs) {
  const int64_t S = model_->num_seeds(), V = model_->shape().num_ids;
  std::vector<std::vector<std::vector<float>>> out(
      S, std::vector<std::vector<float>>(inputs.size()));
  // Under the causal mask the scores after a prefix P are those at position |P|-1 of any longer
  // input that starts with P, so only inputs that are no other input's prefix are run (Dyck
  // scores every prefix of a string: one forward per string instead of one per bracket).
  // In lexicographic order a prefix sorts right before its extensions.
  std::vector<size_t> lex(inputs.size());
  std::iota(lex.begin(), lex.end(), 0);
  std::sort(lex.begin(), lex.end(), [&](size_t a, size_t b) { return inputs[a] < inputs[b]; });
  std::vector<TokenIds> maximal;
  std::vector<std::vector<size_t>> served;  // maximal index -> inputs read from it
  for (size_t k = lex.size(); k-- > 0;) {
    const TokenIds& cur = inputs[lex[k]];
    const bool is_prefix_of_next =
        k + 1 < lex.size() && inputs[lex[k + 1]].size() >= cur.size() &&
        std::equal(cur.begin(), cur.end(), inputs[lex[k + 1]].begin());
    if (!is_prefix_of_next) {
      maximal.push_back(cur);
      served.emplace_back();
    }
    served.back().push_back(lex[k]);
  }
  {
    torch::NoGradGuard no_grad;
    const PackParams& p = model_->params();
    const std::vector<size_t> order = ByLength(maximal);
    size_t start = 0;
    while (start < order.size()) {
      size_t end = start + 1;
      while (end < order.size() &&
             static_cast<int64_t>(end - start + 1) <=
                 RowsPerChunk(model_->shape(), S, maximal[order[end]].size(), budget_)) {
        ++end;
      }
      const int64_t B = static_cast<int64_t>(end - start);
      const int64_t T = static_cast<int64_t>(maximal[order[end - 1]].size());
      torch::Tensor ids = torch::zeros({1, B, T}, torch::kInt64);
      torch::Tensor lengths = torch::zeros({1, B}, torch::kInt64);
      auto ids_a = ids.accessor<int64_t, 3>();
      auto len_a = lengths.accessor<int64_t, 2>();
      std::vector<int64_t> positions;  // flat b*T+t rows to read
      std::vector<size_t> readers;     // the input each position answers
      for (int64_t b = 0; b < B; ++b) {
        const TokenIds& seq = maximal[order[start + b]];
        for (size_t t = 0; t < seq.size(); ++t) ids_a[0][b][t] = seq[t];
        len_a[0][b] = static_cast<int64_t>(seq.size());
        for (size_t input : served[order[start + b]]) {
          positions.push_back(b * T + static_cast<int64_t>(inputs[input].size()) - 1);
          readers.push_back(input);
        }
      }
      const torch::Device dev = model_->device();
      torch::Tensor hidden = model_->Hidden(p, ids.to(dev).expand({S, B, T}),
                                            lengths.to(dev).expand({S, B}), {});
      torch::Tensor index = torch::tensor(positions, torch::kInt64).to(dev);
      torch::Tensor logits =
          model_->Logits(p, hidden.index_select(1, index)).to(torch::kCPU).contiguous();
      const float* data = logits.data_ptr<float>();  // [S, positions, V]
      const int64_t R = static_cast<int64_t>(positions.size());
      for (int64_t s = 0; s < S; ++s) {
        for (int64_t r = 0; r < R; ++r) {
          const float* row = data + (s * R + r) * V;
          out[s][readers[r]].assign(row, row + V);
        }
      }
      start = end;
    }
  }
  return out;
}

absl::StatusOr<std::vector<std::vector<std::vector<float>>>> PackScorer::NextTokenScores(
    const std::vector<TokenIds>& inputs) {
  const int64_t S = model_->num_seeds(), V = model_->shape().num_ids;
  SG_RETURN_IF_ERROR(CheckIds("NextTokenScores: input", inputs, V));
  std::vector<std::vector<std::vector<float>>> out(
      S, std::vector<std::vector<float>>(inputs.size()));
  // Inputs that are prefixes of the line forward's lines read its logits; the rest run here.
  const LineSplit split =
      SplitByLines(inputs, lines_ != nullptr && lines_->HasLogits() ? lines_ : nullptr);
  try {
    if (!split.hits.empty()) {
      torch::NoGradGuard no_grad;
      torch::Tensor logits = lines_->LogitsAt(split.hits).to(torch::kCPU).contiguous();
      const float* data = logits.data_ptr<float>();  // [S, hits, V]
      const int64_t R = static_cast<int64_t>(split.hits.size());
      for (int64_t s = 0; s < S; ++s) {
        for (int64_t r = 0; r < R; ++r) {
          const float* row = data + (s * R + r) * V;
          out[s][split.served[r]].assign(row, row + V);
        }
      }
    }
    if (!split.rest.empty()) ScatterInto(ScoresByForward(split.rest_in), split.rest, &out);
  } catch (const c10::Error& e) {
    return TorchError(e);
  }
  return out;
}

absl::StatusOr<std::vector<std::vector<TokenIds>>> PackScorer::GreedyDecode(
    const std::vector<TokenIds>& prompts, int max_new_tokens) {
  const int64_t V = model_->shape().num_ids;
  if (max_new_tokens < 0) return absl::InvalidArgumentError("GreedyDecode: max_new_tokens < 0");
  SG_RETURN_IF_ERROR(CheckIds("GreedyDecode: prompt", prompts, V));
  for (size_t i = 0; i < prompts.size(); ++i) {
    if (static_cast<int64_t>(prompts[i].size()) + max_new_tokens > model_->shape().max_len) {
      return absl::InvalidArgumentError(absl::StrCat(
          "GreedyDecode: prompt ", i, " (", prompts[i].size(), " tokens) plus max_new_tokens ",
          max_new_tokens, " exceeds the position table (", model_->shape().max_len, ")"));
    }
  }
  DecodeOptions options;
  options.max_new_tokens = max_new_tokens;
  options.stop_id = decode_stop_id_;
  // Prompts that are prefixes of the line forward's lines decode speculatively from it.
  const LineSplit split =
      SplitByLines(prompts, lines_ != nullptr && lines_->HasArgmax() ? lines_ : nullptr);
  std::vector<std::vector<TokenIds>> out(model_->num_seeds(),
                                         std::vector<TokenIds>(prompts.size()));
  try {
    if (!split.served.empty()) {
      SpeculativeOptions so;
      so.decode = options;
      so.verify_rounds = verify_rounds_;
      SpeculativeStats stats;
      so.stats = &stats;
      ScatterInto(
          SpeculativeGreedyDecode(*model_, *lines_, split.served_in, split.hits, so, budget_),
          split.served, &out);
      speculative_stats_.Add(stats);
    }
    if (!split.rest.empty()) {
      ScatterInto(GreedyDecodePack(*model_, split.rest_in, options, budget_), split.rest, &out);
    }
  } catch (const c10::Error& e) {
    return TorchError(e);
  }
  return out;
}

}  // namespace sg
