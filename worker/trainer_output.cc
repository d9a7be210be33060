#include "worker/trainer_output.h"

#include "absl/strings/str_cat.h"
#include "worker/worker_log.h"

namespace sg {

namespace {

void LogBadLine(const std::string& path, const absl::Status& why) {
  WorkerLog(absl::StrCat(path, ": skipping a line that does not parse (", why.message(), ")"));
}

}  // namespace

TrainerOutput::TrainerOutput(const std::string& out_dir)
    : metrics_(out_dir + "/metrics.jsonl"), events_(out_dir + "/events.jsonl") {}

TrainerOutput::News TrainerOutput::ReadNew() {
  News news;
  for (const std::string& line : metrics_.ReadNew()) {
    absl::StatusOr<MetricLine> p = ParseMetricLine(line);
    if (!p.ok()) {
      ++bad_lines_;
      LogBadLine(metrics_.path(), p.status());
      continue;
    }
    news.points.push_back(std::move(*p));
  }
  for (const std::string& line : events_.ReadNew()) {
    absl::StatusOr<TrainerEvent> e = ParseTrainerEvent(line);
    if (!e.ok()) {
      ++bad_lines_;
      LogBadLine(events_.path(), e.status());
      continue;
    }
    news.events.push_back(std::move(*e));
  }
  return news;
}

std::vector<MetricLine> ReadMetricsFile(const std::string& path) {
  std::vector<MetricLine> points;
  LineTailer tailer(path);
  for (const std::string& line : tailer.ReadNew()) {
    absl::StatusOr<MetricLine> p = ParseMetricLine(line);
    if (!p.ok()) {
      LogBadLine(path, p.status());
      continue;
    }
    points.push_back(std::move(*p));
  }
  return points;
}

}  // namespace sg
