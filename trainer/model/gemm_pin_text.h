// A table of cuBLASLt configurations pinned per product shape (cuda_seed_gemm_pins.h) as text,
// one pin a line, so that sg-bench --gemm-pins can time the step with another table than the
// compiled one without a rebuild: on the H200 only the step ranks a table (a product timed alone
// misled in session 39; docs/performance.md), and a table search in the step needs many tables
// in one call. Torch- and CUDA-free, so the CPU build parses and tests it.
//
// A line: the product's shape as cuda_seed_gemm_plan.h's Product holds it, then its
// configuration as sg-gemm-bench prints it (seed_gemm::Describe), so a search's line can be
// pasted after the shape:
//
//   N N 1536 256 512 10 id 43 tile 21 stages 34 split-k 1 reduction 0 swizzle 0 custom 0
//     inner 0 cluster 5        (one line)
//
// op_a op_b (N or T), m n k (column-major: a forward's m is the layer's out, n the rows, k its
// in; an input gradient is T N with m its in, k its out), the seeds (the batch), then the
// configuration's keys in any order: `id` is required, the others default to 0 (split-k to 1).
// '#' starts a comment; blank lines are skipped. An empty table pins nothing: every product
// takes cuBLASLt's heuristic's first.
#ifndef SG_TRAINER_MODEL_GEMM_PIN_TEXT_H_
#define SG_TRAINER_MODEL_GEMM_PIN_TEXT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace sg {

struct GemmPinText {
  bool transpose_a = false, transpose_b = false;  // cuBLAS's op_a, op_b: T or N
  int64_t m = 0, n = 0, k = 0, batch = 0;
  // seed_gemm::AlgoConfig's fields, by Describe's names.
  int64_t id = -1, tile = 0, stages = 0, split_k = 1, reduction = 0, swizzle = 0, custom = 0;
  int64_t inner = 0, cluster = 0;

  bool operator==(const GemmPinText& o) const;
};

// The pins of `text`. InvalidArgument naming the line, the field and what it takes where a line
// is not one; two pins for one shape and seeds are refused too (which would the product take?).
absl::StatusOr<std::vector<GemmPinText>> ParseGemmPins(std::string_view text);

// One line of the format above, without a newline: ParseGemmPins reads it back.
std::string FormatGemmPin(const GemmPinText& pin);

}  // namespace sg

#endif  // SG_TRAINER_MODEL_GEMM_PIN_TEXT_H_
