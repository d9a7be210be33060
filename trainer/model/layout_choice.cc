#include "trainer/model/layout_choice.h"

#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace sg {

void ApplyTaskRaggedDefault(TaskKind task, PackTrainerOptions* options) {
  if (task != TaskKind::kDyck) return;
  options->ragged_chunk = 128;
  options->ragged_chunks_granule = 8;
  options->ragged_seed_chunks_granule = 4;
}

absl::Status ApplyRaggedChoice(const char* value, PackTrainerOptions* options) {
  const std::string v = value == nullptr ? "" : value;
  if (v.empty()) return absl::OkStatus();
  if (v == "0" || v == "off") {
    options->ragged_chunk = 0;
    return absl::OkStatus();
  }
  const std::vector<std::string> parts = absl::StrSplit(v, ':');
  int64_t chunk = 0, chunks_granule = options->ragged_chunks_granule,
          seed_chunks_granule = options->ragged_seed_chunks_granule;
  bool ok = parts.size() <= 2 && absl::SimpleAtoi(parts[0], &chunk) && chunk >= 8 &&
            chunk <= 1024 && chunk % 8 == 0;
  if (ok && parts.size() == 2) {
    const std::vector<std::string> granules = absl::StrSplit(parts[1], ',');
    ok = granules.size() == 2 && absl::SimpleAtoi(granules[0], &chunks_granule) &&
         absl::SimpleAtoi(granules[1], &seed_chunks_granule) && chunks_granule >= 1 &&
         seed_chunks_granule >= 1;
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        kRaggedEnv, "=", v,
        " is not a layout: use C (each seed its own positions in chunks of C, a multiple of 8 "
        "from 8 to 1024, e.g. 64), C:A,B (and the graphs' chunk counts rounded up to "
        "multiples of A, the largest seed's to multiples of B, e.g. 64:16,8), or 0 or unset "
        "for the packed rows"));
  }
  options->ragged_chunk = chunk;
  options->ragged_chunks_granule = chunks_granule;
  options->ragged_seed_chunks_granule = seed_chunks_granule;
  return absl::OkStatus();
}

}  // namespace sg
