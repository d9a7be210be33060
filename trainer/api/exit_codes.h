// sg-train's exit codes and what sg-worker does about each: the one definition both processes
// link. Torch-free.
//
//   0        done: the budget is reached (a checkpoint at the last step precedes the exit)
//   1        any other error (I/O, a bug): transient as far as the worker can tell, retried
//   2        bad input: the spec, config, cell, flags or output folder is wrong; retrying the
//            same input cannot help, so the run fails at once with sg-train's message
//   3        out of memory: the worker retries the cell with a smaller pack first
//   128+N    stopped by signal N after writing a checkpoint (143 SIGTERM, 130 SIGINT)
// A child killed by a signal (no exit code) counts as transient.
#ifndef SG_TRAINER_API_EXIT_CODES_H_
#define SG_TRAINER_API_EXIT_CODES_H_

#include "absl/status/status.h"

namespace sg {

inline constexpr int kTrainExitDone = 0;
inline constexpr int kTrainExitError = 1;
inline constexpr int kTrainExitBadInput = 2;
inline constexpr int kTrainExitOutOfMemory = 3;
inline constexpr int kTrainExitSignalBase = 128;

// sg-train's exit code for TrainPack's status; `stop_signal` is the signal that stopped it (0:
// none; a kCancelled status without one exits as SIGTERM).
int TrainExitCode(const absl::Status& status, int stop_signal);

enum class TrainExitKind {
  kDone,         // 0
  kBadInput,     // 2: fail the run now, not retryable
  kOutOfMemory,  // 3: retry with a smaller pack, then as transient
  kStopped,      // 128+N: stopped on request after a checkpoint
  kTransient,    // 1, an unknown code, or killed by a signal: retry with backoff
};

// How the worker reads a child's end: `signaled` with `signal`, else exited with `code`.
TrainExitKind ClassifyTrainExit(bool signaled, int code, int signal);

// "bad input", "out of memory", ... for logs and failure reasons.
const char* TrainExitKindName(TrainExitKind kind);

}  // namespace sg

#endif  // SG_TRAINER_API_EXIT_CODES_H_
