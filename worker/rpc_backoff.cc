#include "worker/rpc_backoff.h"

#include <algorithm>

namespace sg {

bool IsTransientRpcError(const absl::Status& s) {
  return absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s) || absl::IsAborted(s) ||
         absl::IsResourceExhausted(s) || absl::IsCancelled(s) || absl::IsUnknown(s);
}

void RpcBackoff::Note(const absl::Status& status) {
  if (status.ok() || !IsTransientRpcError(status)) {
    wait_ms_ = 0;
    return;
  }
  wait_ms_ = wait_ms_ == 0 ? min_ms_ : std::min(wait_ms_ * 2, max_ms_);
  ok_at_ms_ = clock_->NowMillis() + wait_ms_;
}

}  // namespace sg
