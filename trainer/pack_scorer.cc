#include "trainer/pack_scorer.h"

#include <algorithm>
#include <numeric>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"

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
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].empty()) {
      return absl::InvalidArgumentError(absl::StrCat("NextTokenScores: input ", i, " is empty"));
    }
    for (int32_t id : inputs[i]) {
      if (id < 0 || id >= V) {
        return absl::InvalidArgumentError(
            absl::StrCat("NextTokenScores: input ", i, " has id ", id, " outside [0, ", V, ")"));
      }
    }
  }
  std::vector<std::vector<std::vector<float>>> out(
      S, std::vector<std::vector<float>>(inputs.size()));
  // Inputs that are prefixes of the line forward's lines read its logits; the rest run here.
  std::vector<size_t> rest;
  std::vector<size_t> served;
  std::vector<LineForward::Hit> hits;
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::optional<LineForward::Hit> hit;
    if (lines_ != nullptr && lines_->HasLogits()) hit = lines_->Find(inputs[i]);
    if (hit.has_value()) {
      served.push_back(i);
      hits.push_back(*hit);
    } else {
      rest.push_back(i);
    }
  }
  try {
    if (!hits.empty()) {
      torch::NoGradGuard no_grad;
      torch::Tensor logits = lines_->LogitsAt(hits).to(torch::kCPU).contiguous();
      const float* data = logits.data_ptr<float>();  // [S, hits, V]
      const int64_t R = static_cast<int64_t>(hits.size());
      for (int64_t s = 0; s < S; ++s) {
        for (int64_t r = 0; r < R; ++r) {
          const float* row = data + (s * R + r) * V;
          out[s][served[r]].assign(row, row + V);
        }
      }
    }
    if (!rest.empty()) {
      std::vector<TokenIds> subset;
      for (size_t i : rest) subset.push_back(inputs[i]);
      std::vector<std::vector<std::vector<float>>> computed = ScoresByForward(subset);
      for (int64_t s = 0; s < S; ++s) {
        for (size_t k = 0; k < rest.size(); ++k) out[s][rest[k]] = std::move(computed[s][k]);
      }
    }
  } catch (const c10::Error& e) {
    return TorchError(e);
  }
  return out;
}

absl::StatusOr<std::vector<std::vector<TokenIds>>> PackScorer::GreedyDecode(
    const std::vector<TokenIds>& prompts, int max_new_tokens) {
  const int64_t V = model_->shape().num_ids;
  if (max_new_tokens < 0) return absl::InvalidArgumentError("GreedyDecode: max_new_tokens < 0");
  for (size_t i = 0; i < prompts.size(); ++i) {
    if (prompts[i].empty()) {
      return absl::InvalidArgumentError(absl::StrCat("GreedyDecode: prompt ", i, " is empty"));
    }
    for (int32_t id : prompts[i]) {
      if (id < 0 || id >= V) {
        return absl::InvalidArgumentError(
            absl::StrCat("GreedyDecode: prompt ", i, " has id ", id, " outside [0, ", V, ")"));
      }
    }
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
  std::vector<size_t> served, rest;
  std::vector<TokenIds> served_prompts, rest_prompts;
  std::vector<LineForward::Hit> hits;
  for (size_t i = 0; i < prompts.size(); ++i) {
    std::optional<LineForward::Hit> hit;
    if (lines_ != nullptr && lines_->HasArgmax()) hit = lines_->Find(prompts[i]);
    if (hit.has_value()) {
      served.push_back(i);
      served_prompts.push_back(prompts[i]);
      hits.push_back(*hit);
    } else {
      rest.push_back(i);
      rest_prompts.push_back(prompts[i]);
    }
  }
  const int64_t S = model_->num_seeds();
  std::vector<std::vector<TokenIds>> out(S, std::vector<TokenIds>(prompts.size()));
  try {
    if (!served.empty()) {
      SpeculativeOptions so;
      so.decode = options;
      so.verify_rounds = verify_rounds_;
      SpeculativeStats stats;
      so.stats = &stats;
      std::vector<std::vector<TokenIds>> got =
          SpeculativeGreedyDecode(*model_, *lines_, served_prompts, hits, so, budget_);
      speculative_stats_.Add(stats);
      for (int64_t s = 0; s < S; ++s) {
        for (size_t k = 0; k < served.size(); ++k) out[s][served[k]] = std::move(got[s][k]);
      }
    }
    if (!rest.empty()) {
      std::vector<std::vector<TokenIds>> got =
          GreedyDecodePack(*model_, rest_prompts, options, budget_);
      for (int64_t s = 0; s < S; ++s) {
        for (size_t k = 0; k < rest.size(); ++k) out[s][rest[k]] = std::move(got[s][k]);
      }
    }
  } catch (const c10::Error& e) {
    return TorchError(e);
  }
  return out;
}

}  // namespace sg
