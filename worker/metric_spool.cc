#include "worker/metric_spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "trainer/api/trainer_lines.h"

#include "absl/strings/str_cat.h"

namespace sg {

namespace {

std::string Encode(const SpooledPoint& p) {
  nlohmann::json j = {{"run", p.run_id}, {"token", p.lease_token}, {"metric", p.metric},
                      {"step", p.step},  {"value", MetricValueJson(p.value)}};
  return j.dump() + "\n";
}

bool Decode(const std::string& line, SpooledPoint* p) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return false;
  try {
    p->run_id = j.at("run").get<int64_t>();
    p->lease_token = j.at("token").get<std::string>();
    p->metric = j.at("metric").get<std::string>();
    p->step = j.at("step").get<int64_t>();
    absl::StatusOr<double> value = ParseMetricValueJson(j.at("value"));
    if (!value.ok()) return false;
    p->value = *value;
  } catch (const nlohmann::json::exception&) {
    return false;
  }
  return true;
}

absl::Status ErrnoError(const std::string& what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

// Writes all of `data` to fd and fsyncs it.
absl::Status WriteAllAndSync(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("write", path);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return ErrnoError("fsync", path);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricSpool>> MetricSpool::Open(const std::string& path) {
  std::unique_ptr<MetricSpool> spool(new MetricSpool(path));
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  std::ifstream in(path, std::ios::binary);
  if (in) {
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string text = buffer.str();
    size_t start = 0;
    bool torn = false;
    while (start < text.size()) {
      size_t nl = text.find('\n', start);
      if (nl == std::string::npos) {
        torn = true;
        break;
      }
      SpooledPoint p;
      if (Decode(text.substr(start, nl - start), &p)) {
        spool->pending_.push_back(std::move(p));
      } else {
        torn = true;
      }
      start = nl + 1;
    }
    // Rewrite without the torn bytes, so later appends start on a line boundary.
    if (torn) {
      absl::Status s = spool->Rewrite();
      if (!s.ok()) return s;
    }
  } else {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoError("create", path);
    ::close(fd);
  }
  return spool;
}

absl::Status MetricSpool::Append(const std::vector<SpooledPoint>& points) {
  if (points.empty()) return absl::OkStatus();
  std::string data;
  for (const SpooledPoint& p : points) data += Encode(p);
  int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("open", path_);
  absl::Status s = WriteAllAndSync(fd, data, path_);
  ::close(fd);
  if (!s.ok()) return s;
  pending_.insert(pending_.end(), points.begin(), points.end());
  return absl::OkStatus();
}

absl::Status MetricSpool::Ack(size_t n) {
  if (n == 0) return absl::OkStatus();
  if (n > pending_.size()) n = pending_.size();
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
  return Rewrite();
}

absl::Status MetricSpool::DropRun(int64_t run_id) {
  size_t before = pending_.size();
  std::deque<SpooledPoint> kept;
  for (SpooledPoint& p : pending_) {
    if (p.run_id != run_id) kept.push_back(std::move(p));
  }
  pending_ = std::move(kept);
  if (pending_.size() == before) return absl::OkStatus();
  return Rewrite();
}

absl::Status MetricSpool::DropPoint(int64_t run_id, const std::string& metric, int64_t step) {
  size_t before = pending_.size();
  std::deque<SpooledPoint> kept;
  for (SpooledPoint& p : pending_) {
    if (p.run_id != run_id || p.metric != metric || p.step != step) kept.push_back(std::move(p));
  }
  pending_ = std::move(kept);
  if (pending_.size() == before) return absl::OkStatus();
  return Rewrite();
}

bool MetricSpool::AllAckedUpTo(int64_t run_id, int64_t step) const {
  for (const SpooledPoint& p : pending_) {
    if (p.run_id == run_id && p.step <= step) return false;
  }
  return true;
}

absl::Status MetricSpool::Remove() {
  pending_.clear();
  std::error_code ec;
  std::filesystem::remove(path_, ec);
  if (ec) return absl::InternalError(absl::StrCat("remove ", path_, ": ", ec.message()));
  return absl::OkStatus();
}

absl::Status MetricSpool::Rewrite() {
  // Temp file, fsync, rename: a crash leaves either the old spool or the new one, never a mix.
  const std::string tmp = path_ + ".tmp";
  std::string data;
  for (const SpooledPoint& p : pending_) data += Encode(p);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("open", tmp);
  absl::Status s = WriteAllAndSync(fd, data, tmp);
  ::close(fd);
  if (!s.ok()) return s;
  if (::rename(tmp.c_str(), path_.c_str()) != 0) return ErrnoError("rename", tmp);
  return absl::OkStatus();
}

}  // namespace sg
