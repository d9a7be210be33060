// What an sg-train child appended to its --out folder since the last read: metric points from
// metrics.jsonl and events from events.jsonl, parsed by trainer/api/trainer_lines.h (the
// definitions sg-train writes them with). A line that does not parse is logged once with its
// reason and counted; nothing is dropped without a word.
//
// Thread-safety: not thread-safe; one owner.
#ifndef SG_WORKER_TRAINER_OUTPUT_H_
#define SG_WORKER_TRAINER_OUTPUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "trainer/api/trainer_lines.h"
#include "worker/line_tailer.h"

namespace sg {

class TrainerOutput {
 public:
  explicit TrainerOutput(const std::string& out_dir);

  struct News {
    std::vector<MetricLine> points;
    std::vector<TrainerEvent> events;
  };
  // Everything appended since the last call, each file in order.
  News ReadNew();

  // Lines that did not parse so far (each was logged).
  int64_t bad_lines() const { return bad_lines_; }

 private:
  LineTailer metrics_, events_;
  int64_t bad_lines_ = 0;
};

// Every point of a metrics.jsonl written by an earlier attempt (resume replays them); bad
// lines are logged and skipped. A missing file reads as no points.
std::vector<MetricLine> ReadMetricsFile(const std::string& path);

}  // namespace sg

#endif  // SG_WORKER_TRAINER_OUTPUT_H_
