// Dyck-(20,10) (datasets.md §3, experiment.md §3.4): the bracket sampler, block and whole-string
// shapes, the structural train/val/test split, and line parsing.
#ifndef SG_TASKS_DYCK_H_
#define SG_TASKS_DYCK_H_

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tasks/rng.h"

namespace sg {
namespace dyck {

constexpr int kTypes = 20;     // a..t
constexpr int kMaxDepth = 10;
constexpr int kMinLength = 4;  // datasets.md §3.4: fits the reference val best

// A string as tokens: 0..19 open type t, 20..39 close type t-20. END is not stored.
using DyckString = std::vector<uint8_t>;
inline bool IsOpen(uint8_t token) { return token < kTypes; }

// One draw of the sampler of datasets.md §3.2.
DyckString Sample(Rng& rng, int min_length = kMinLength);

// "(h h) (j j) END".
std::string ToLine(const DyckString& s);
// Parses a line (END optional unless require_end) and checks that it is balanced with depth at
// most kMaxDepth; kInvalidArgument names the offending token.
absl::StatusOr<DyckString> ParseLine(absl::string_view line, bool require_end);

// How a string's structure is compared with the training set (experiment.md §7 item 9).
enum class Structure {
  kBlocks,      // code: each top-level block's depth profile must have been seen in train
  kWholeString  // paper App. A: the whole string's open/close vector must have been seen
};
// "blocks" / "string".
absl::StatusOr<Structure> ParseStructure(absl::string_view name);

// The shapes a string contributes: for kBlocks one key per top-level block (the stack depth
// after each of its tokens, excluding the final return to 0); for kWholeString one key, the
// depth after every token. Keys hold one byte per depth.
std::vector<std::string> ShapeKeys(const DyckString& s, Structure structure);

// The structures seen in a training set.
class ShapeSet {
 public:
  explicit ShapeSet(Structure structure) : structure_(structure) {}
  void AddTrainString(const DyckString& s);
  // True if every shape of `s` was seen.
  bool AllSeen(const DyckString& s) const;
  bool InTrain(const DyckString& s) const;
  size_t num_shapes() const { return shapes_.size(); }

 private:
  Structure structure_;
  std::unordered_set<std::string> shapes_;
  std::unordered_set<std::string> strings_;  // exact training strings, one byte per token
};

// Train (duplicates kept), then val (all shapes seen, not a training string; duplicates allowed)
// and test (some shape unseen) filled by one sampling loop (datasets.md §3.3).
absl::Status Generate(uint64_t seed, int64_t train_size, int64_t val_size, int64_t test_size,
                      Structure structure, std::vector<std::string>* train,
                      std::vector<std::string>* val, std::vector<std::string>* test);

int MaxDepth(const DyckString& s);
int NumBlocks(const DyckString& s);

}  // namespace dyck
}  // namespace sg

#endif  // SG_TASKS_DYCK_H_
