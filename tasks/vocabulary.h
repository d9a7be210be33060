// The token ids of a task, exactly as the reference builds them (experiment.md §1.3): id 0 is
// <pad>, ids 1..V-1 are the distinct words sorted by bytes, EOS = V and SOS = V+1, so a model
// has V+2 input/output ids. V counts <pad>.
#ifndef SG_TASKS_VOCABULARY_H_
#define SG_TASKS_VOCABULARY_H_

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tasks/model_scorer.h"

namespace sg {

// Immutable after construction; safe to share between threads.
class Vocabulary {
 public:
  Vocabulary() : Vocabulary(std::vector<std::string>{}) {}
  // Duplicates and empty strings are ignored; order does not matter.
  explicit Vocabulary(const std::vector<std::string>& words);

  // The vocabulary of a set of data lines as the reference loader sees them (TAB is a space,
  // Dyck's END is not a word: see LineToWords).
  static Vocabulary FromLines(const std::vector<const std::vector<std::string>*>& splits,
                              bool drop_end);

  int32_t size() const { return static_cast<int32_t>(words_.size()); }  // V
  int32_t num_ids() const { return size() + 2; }                       // V+2
  int32_t pad_id() const { return 0; }
  int32_t eos_id() const { return size(); }
  int32_t sos_id() const { return size() + 1; }

  // -1 when the word is not in the vocabulary.
  int32_t Id(absl::string_view word) const;
  // "<pad>", the word, "<eos>", "<sos>"; "<unk:ID>" for ids out of range.
  std::string Word(int32_t id) const;
  // words()[id] for ids 0..V-1.
  const std::vector<std::string>& words() const { return words_; }

  // The ids of whitespace-separated words; kInvalidArgument naming the first unknown word.
  absl::StatusOr<TokenIds> Encode(const std::vector<std::string>& words) const;
  // Words joined by single spaces.
  std::string Decode(const TokenIds& ids) const;

 private:
  std::vector<std::string> words_;  // words_[0] == "<pad>"
  std::unordered_map<std::string, int32_t> ids_;
};

// The LM words of one data line: the line stripped, TAB read as a space, split on spaces with
// empty pieces dropped; with drop_end, a final "END" (Dyck) is removed.
std::vector<std::string> LineToWords(absl::string_view line, bool drop_end);

}  // namespace sg

#endif  // SG_TASKS_VOCABULARY_H_
