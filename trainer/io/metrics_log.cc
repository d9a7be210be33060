#include "trainer/io/metrics_log.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace sg {

absl::StatusOr<JsonLinesFile> JsonLinesFile::OpenForAppend(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr) {
    return absl::InternalError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  return JsonLinesFile(f, path);
}

JsonLinesFile::JsonLinesFile(JsonLinesFile&& other) noexcept
    : file_(other.file_), path_(std::move(other.path_)) {
  other.file_ = nullptr;
}

JsonLinesFile& JsonLinesFile::operator=(JsonLinesFile&& other) noexcept {
  if (this != &other) {
    if (file_ != nullptr) std::fclose(file_);
    file_ = other.file_;
    path_ = std::move(other.path_);
    other.file_ = nullptr;
  }
  return *this;
}

JsonLinesFile::~JsonLinesFile() {
  if (file_ != nullptr) std::fclose(file_);
}

absl::Status JsonLinesFile::Append(const std::string& json) {
  if (std::fputs(json.c_str(), file_) < 0 || std::fputc('\n', file_) == EOF) {
    return absl::InternalError(absl::StrCat("write ", path_, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status JsonLinesFile::Flush(bool durable) {
  if (std::fflush(file_) != 0) {
    return absl::InternalError(absl::StrCat("flush ", path_, ": ", std::strerror(errno)));
  }
  if (durable && ::fsync(fileno(file_)) != 0) {
    return absl::InternalError(absl::StrCat("fsync ", path_, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace sg
