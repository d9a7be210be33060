// Append-only JSON-lines files of an sg-train output folder (metrics.jsonl, events.jsonl; their
// lines are encoded by trainer/api/trainer_lines.h). Torch-free. Not thread-safe.
#ifndef SG_TRAINER_IO_METRICS_LOG_H_
#define SG_TRAINER_IO_METRICS_LOG_H_

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

}  // namespace sg

#endif  // SG_TRAINER_IO_METRICS_LOG_H_
