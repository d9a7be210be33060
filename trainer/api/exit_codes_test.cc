#include "trainer/api/exit_codes.h"

#include <gtest/gtest.h>

#include <csignal>

namespace sg {
namespace {

TEST(ExitCodesTest, StatusesMapToCodesTheWorkerClassifies) {
  struct Case {
    absl::Status status;
    int stop_signal;
    int code;
    TrainExitKind kind;
  };
  for (const Case& c : {
           Case{absl::OkStatus(), 0, 0, TrainExitKind::kDone},
           Case{absl::InvalidArgumentError("x"), 0, 2, TrainExitKind::kBadInput},
           Case{absl::FailedPreconditionError("x"), 0, 2, TrainExitKind::kBadInput},
           Case{absl::NotFoundError("x"), 0, 2, TrainExitKind::kBadInput},
           Case{absl::ResourceExhaustedError("x"), 0, 3, TrainExitKind::kOutOfMemory},
           Case{absl::CancelledError("x"), SIGINT, 130, TrainExitKind::kStopped},
           Case{absl::CancelledError("x"), 0, 143, TrainExitKind::kStopped},
           Case{absl::InternalError("x"), 0, 1, TrainExitKind::kTransient},
           Case{absl::DataLossError("x"), 0, 1, TrainExitKind::kTransient},
       }) {
    const int code = TrainExitCode(c.status, c.stop_signal);
    EXPECT_EQ(code, c.code) << c.status;
    EXPECT_EQ(ClassifyTrainExit(false, code, 0), c.kind) << c.status;
  }
  EXPECT_EQ(ClassifyTrainExit(true, 0, SIGKILL), TrainExitKind::kTransient);
  EXPECT_EQ(ClassifyTrainExit(false, 77, 0), TrainExitKind::kTransient);
  EXPECT_STREQ(TrainExitKindName(TrainExitKind::kBadInput), "bad input");
}

}  // namespace
}  // namespace sg
