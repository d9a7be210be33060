// Follows a file that another process appends lines to (sg-train's metrics.jsonl and
// events.jsonl), returning each complete line once. The byte offset of the first unread line is
// kept, so every call reads only what was appended since; a partial last line (the writer is in
// the middle of it) is left for the next call. What a line means is not this class's business:
// trainer/api/trainer_lines.h parses it.
//
// Thread-safety: not thread-safe; one owner.
#ifndef SG_WORKER_LINE_TAILER_H_
#define SG_WORKER_LINE_TAILER_H_

#include <cstdint>
#include <string>
#include <vector>

namespace sg {

class LineTailer {
 public:
  explicit LineTailer(std::string path) : path_(std::move(path)) {}

  // The complete, non-blank lines appended since the last call (without their newline), in
  // file order. A missing file reads as empty (the child may not have created it yet); a file
  // that shrank (a new writer started over) is read again from its start.
  std::vector<std::string> ReadNew();

  const std::string& path() const { return path_; }
  int64_t offset() const { return offset_; }

 private:
  const std::string path_;
  int64_t offset_ = 0;  // first byte not yet returned (start of a line)
};

}  // namespace sg

#endif  // SG_WORKER_LINE_TAILER_H_
