#include "trainer/api/exit_codes.h"

#include <csignal>

namespace sg {

int TrainExitCode(const absl::Status& status, int stop_signal) {
  if (status.ok()) return kTrainExitDone;
  switch (status.code()) {
    case absl::StatusCode::kCancelled:
      return kTrainExitSignalBase + (stop_signal != 0 ? stop_signal : SIGTERM);
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kNotFound:
      return kTrainExitBadInput;
    case absl::StatusCode::kResourceExhausted:
      return kTrainExitOutOfMemory;
    default:
      return kTrainExitError;
  }
}

TrainExitKind ClassifyTrainExit(bool signaled, int code, int signal) {
  if (signaled) return TrainExitKind::kTransient;
  if (code == kTrainExitDone) return TrainExitKind::kDone;
  if (code == kTrainExitBadInput) return TrainExitKind::kBadInput;
  if (code == kTrainExitOutOfMemory) return TrainExitKind::kOutOfMemory;
  if (code > kTrainExitSignalBase && code < kTrainExitSignalBase + 65) {
    return TrainExitKind::kStopped;
  }
  return TrainExitKind::kTransient;
}

const char* TrainExitKindName(TrainExitKind kind) {
  switch (kind) {
    case TrainExitKind::kDone:
      return "done";
    case TrainExitKind::kBadInput:
      return "bad input";
    case TrainExitKind::kOutOfMemory:
      return "out of memory";
    case TrainExitKind::kStopped:
      return "stopped";
    case TrainExitKind::kTransient:
      return "transient failure";
  }
  return "?";
}

}  // namespace sg
