// Append-only JSON-lines files of an sg-train output folder. Torch-free. Not thread-safe.
//   metrics.jsonl: {"seed":S,"step":N,"metric":"val_acc","value":0.91}  (value null if not finite)
//   events.jsonl:  {"event":"checkpoint","step":N,"path":"..."} and the others in docs/trainer.md
#ifndef SG_TRAINER_METRICS_LOG_H_
#define SG_TRAINER_METRICS_LOG_H_

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sg {

class JsonLinesFile {
 public:
  static absl::StatusOr<JsonLinesFile> OpenForAppend(const std::string& path);
  JsonLinesFile(JsonLinesFile&& other) noexcept;
  JsonLinesFile& operator=(JsonLinesFile&& other) noexcept;
  ~JsonLinesFile();

  // One line (no newline in `json`). Buffered until Flush.
  absl::Status Append(const std::string& json);
  // fflush, and fsync when `durable`.
  absl::Status Flush(bool durable);

 private:
  JsonLinesFile(std::FILE* f, std::string path) : file_(f), path_(std::move(path)) {}
  std::FILE* file_ = nullptr;
  std::string path_;
};

// {"seed":..,"step":..,"metric":..,"value":..}
std::string MetricJson(int64_t seed, int64_t step, const std::string& metric, double value);

}  // namespace sg

#endif  // SG_TRAINER_METRICS_LOG_H_
