// libFuzzer target: the sweep spec parser (common/sweep_spec.h) on arbitrary bytes. Any input
// must return a Status (never crash, hang or allocate without bound); an accepted spec must
// expand and its cell keys must parse back to the same cells.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/sweep_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  sg::SpecLimits limits;
  // Small, so that one accepted input expands quickly (every limit is still exercised: the
  // count check is the same code whatever the number).
  limits.max_runs = 64;
  absl::StatusOr<sg::SweepSpec> spec = sg::ParseSweepSpec(text, "fuzz.yaml", limits);
  if (!spec.ok()) {
    // Every refusal says what is wrong.
    if (spec.status().message().empty()) std::abort();
    return 0;
  }
  absl::StatusOr<std::vector<sg::RunSpec>> runs = sg::ExpandSweep(*spec, limits.max_runs);
  if (!runs.ok()) std::abort();  // the parser already checked the run count and every cell
  for (const sg::GridCell& cell : sg::ExpandGrid(*spec)) {
    absl::StatusOr<sg::GridCell> back = sg::ParseCell(sg::CellKey(cell));
    if (!back.ok() || back->size() != cell.size()) std::abort();
    for (size_t i = 0; i < cell.size(); ++i) {
      if ((*back)[i].first != cell[i].first || (*back)[i].second != cell[i].second) std::abort();
    }
  }
  return 0;
}
