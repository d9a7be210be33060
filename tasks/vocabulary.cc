#include "tasks/vocabulary.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace sg {

Vocabulary::Vocabulary(const std::vector<std::string>& words) {
  // std::set<std::string> orders by bytes (char_traits<char> compares as unsigned char), which is
  // Python's sort order for these ASCII words.
  std::set<std::string> sorted;
  for (const std::string& w : words) {
    if (!w.empty() && w != "<pad>") sorted.insert(w);
  }
  words_.reserve(sorted.size() + 1);
  words_.push_back("<pad>");
  words_.insert(words_.end(), sorted.begin(), sorted.end());
  for (size_t i = 0; i < words_.size(); ++i) ids_[words_[i]] = static_cast<int32_t>(i);
}

Vocabulary Vocabulary::FromLines(const std::vector<const std::vector<std::string>*>& splits,
                                 bool drop_end) {
  std::set<std::string> words;
  for (const auto* lines : splits) {
    for (const std::string& line : *lines) {
      for (std::string& w : LineToWords(line, drop_end)) words.insert(std::move(w));
    }
  }
  return Vocabulary(std::vector<std::string>(words.begin(), words.end()));
}

int32_t Vocabulary::Id(absl::string_view word) const {
  auto it = ids_.find(std::string(word));
  return it == ids_.end() ? -1 : it->second;
}

std::string Vocabulary::Word(int32_t id) const {
  if (id >= 0 && id < size()) return words_[id];
  if (id == eos_id()) return "<eos>";
  if (id == sos_id()) return "<sos>";
  return absl::StrCat("<unk:", id, ">");
}

absl::StatusOr<TokenIds> Vocabulary::Encode(const std::vector<std::string>& words) const {
  TokenIds ids;
  ids.reserve(words.size());
  for (const std::string& w : words) {
    const int32_t id = Id(w);
    if (id <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("word '", w, "' is not in the task's vocabulary of ", size(), " ids"));
    }
    ids.push_back(id);
  }
  return ids;
}

std::string Vocabulary::Decode(const TokenIds& ids) const {
  std::vector<std::string> words;
  words.reserve(ids.size());
  for (int32_t id : ids) words.push_back(Word(id));
  return absl::StrJoin(words, " ");
}

std::vector<std::string> LineToWords(absl::string_view line, bool drop_end) {
  std::vector<std::string> words;
  for (absl::string_view piece : absl::StrSplit(line, absl::ByAnyChar(" \t\r\n"))) {
    if (!piece.empty()) words.emplace_back(piece);
  }
  if (drop_end && !words.empty() && words.back() == "END") words.pop_back();
  return words;
}

}  // namespace sg
