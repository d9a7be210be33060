// libFuzzer target: the metrics.jsonl and events.jsonl line parsers sg-worker reads sg-train's
// output with (trainer/api/trainer_lines.h). Any input must parse or be refused, never crash;
// what parses must encode and parse back to the same point or event.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "trainer/api/trainer_lines.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string line(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<sg::MetricLine> point = sg::ParseMetricLine(line);
  if (point.ok()) {
    absl::StatusOr<sg::MetricLine> again = sg::ParseMetricLine(sg::EncodeMetricLine(*point));
    if (!again.ok() || again->seed != point->seed || again->step != point->step ||
        again->metric != point->metric ||
        !(again->value == point->value || (std::isnan(again->value) && std::isnan(point->value)))) {
      std::abort();
    }
  }
  absl::StatusOr<sg::TrainerEvent> event = sg::ParseTrainerEvent(line);
  if (event.ok()) {
    absl::StatusOr<sg::TrainerEvent> again = sg::ParseTrainerEvent(sg::EncodeTrainerEvent(*event));
    if (!again.ok() || again->kind != event->kind || again->step != event->step ||
        again->path != event->path || again->seed_paths != event->seed_paths ||
        again->seeds != event->seeds || again->signal != event->signal) {
      std::abort();
    }
  }
  return 0;
}
