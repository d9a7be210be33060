// Backoff after the coordinator was unreachable: every RPC the daemon makes waits until the
// backoff has passed, doubling from a minimum to a maximum while calls keep failing
// transiently, back to none after any answer. Time comes from the injected Clock.
//
// Thread-safety: not thread-safe; one owner (the daemon's thread).
#ifndef SG_WORKER_RPC_BACKOFF_H_
#define SG_WORKER_RPC_BACKOFF_H_

#include <cstdint>

#include "absl/status/status.h"
#include "common/clock.h"

namespace sg {

// True for the codes a retry of the same call may cure (the coordinator is down, slow, busy,
// restarting, or its storage is briefly full): UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED,
// RESOURCE_EXHAUSTED, CANCELLED, UNKNOWN.
bool IsTransientRpcError(const absl::Status& status);

class RpcBackoff {
 public:
  RpcBackoff(Clock* clock, int64_t min_ms, int64_t max_ms)
      : clock_(clock), min_ms_(min_ms), max_ms_(max_ms) {}

  // Whether calls may go out now.
  bool Ready() const { return clock_->NowMillis() >= ok_at_ms_; }
  // Records a call's outcome: a transient error lengthens the wait, anything else ends it.
  void Note(const absl::Status& status);

 private:
  Clock* const clock_;
  const int64_t min_ms_, max_ms_;
  int64_t ok_at_ms_ = 0;
  int64_t wait_ms_ = 0;
};

}  // namespace sg

#endif  // SG_WORKER_RPC_BACKOFF_H_
