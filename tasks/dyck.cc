#include "tasks/dyck.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tasks/vocabulary.h"

namespace sg {
namespace dyck {

DyckString Sample(Rng& rng, int min_length) {
  DyckString out;
  std::vector<uint8_t> stack;
  while (true) {
    if (stack.empty()) {
      // END has weight 1 against 20 openings of weight 1/20: P(END) = 1/2. An END drawn before
      // min_length is discarded and redrawn from the same state.
      const uint64_t u = rng.Below(2 * kTypes);
      if (u < kTypes) {
        if (static_cast<int>(out.size()) >= min_length) return out;
        continue;
      }
      const uint8_t type = static_cast<uint8_t>(u - kTypes);
      stack.push_back(type);
      out.push_back(type);
    } else if (static_cast<int>(stack.size()) >= kMaxDepth) {
      out.push_back(static_cast<uint8_t>(stack.back() + kTypes));
      stack.pop_back();
    } else {
      const uint64_t u = rng.Below(2 * kTypes);
      if (u < kTypes) {  // close the top bracket: weight 1 of 2
        out.push_back(static_cast<uint8_t>(stack.back() + kTypes));
        stack.pop_back();
      } else {
        const uint8_t type = static_cast<uint8_t>(u - kTypes);
        stack.push_back(type);
        out.push_back(type);
      }
    }
  }
}

std::string ToLine(const DyckString& s) {
  std::string line;
  line.reserve(s.size() * 3 + 3);
  for (uint8_t t : s) {
    if (IsOpen(t)) {
      line.push_back('(');
      line.push_back(static_cast<char>('a' + t));
    } else {
      line.push_back(static_cast<char>('a' + t - kTypes));
      line.push_back(')');
    }
    line.push_back(' ');
  }
  line += "END";
  return line;
}

absl::StatusOr<DyckString> ParseLine(absl::string_view line, bool require_end) {
  // Walks the tokens in place: stats and split checks parse hundreds of thousands of lines.
  DyckString s;
  s.reserve(line.size() / 3 + 1);
  std::vector<uint8_t> stack;
  bool has_end = false;
  size_t index = 0;
  for (absl::string_view w : absl::StrSplit(line, absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty())) {
    ++index;
    if (has_end) {
      return absl::InvalidArgumentError(absl::StrCat("token ", index, " '", w, "' after END"));
    }
    if (w == "END") {
      has_end = true;
      continue;
    }
    const bool open = w.size() == 2 && w[0] == '(' && w[1] >= 'a' && w[1] < 'a' + kTypes;
    const bool close = w.size() == 2 && w[1] == ')' && w[0] >= 'a' && w[0] < 'a' + kTypes;
    if (open) {
      const uint8_t t = static_cast<uint8_t>(w[1] - 'a');
      stack.push_back(t);
      if (static_cast<int>(stack.size()) > kMaxDepth) {
        return absl::InvalidArgumentError(
            absl::StrCat("token ", index, " '", w, "' exceeds depth ", kMaxDepth));
      }
      s.push_back(t);
    } else if (close) {
      const uint8_t t = static_cast<uint8_t>(w[0] - 'a');
      if (stack.empty() || stack.back() != t) {
        return absl::InvalidArgumentError(
            absl::StrCat("token ", index, " '", w, "' does not close the open bracket"));
      }
      stack.pop_back();
      s.push_back(static_cast<uint8_t>(t + kTypes));
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("token ", index, " '", w, "' is not a bracket (a..(t or a)..t)"));
    }
  }
  if (require_end && !has_end) return absl::InvalidArgumentError("line does not end with END");
  if (!stack.empty()) return absl::InvalidArgumentError("unclosed brackets at the end");
  return s;
}

absl::StatusOr<Structure> ParseStructure(absl::string_view name) {
  if (name == "blocks") return Structure::kBlocks;
  if (name == "string") return Structure::kWholeString;
  return absl::InvalidArgumentError(
      absl::StrCat("dyck_split: must be 'blocks' (code) or 'string' (paper), got '", name, "'"));
}

std::vector<std::string> ShapeKeys(const DyckString& s, Structure structure) {
  std::vector<std::string> keys;
  std::string current;
  int depth = 0;
  for (uint8_t t : s) {
    depth += IsOpen(t) ? 1 : -1;
    if (structure == Structure::kWholeString) {
      current.push_back(static_cast<char>(depth));
      continue;
    }
    if (depth == 0) {
      keys.push_back(std::move(current));
      current.clear();
    } else {
      current.push_back(static_cast<char>(depth));
    }
  }
  if (structure == Structure::kWholeString) keys.push_back(std::move(current));
  return keys;
}

namespace {
std::string Bytes(const DyckString& s) { return std::string(s.begin(), s.end()); }
}  // namespace

void ShapeSet::AddTrainString(const DyckString& s) {
  for (std::string& k : ShapeKeys(s, structure_)) shapes_.insert(std::move(k));
  strings_.insert(Bytes(s));
}

bool ShapeSet::AllSeen(const DyckString& s) const {
  for (const std::string& k : ShapeKeys(s, structure_)) {
    if (shapes_.count(k) == 0) return false;
  }
  return true;
}

bool ShapeSet::InTrain(const DyckString& s) const { return strings_.count(Bytes(s)) > 0; }

absl::Status Generate(uint64_t seed, int64_t train_size, int64_t val_size, int64_t test_size,
                      Structure structure, std::vector<std::string>* train,
                      std::vector<std::string>* val, std::vector<std::string>* test) {
  Rng rng(seed);
  ShapeSet seen(structure);
  train->clear();
  val->clear();
  test->clear();
  train->reserve(train_size);
  for (int64_t i = 0; i < train_size; ++i) {
    DyckString s = Sample(rng);
    seen.AddTrainString(s);
    train->push_back(ToLine(s));
  }
  val->reserve(val_size);
  test->reserve(test_size);
  const int64_t limit = 1000 * (val_size + test_size) + 1000000;
  for (int64_t draws = 0; static_cast<int64_t>(val->size()) < val_size ||
                          static_cast<int64_t>(test->size()) < test_size;
       ++draws) {
    if (draws > limit) {
      return absl::InvalidArgumentError(absl::StrCat(
          "data.val_size/test_size: ", val_size, "/", test_size, " Dyck strings not found in ",
          limit, " draws; with this train size use smaller val/test sizes"));
    }
    DyckString s = Sample(rng);
    if (seen.AllSeen(s)) {
      if (static_cast<int64_t>(val->size()) < val_size && !seen.InTrain(s)) {
        val->push_back(ToLine(s));
      }
    } else if (static_cast<int64_t>(test->size()) < test_size) {
      test->push_back(ToLine(s));
    }
  }
  return absl::OkStatus();
}

int MaxDepth(const DyckString& s) {
  int depth = 0, best = 0;
  for (uint8_t t : s) {
    depth += IsOpen(t) ? 1 : -1;
    best = std::max(best, depth);
  }
  return best;
}

int NumBlocks(const DyckString& s) {
  int depth = 0, blocks = 0;
  for (uint8_t t : s) {
    depth += IsOpen(t) ? 1 : -1;
    if (depth == 0) ++blocks;
  }
  return blocks;
}

}  // namespace dyck
}  // namespace sg
