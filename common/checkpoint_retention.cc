#include "common/checkpoint_retention.h"

#include <algorithm>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace sg {

int64_t CheckpointRetention::NewestKept(int64_t at_least) const {
  const int64_t newest = kind == Kind::kLast ? count : 2;
  return std::max<int64_t>({newest, at_least, 1});
}

bool CheckpointRetention::KeepsStep(int64_t step) const {
  switch (kind) {
    case Kind::kLast:
      return false;
    case Kind::kEvery:
      return count > 0 && step % count == 0;
    case Kind::kAll:
      return true;
  }
  return false;
}

absl::StatusOr<CheckpointRetention> ParseCheckpointRetention(absl::string_view text) {
  const std::vector<absl::string_view> words = absl::StrSplit(text, ' ', absl::SkipEmpty());
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "must be 'last N' (N >= 1), 'every K steps' (K >= 1) or 'all', got '", text, "'"));
  };
  CheckpointRetention r;
  if (words.size() == 1 && words[0] == "all") {
    r.kind = CheckpointRetention::Kind::kAll;
    r.count = 0;
    return r;
  }
  if (words.size() < 2) return bad();
  int64_t n = 0;
  if (!absl::SimpleAtoi(words[1], &n) || n < 1) return bad();
  if (words[0] == "last" && words.size() == 2) {
    r.kind = CheckpointRetention::Kind::kLast;
  } else if (words[0] == "every" && (words.size() == 2 || (words.size() == 3 &&
                                                           words[2] == "steps"))) {
    r.kind = CheckpointRetention::Kind::kEvery;
  } else {
    return bad();
  }
  r.count = n;
  return r;
}

}  // namespace sg
