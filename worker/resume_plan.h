// Where each claimed run resumes from. A run's checkpoints live in its own folder
// (<attempt --out>/run-<id>/ckpt-<step>.pt, written by sg-train --seed-checkpoint-dirs); the
// coordinator records the newest one whose points were all acknowledged (the committed one).
// A run resumes from the newest file in that folder at or after the committed step, provided
//   - the folder is under this worker's checkpoint root, and
//   - the file's header (trainer/api/checkpoint_file.h) names this sweep, run and seed;
// anything else is refused with the reason (logged by the caller) and the run starts from step
// 0: a path the coordinator was told, or a file somebody placed in the folder, cannot make a
// run load foreign weights (docs/security.md).
//
// sg-train resumes a pack from one step, so a claim whose runs resume from different steps
// becomes one pack per step. Each run's folder is scanned once, here.
#ifndef SG_WORKER_RESUME_PLAN_H_
#define SG_WORKER_RESUME_PLAN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "sg/v1/sg.pb.h"
#include "worker/metric_spool.h"

namespace sg {

struct RunResume {
  int64_t step = -1;     // -1: from step 0
  std::string file;      // the checkpoint to resume from (step >= 0)
  std::string refused;   // why a recorded checkpoint was not used (empty: nothing refused)
};

// The resume point of one claimed run of `sweep_id`.
RunResume FindRunResume(const v1::ClaimedRun& run, int64_t sweep_id,
                        const std::string& checkpoint_root);

// A claim's runs grouped by resume step (ascending; runs starting afresh first), each group a
// claim of its own with the runs' resume points in claim order.
struct ResumeGroup {
  v1::ClaimJobsResponse claim;
  std::vector<RunResume> resumes;  // aligned with claim.runs()
  int64_t step = -1;
};
std::vector<ResumeGroup> GroupByResumeStep(const v1::ClaimJobsResponse& claim,
                                           const std::string& checkpoint_root);

// A run's checkpoint folder inside its attempt's --out folder: the old attempt's metrics.jsonl
// (for re-sending points on resume) is then the folder's parent's.
std::string RunCheckpointDir(const std::string& out_dir, int64_t run_id);

// Links (or copies) each resuming run's file into its folder under `out_dir`, where sg-train
// finds it, and returns the earlier attempts' points of those runs up to the resume step,
// carried under the new leases (a point the coordinator already has is stored once). On an
// error nothing is linked (every run then starts from step 0).
absl::StatusOr<std::vector<SpooledPoint>> ApplyResume(const ResumeGroup& group,
                                                      const std::string& out_dir);

}  // namespace sg

#endif  // SG_WORKER_RESUME_PLAN_H_
