#include "trainer/api/checkpoint_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace sg {
namespace {

constexpr char kMagic[8] = {'S', 'G', 'C', 'K', 'P', 'T', '0', '1'};
// Full-state files keep version 2 (see the header comment); weights-only files need version 3.
constexpr uint32_t kFullStateVersion = 2;
constexpr uint32_t kWeightsOnlyVersion = 3;
constexpr size_t kHeaderSizeV1 = 8 + 4 + 4 + 8 + 8;
constexpr size_t kHeaderSizeV2 = kHeaderSizeV1 + 3 * 8;
constexpr size_t kHeaderSizeV3 = kHeaderSizeV2 + 8;
constexpr uint64_t kFlagWeightsOnly = 1;

// The CRC-32 of the pieces' concatenation.
uint32_t Crc32(const std::vector<absl::string_view>& pieces) {
  uLong crc = crc32(0L, Z_NULL, 0);
  for (absl::string_view piece : pieces) {
    const char* p = piece.data();
    size_t left = piece.size();
    while (left > 0) {  // zlib takes uInt lengths
      const uInt chunk = static_cast<uInt>(std::min<size_t>(left, 1u << 30));
      crc = crc32(crc, reinterpret_cast<const Bytef*>(p), chunk);
      p += chunk;
      left -= chunk;
    }
  }
  return static_cast<uint32_t>(crc);
}

uint32_t Crc32(const std::string& data) { return Crc32(std::vector<absl::string_view>{data}); }

template <typename T>
void PutLE(std::string* out, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) {
    out->push_back(static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff));
  }
}

template <typename T>
T GetLE(const char* p) {
  uint64_t v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  }
  return static_cast<T>(v);
}

absl::Status ErrnoStatus(const std::string& what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status WriteAll(int fd, const char* p, size_t n, const std::string& path) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write", path);
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return absl::OkStatus();
}

absl::Status FsyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return ErrnoStatus("open folder", dir);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return ErrnoStatus("fsync folder", dir);
  return absl::OkStatus();
}

bool ParseCheckpointName(const std::string& name, int64_t* step) {  // see CheckpointStepFromName
  const std::string prefix = "ckpt-", suffix = ".pt";
  if (name.size() <= prefix.size() + suffix.size()) return false;
  if (name.compare(0, prefix.size(), prefix) != 0) return false;
  if (name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) return false;
  const std::string digits =
      name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  if (digits.empty() ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  return absl::SimpleAtoi(digits, step);
}

// The header's fields from the first bytes of a file; *header_size is where the payload starts.
absl::StatusOr<CheckpointHeader> ParseHeader(const std::string& data, const std::string& path,
                                             size_t* header_size) {
  if (data.size() < kHeaderSizeV1 || std::memcmp(data.data(), kMagic, sizeof(kMagic)) != 0) {
    return absl::DataLossError(absl::StrCat("checkpoint ", path, ": bad or truncated header"));
  }
  const char* p = data.data() + sizeof(kMagic);
  const uint32_t version = GetLE<uint32_t>(p);
  CheckpointHeader h;
  h.step = GetLE<int64_t>(p + 8);
  h.payload_bytes = GetLE<uint64_t>(p + 16);
  if (version == 1) {
    *header_size = kHeaderSizeV1;
    return h;
  }
  if (version != 2 && version != 3) {
    return absl::DataLossError(
        absl::StrCat("checkpoint ", path, ": unknown header version ", version));
  }
  const size_t size = version == 2 ? kHeaderSizeV2 : kHeaderSizeV3;
  if (data.size() < size) {
    return absl::DataLossError(absl::StrCat("checkpoint ", path, ": truncated header"));
  }
  h.identity.known = true;
  h.identity.sweep_id = GetLE<int64_t>(p + 24);
  h.identity.run_id = GetLE<int64_t>(p + 32);
  h.identity.seed = GetLE<int64_t>(p + 40);
  if (version == 3) {
    const uint64_t flags = GetLE<uint64_t>(p + 48);
    if ((flags & ~kFlagWeightsOnly) != 0) {
      return absl::DataLossError(absl::StrCat("checkpoint ", path, ": unknown header flags ",
                                              flags));
    }
    if ((flags & kFlagWeightsOnly) != 0) h.content = CheckpointContent::kWeightsOnly;
  }
  *header_size = size;
  return h;
}

}  // namespace

int64_t CheckpointStepFromName(const std::string& file_name) {
  int64_t step = 0;
  return ParseCheckpointName(file_name, &step) ? step : -1;
}

std::string CheckpointPath(const std::string& dir, int64_t step) {
  return absl::StrFormat("%s/ckpt-%012d.pt", dir, step);
}

absl::StatusOr<std::string> WriteCheckpointFile(const std::string& dir, int64_t step,
                                                const std::string& payload, int keep,
                                                const CheckpointIdentity& identity,
                                                CheckpointContent content) {
  return WriteCheckpointFile(dir, step, std::vector<absl::string_view>{payload}, keep, identity,
                             content);
}

