// Follows a JSON-lines file that another process appends to (sg-train's metrics.jsonl and
// events.jsonl), returning each complete line once. The byte offset of the first unread line is
// kept, so every call reads only what was appended since; a partial last line (the writer is in
// the middle of it) is left for the next call. Lines are parsed with nlohmann::json: the trainer
// writes floats such as 1e-07 or NaN-free values in several forms, and a real parser rejects a
// torn or garbled line instead of misreading it.
//
// Thread-safety: not thread-safe; one owner.
#ifndef SG_WORKER_JSONL_TAILER_H_
#define SG_WORKER_JSONL_TAILER_H_

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sg {

class JsonlTailer {
 public:
  explicit JsonlTailer(std::string path) : path_(std::move(path)) {}

  // The objects of the complete lines appended since the last call, in file order. A missing
  // file reads as empty (the child may not have created it yet). Lines that are not a JSON
  // object are skipped and counted in bad_lines().
  std::vector<nlohmann::json> ReadNew();

  const std::string& path() const { return path_; }
  int64_t offset() const { return offset_; }
  int64_t bad_lines() const { return bad_lines_; }

 private:
  const std::string path_;
  int64_t offset_ = 0;  // first byte not yet returned (start of a line)
  int64_t bad_lines_ = 0;
};

// A metric point as sg-train writes it to metrics.jsonl: {"seed":0,"step":50,"metric":"val_loss",
// "value":1.25}. Returns false (and leaves *out alone) when a field is missing or mistyped.
struct TrainerPoint {
  int64_t seed = 0;
  int64_t step = 0;
  std::string metric;
  double value = 0;
};
bool ParseTrainerPoint(const nlohmann::json& line, TrainerPoint* out);

}  // namespace sg

#endif  // SG_WORKER_JSONL_TAILER_H_
