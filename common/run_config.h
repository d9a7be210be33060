// A run's resolved configuration: the task and every `train` and `data` key with the task's
// defaults and the grid cell's axis values applied. The coordinator resolves it once, when a
// sweep is submitted, stores it with each run and sends it on the wire (Run.resolved_config_json);
// sgctl, sg-worker and sg-train read it instead of parsing the sweep's YAML again.
//
// The JSON form (one codec, here; a Python client or web page reads the same document):
//   {"task":"question_formation",
//    "train":{"depth":6,"steps":300000,...every TrainConfig key by its YAML name...},
//    "data":{"seed":0,"train_size":100000,...every DataConfig key...}}
// Keys come in struct order (stable); integers are JSON integers, reals JSON numbers, bools JSON
// booleans. Every key is present: ParseRunConfigJson refuses a document that lacks one or has an
// unknown one, so a stored config never silently takes a default it was not resolved with.
// Adding a TrainConfig/DataConfig key therefore needs a migration that adds it, with its
// default, to the configs already stored (SQLite: json_set on runs.resolved_config_json); the
// frozen-dump upgrade test (coordinator/migration_test.cc) fails until there is one.
#ifndef SG_COMMON_RUN_CONFIG_H_
#define SG_COMMON_RUN_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/sweep_spec.h"

namespace sg {

struct RunConfig {
  TaskKind task;
  TrainConfig train;
  DataConfig data;
};

// Every key, defaults applied; stable key order; the JSON the wire carries.
std::string RunConfigJson(const RunConfig& config);

// kInvalidArgument naming the key for a malformed or incomplete document.
absl::StatusOr<RunConfig> ParseRunConfigJson(absl::string_view json);

// The config of one grid cell of a parsed spec (task defaults and the cell's axis values applied).
absl::StatusOr<RunConfig> ResolveRunConfig(const SweepSpec& spec, const GridCell& cell);

}  // namespace sg

#endif  // SG_COMMON_RUN_CONFIG_H_