absl::StatusOr<std::string> WriteCheckpointFile(const std::string& dir, int64_t step,
                                                const std::vector<absl::string_view>& payload,
                                                int keep, const CheckpointIdentity& identity,
                                                CheckpointContent content) {
  const bool weights_only = content == CheckpointContent::kWeightsOnly;
  uint64_t payload_size = 0;
  for (absl::string_view piece : payload) payload_size += piece.size();
  std::string header;
  header.append(kMagic, sizeof(kMagic));
  PutLE<uint32_t>(&header, weights_only ? kWeightsOnlyVersion : kFullStateVersion);
  PutLE<uint32_t>(&header, Crc32(payload));
  PutLE<int64_t>(&header, step);
  PutLE<uint64_t>(&header, payload_size);
  PutLE<int64_t>(&header, identity.sweep_id);
  PutLE<int64_t>(&header, identity.run_id);
  PutLE<int64_t>(&header, identity.seed);
  if (weights_only) PutLE<uint64_t>(&header, kFlagWeightsOnly);

  const std::string path = CheckpointPath(dir, step);
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("create", tmp);
  absl::Status st = WriteAll(fd, header.data(), header.size(), tmp);
  for (absl::string_view piece : payload) {
    if (st.ok()) st = WriteAll(fd, piece.data(), piece.size(), tmp);
  }
  if (st.ok() && ::fsync(fd) != 0) st = ErrnoStatus("fsync", tmp);
  ::close(fd);
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    st = ErrnoStatus("rename to", path);
    ::unlink(tmp.c_str());
    return st;
  }
  absl::Status dir_st = FsyncDir(dir);
  if (!dir_st.ok()) return dir_st;

  // Prune only after the new file is durable, so a valid checkpoint always exists.
  std::vector<CheckpointRef> all = ListCheckpoints(dir);
  for (size_t i = static_cast<size_t>(std::max(keep, 1)); i < all.size(); ++i) {
    ::unlink(all[i].path.c_str());
  }
  return path;
}

void PruneCheckpoints(const std::string& dir, const CheckpointRetention& retention,
                      int64_t at_least) {
  const std::vector<CheckpointRef> all = ListCheckpoints(dir);  // newest first
  const int64_t newest = retention.NewestKept(at_least);
  for (size_t i = 0; i < all.size(); ++i) {
    if (static_cast<int64_t>(i) < newest || retention.KeepsStep(all[i].step)) continue;
    ::unlink(all[i].path.c_str());
  }
}

absl::StatusOr<int> ThinAnalysisCheckpoints(const std::string& dir,
                                            const CheckpointRetention& retention,
                                            int64_t at_least, const WeightsOnlyFn& weights_only) {
  const std::vector<CheckpointRef> all = ListCheckpoints(dir);  // newest first
  const int64_t newest = retention.NewestKept(at_least);
  int thinned = 0;
  // Full-state files with a higher step: a file is thinned only behind `newest` of them, so a
  // folder whose newest files are already weights-only (a run restarted after its full files
  // were lost) keeps its new full-state files to resume from.
  int64_t full_newer = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    absl::StatusOr<CheckpointHeader> header = ReadCheckpointHeader(all[i].path);
    // A torn or foreign file is neither resumable nor ours to rewrite.
    if (!header.ok() || header->content == CheckpointContent::kWeightsOnly) continue;
    if (full_newer < newest || !retention.KeepsStep(all[i].step)) {
      ++full_newer;
      continue;
    }
    absl::StatusOr<CheckpointContents> contents = ReadCheckpointFile(all[i].path);
    if (!contents.ok()) return contents.status();
    absl::StatusOr<std::string> payload = weights_only(contents->payload);
    if (!payload.ok()) {
      return absl::Status(payload.status().code(),
                          absl::StrCat("thinning ", all[i].path, ": ", payload.status().message()));
    }
    absl::StatusOr<std::string> written =
        WriteCheckpointFile(dir, contents->step, *payload, std::numeric_limits<int>::max(),
                            contents->identity, CheckpointContent::kWeightsOnly);
    if (!written.ok()) return written.status();
    ++thinned;
  }
  return thinned;
}

std::vector<CheckpointRef> ListCheckpoints(const std::string& dir) {
  std::vector<CheckpointRef> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (struct dirent* e = ::readdir(d)) {
    int64_t step = 0;
    const std::string name = e->d_name;
    if (ParseCheckpointName(name, &step)) out.push_back({step, dir + "/" + name});
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(),
            [](const CheckpointRef& a, const CheckpointRef& b) { return a.step > b.step; });
  return out;
}

absl::StatusOr<CheckpointContents> ReadCheckpointFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open checkpoint ", path));
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t header_size = 0;
  absl::StatusOr<CheckpointHeader> header = ParseHeader(data, path, &header_size);
  if (!header.ok()) return header.status();
  const uint32_t crc = GetLE<uint32_t>(data.data() + sizeof(kMagic) + 4);
  if (header->payload_bytes != data.size() - header_size) {
    return absl::DataLossError(absl::StrCat("checkpoint ", path, ": payload is ",
                                            data.size() - header_size, " bytes, header says ",
                                            header->payload_bytes, " (partial write?)"));
  }
  CheckpointContents out;
  out.step = header->step;
  out.identity = header->identity;
  out.content = header->content;
  out.payload = data.substr(header_size);
  if (Crc32(out.payload) != crc) {
    return absl::DataLossError(absl::StrCat("checkpoint ", path, ": checksum mismatch"));
  }
  return out;
}

absl::StatusOr<CheckpointHeader> ReadCheckpointHeader(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open checkpoint ", path));
  std::string data(kHeaderSizeV3, '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<size_t>(in.gcount()));
  size_t header_size = 0;
  return ParseHeader(data, path, &header_size);
}

}  // namespace sg
