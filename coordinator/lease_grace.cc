#include "coordinator/lease_grace.h"

namespace sg {

void LeaseGrace::Note(const absl::Status& status, int64_t now_ms) {
  if (!absl::IsUnavailable(status)) return;
  int64_t seen = last_outage_ms_.load(std::memory_order_relaxed);
  // Only forward: calls finishing out of order never shorten the grace.
  while (seen < now_ms &&
         !last_outage_ms_.compare_exchange_weak(seen, now_ms, std::memory_order_relaxed)) {
  }
}

int64_t LeaseGrace::NoExpiryBeforeMs(int64_t lease_ms) const {
  return last_outage_ms_.load(std::memory_order_relaxed) + lease_ms;
}

}  // namespace sg
