#include "trainer/model/gemm_pin_text.h"

#include <cstdint>
#include <set>
#include <tuple>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace sg {
namespace {

constexpr int64_t kInt32Max = INT32_MAX;
constexpr int64_t kUint32Max = UINT32_MAX;
constexpr int64_t kUint16Max = UINT16_MAX;

// A configuration key: its name as Describe prints it, where it goes, its least and most.
struct Key {
  const char* name;
  int64_t GemmPinText::*field;
  int64_t least, most;
};

constexpr Key kKeys[] = {
    {"id", &GemmPinText::id, 0, kInt32Max},
    {"tile", &GemmPinText::tile, 0, kUint32Max},
    {"stages", &GemmPinText::stages, 0, kUint32Max},
    {"split-k", &GemmPinText::split_k, 1, kInt32Max},
    {"reduction", &GemmPinText::reduction, 0, kUint32Max},
    {"swizzle", &GemmPinText::swizzle, 0, kUint32Max},
    {"custom", &GemmPinText::custom, 0, kUint32Max},
    {"inner", &GemmPinText::inner, 0, kUint16Max},
    {"cluster", &GemmPinText::cluster, 0, kUint16Max},
};

constexpr const char* kShapeNames[] = {"op_a", "op_b", "m", "n", "k", "seeds"};

absl::Status Bad(int line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("gemm pins, line ", line, ": ", what));
}

absl::Status Number(int line, absl::string_view name, absl::string_view word, int64_t least,
                    int64_t most, int64_t* out) {
  if (!absl::SimpleAtoi(word, out) || *out < least || *out > most) {
    return Bad(line, absl::StrCat(name, ": expected a whole number from ", least, " to ", most,
                                  ", got '", word, "'"));
  }
  return absl::OkStatus();
}

absl::Status Op(int line, absl::string_view name, absl::string_view word, bool* transpose) {
  if (word != "N" && word != "T") {
    return Bad(line, absl::StrCat(name, ": expected N or T, got '", word, "'"));
  }
  *transpose = word == "T";
  return absl::OkStatus();
}

absl::StatusOr<GemmPinText> ParseLine(int line, const std::vector<absl::string_view>& words) {
  if (words.size() < 6) {
    return Bad(line, absl::StrCat("expected op_a op_b m n k seeds and then the configuration "
                                  "(id ...), got ", words.size(), " words"));
  }
  GemmPinText pin;
  absl::Status s = Op(line, kShapeNames[0], words[0], &pin.transpose_a);
  if (s.ok()) s = Op(line, kShapeNames[1], words[1], &pin.transpose_b);
  int64_t* dims[] = {&pin.m, &pin.n, &pin.k, &pin.batch};
  for (int d = 0; d < 4 && s.ok(); ++d) {
    s = Number(line, kShapeNames[2 + d], words[2 + d], 1, kInt32Max, dims[d]);
  }
  if (!s.ok()) return s;
  if ((words.size() - 6) % 2 != 0) {
    return Bad(line, "the configuration is pairs of a key and a number, as sg-gemm-bench "
                     "prints it (id 43 tile 20 ...): one is missing its number");
  }
  std::set<std::string> seen;
  for (size_t w = 6; w < words.size(); w += 2) {
    const Key* key = nullptr;
    for (const Key& k : kKeys) {
      if (words[w] == k.name) key = &k;
    }
    if (key == nullptr) {
      return Bad(line, absl::StrCat("unknown configuration key '", words[w], "' (keys: id, tile, "
                                    "stages, split-k, reduction, swizzle, custom, inner, "
                                    "cluster)"));
    }
    if (!seen.insert(key->name).second) {
      return Bad(line, absl::StrCat("'", key->name, "' given twice"));
    }
    s = Number(line, key->name, words[w + 1], key->least, key->most, &(pin.*(key->field)));
    if (!s.ok()) return s;
  }
  if (seen.count("id") == 0) {
    return Bad(line, "the configuration needs its algorithm's id (id N, as sg-gemm-bench "
                     "prints it)");
  }
  return pin;
}

}  // namespace

bool GemmPinText::operator==(const GemmPinText& o) const {
  return std::tie(transpose_a, transpose_b, m, n, k, batch, id, tile, stages, split_k, reduction,
                  swizzle, custom, inner, cluster) ==
         std::tie(o.transpose_a, o.transpose_b, o.m, o.n, o.k, o.batch, o.id, o.tile, o.stages,
                  o.split_k, o.reduction, o.swizzle, o.custom, o.inner, o.cluster);
}

absl::StatusOr<std::vector<GemmPinText>> ParseGemmPins(std::string_view text) {
  std::vector<GemmPinText> pins;
  std::set<std::tuple<bool, bool, int64_t, int64_t, int64_t, int64_t>> shapes;
  int line = 0;
  for (absl::string_view raw : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    ++line;
    const size_t hash = raw.find('#');
    if (hash != absl::string_view::npos) raw = raw.substr(0, hash);
    const std::vector<absl::string_view> words =
        absl::StrSplit(raw, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (words.empty()) continue;
    absl::StatusOr<GemmPinText> pin = ParseLine(line, words);
    if (!pin.ok()) return pin.status();
    if (!shapes.insert({pin->transpose_a, pin->transpose_b, pin->m, pin->n, pin->k, pin->batch})
             .second) {
      return Bad(line, "a second pin for the same shape and seeds: keep one");
    }
    pins.push_back(*pin);
  }
  return pins;
}

std::string FormatGemmPin(const GemmPinText& p) {
  std::string s = absl::StrCat(p.transpose_a ? "T" : "N", " ", p.transpose_b ? "T" : "N", " ",
                               p.m, " ", p.n, " ", p.k, " ", p.batch);
  for (const Key& k : kKeys) absl::StrAppend(&s, " ", k.name, " ", p.*(k.field));
  return s;
}

}  // namespace sg
