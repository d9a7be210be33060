// The lines sg-train appends to its output folder and sg-worker reads back: metrics.jsonl and
// events.jsonl. One encoder and one parser per line kind, linked by both processes. Torch-free.
//
// metrics.jsonl, one point per line:
//   {"metric":"val_acc","seed":0,"step":3000,"value":0.91}
// A value that is not finite is carried, not dropped: JSON has no NaN or Infinity, so it is
// written as the string "NaN", "Infinity" or "-Infinity" (the spelling of protobuf's JSON
// mapping, which sg's JSON outputs use too). A diverged run's points therefore reach the
// coordinator like any other.
//
// events.jsonl, one event per line (docs/trainer.md):
//   {"event":"start","step":K,"steps":N,"seeds":[..],"cell":"depth=6","device":"cpu"}
//   {"event":"checkpoint","step":N,"path":P[,"seed_paths":[..]]}
//   {"event":"stopped","step":N,"signal":15}
//   {"event":"done","step":N}
#ifndef SG_TRAINER_API_TRAINER_LINES_H_
#define SG_TRAINER_API_TRAINER_LINES_H_

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sg {

// A metric value as JSON: a number when finite, else "NaN" / "Infinity" / "-Infinity".
nlohmann::json MetricValueJson(double value);
// The inverse: a number, or one of the three strings. kInvalidArgument for anything else.
absl::StatusOr<double> ParseMetricValueJson(const nlohmann::json& value);

struct MetricLine {
  int64_t seed = 0;
  int64_t step = 0;
  std::string metric;
  double value = 0;
};

std::string EncodeMetricLine(const MetricLine& point);
// kInvalidArgument when the line is not JSON, or a field is missing or mistyped (naming it).
absl::StatusOr<MetricLine> ParseMetricLine(absl::string_view line);

// kReleased: the training is over and the trainer holds no device memory any more (its
// final checkpoint is staged on the host and being written; `done` follows once it is
// durable): sg-worker may start the device's next pack meanwhile.
enum class TrainerEventKind { kStart, kCheckpoint, kStopped, kReleased, kDone };
const char* TrainerEventName(TrainerEventKind kind);

struct TrainerEvent {
  TrainerEventKind kind = TrainerEventKind::kStart;
  int64_t step = 0;
  // kStart
  int64_t steps = 0;
  std::vector<int64_t> seeds;
  std::string cell;
  std::string device;
  // kCheckpoint: the pack's file, or with per-seed checkpoints the first seed's folder and each
  // seed's file in --seeds order.
  std::string path;
  std::vector<std::string> seed_paths;
  // kStopped
  int signal = 0;
};

std::string EncodeTrainerEvent(const TrainerEvent& event);
// kInvalidArgument for an unknown event name or a missing or mistyped field.
absl::StatusOr<TrainerEvent> ParseTrainerEvent(absl::string_view line);

}  // namespace sg

#endif  // SG_TRAINER_API_TRAINER_LINES_H_
