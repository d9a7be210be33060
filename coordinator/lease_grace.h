// LeaseGrace: leases are not expired while their holders could not have renewed them because
// the coordinator itself was the problem. A holder renews its lease by a heartbeat that the
// coordinator must write; when the coordinator was not running (a restart) or its storage
// refused writes (a full disk, which answers UNAVAILABLE), the heartbeats failed through no
// fault of the holder, and expiring the leases right after would throw away every run's
// progress since its last checkpoint. So nothing is expired until one whole lease has passed
// since the coordinator started and since its storage last failed a write: every live holder
// has had a lease's time to heartbeat again. A dead holder's runs are re-queued one lease
// later than they would have been, no more. CI once saw a 15-second full disk re-queue every
// run of a sweep this way.
//
// Thread-safety: thread-safe (an atomic).
#ifndef SG_COORDINATOR_LEASE_GRACE_H_
#define SG_COORDINATOR_LEASE_GRACE_H_

#include <atomic>
#include <cstdint>

#include "absl/status/status.h"

namespace sg {

class LeaseGrace {
 public:
  // started_ms: when this coordinator started serving (the grace after a restart).
  explicit LeaseGrace(int64_t started_ms) : last_outage_ms_(started_ms) {}

  // Notes a store call's outcome at now_ms: an UNAVAILABLE (storage refused a write or was
  // busy past its timeout) starts the grace again.
  void Note(const absl::Status& status, int64_t now_ms);

  // Leases are not expired before this time: the last outage plus one lease.
  int64_t NoExpiryBeforeMs(int64_t lease_ms) const;

  // The last outage (or the start), for messages.
  int64_t last_outage_ms() const { return last_outage_ms_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> last_outage_ms_;
};

}  // namespace sg

#endif  // SG_COORDINATOR_LEASE_GRACE_H_
