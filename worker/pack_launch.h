// One attempt of a pack on disk and as a process: its folders, the run config sg-train reads,
// and sg-train's command line, encoded by trainer/api/train_options.h (the parser sg-train
// uses). Local folder: <work>/packs/pack-<ms>-<n>/ (config, logs); shared folder (the --out):
// <checkpoints>/sweep-<id>/<cell>/seeds-<s_s_s>/attempt-<ms>-<worker>-<n>/, fresh per attempt
// so a worker presumed dead can never write into the folder of the attempt that replaced it.
#ifndef SG_WORKER_PACK_LAUNCH_H_
#define SG_WORKER_PACK_LAUNCH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "sg/v1/sg.pb.h"
#include "trainer/api/train_options.h"
#include "worker/process_launcher.h"

namespace sg {

struct PackLaunch {
  std::string pack_dir;    // local
  std::string out_dir;     // sg-train --out (shared checkpoint filesystem)
  std::string spool_path;  // local, the pack's metric spool
  TrainPackOptions train;  // what sg-train is asked to do
  LaunchOptions launch;    // the process (argv from EncodeTrainArgs)
};

// The folders and command line of attempt `local_id` of `claim` on `device`. `base` carries
// the operator's extra sg-train flags (--train-args); the pack's own fields replace its.
PackLaunch PlanPackLaunch(const v1::ClaimJobsResponse& claim, const std::string& device,
                          const std::string& work_dir, const std::string& checkpoint_dir,
                          const std::string& worker_id, const std::string& sg_train,
                          const TrainPackOptions& base, int64_t local_id, int64_t now_ms);

// Creates the folders and writes what sg-train reads: the runs' resolved config (config.json,
// as the coordinator stored it at submit), or, for runs submitted before configs were stored,
// the sweep's spec (spec.yaml with --cell). kInternal naming the path on a file error.
absl::Status WritePackFiles(const v1::ClaimJobsResponse& claim, PackLaunch* launch);

// sg-train's flags that the worker sets for every pack; --train-args may not give them.
absl::Status CheckExtraTrainArgs(const std::vector<std::string>& args);

}  // namespace sg

#endif  // SG_WORKER_PACK_LAUNCH_H_
