#include "trainer/model/state_payload.h"

#include <cstring>
#include <sstream>

namespace sg {
namespace {

constexpr char kMagic[8] = {'S', 'G', 'S', 'T', 'A', 'T', 'E', '4'};
constexpr int64_t kHeaderBytes = 16;  // the magic and the archive's size
constexpr int64_t kAlign = 64;        // where the raw part starts

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the raw part is written in host byte order, read as little-endian");

int64_t RoundUp(int64_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

}  // namespace

void StatePayloadWriter::Write(const std::string& name, const torch::Tensor& t) {
  // The archive keeps the tensor itself until Finish: a copy, so a field the caller changes
  // after a Stage (a CPU pack's accumulators: .cpu() is no copy there) is saved as given.
  torch::NoGradGuard no_grad;
  archive_.write(name, t.to(torch::kCPU, /*non_blocking=*/false, /*copy=*/true));
}

void StatePayloadWriter::WriteRaw(const std::string& name, const torch::Tensor& t) {
  TORCH_CHECK(t.dim() == 2 && t.scalar_type() == torch::kFloat32,
              "raw payload array ", name, ": expected float32 [rows, columns]");
  archive_.write("raw_" + name, torch::tensor({raw_bytes_, t.size(0), t.size(1)}, torch::kInt64));
  raw_.push_back(t);
  raw_bytes_ += t.numel() * static_cast<int64_t>(sizeof(float));
}

void StatePayloadWriter::Stage() {
  if (raw_.empty()) return;
  torch::NoGradGuard no_grad;  // plain copies, whatever the arrays are views of
  torch::TensorOptions options = torch::TensorOptions().dtype(torch::kFloat32);
  // LibTorch's pinned allocator caches blocks, so the next checkpoint's Stage reuses this
  // one; one block rather than one per array, since it rounds each size up to a power of 2.
  if (raw_.front().is_cuda()) options = options.pinned_memory(true);
  torch::Tensor block = torch::empty({raw_bytes_ / static_cast<int64_t>(sizeof(float))}, options);
  int64_t at = 0;
  for (torch::Tensor& t : raw_) {
    torch::Tensor staged = block.narrow(0, at, t.numel()).view(t.sizes());
    staged.copy_(t);  // blocking: done (with the work queued before it) when copy_ returns
    at += t.numel();
    t = staged;
  }
}

std::string StatePayloadWriter::Head() {
  std::ostringstream archive;
  archive_.save_to(archive);
  const std::string bytes = archive.str();
  const int64_t archive_bytes = static_cast<int64_t>(bytes.size());
  std::string head(static_cast<size_t>(RoundUp(kHeaderBytes + archive_bytes)), '\0');
  std::memcpy(&head[0], kMagic, sizeof(kMagic));
  const uint64_t size = static_cast<uint64_t>(archive_bytes);
  std::memcpy(&head[8], &size, sizeof(size));
  std::memcpy(&head[kHeaderBytes], bytes.data(), bytes.size());
  return head;
}

std::vector<absl::string_view> StatePayloadWriter::Pieces(std::string* head) {
  torch::NoGradGuard no_grad;
  *head = Head();
  std::vector<absl::string_view> out = {*head};
  for (const torch::Tensor& t : raw_) {
    TORCH_CHECK(t.is_cpu() && t.is_contiguous(),
                "state payload pieces: raw arrays must be staged on the host first");
    out.emplace_back(static_cast<const char*>(t.data_ptr()),
                     static_cast<size_t>(t.numel()) * sizeof(float));
  }
  return out;
}

std::string StatePayloadWriter::Finish() {
  torch::NoGradGuard no_grad;
  std::string out = Head();
  const int64_t raw_begin = static_cast<int64_t>(out.size());
  out.resize(static_cast<size_t>(raw_begin + raw_bytes_));
  int64_t at = raw_begin;
  for (const torch::Tensor& t : raw_) {
    // One copy, from wherever t lives into the payload's bytes.
    torch::from_blob(&out[at], t.sizes(), torch::TensorOptions().dtype(torch::kFloat32))
        .copy_(t);
    at += t.numel() * static_cast<int64_t>(sizeof(float));
  }
  raw_.clear();
  return out;
}

StatePayloadReader::StatePayloadReader(const std::string& payload) : payload_(payload) {
  const int64_t n = static_cast<int64_t>(payload.size());
  if (n >= kHeaderBytes && std::memcmp(payload.data(), kMagic, sizeof(kMagic)) == 0) {
    uint64_t archive_bytes = 0;
    std::memcpy(&archive_bytes, payload.data() + 8, sizeof(archive_bytes));
    TORCH_CHECK(archive_bytes <= static_cast<uint64_t>(n - kHeaderBytes),
                "state payload: its archive runs past its end");
    raw_begin_ = RoundUp(kHeaderBytes + static_cast<int64_t>(archive_bytes));
    TORCH_CHECK(raw_begin_ <= n, "state payload: truncated before its raw part");
    archive_.load_from(payload.data() + kHeaderBytes, static_cast<size_t>(archive_bytes),
                       torch::Device(torch::kCPU));
  } else {
    archive_.load_from(payload.data(), payload.size(), torch::Device(torch::kCPU));
  }
}

bool StatePayloadReader::TryRead(const std::string& name, torch::Tensor& out) {
  torch::Tensor where;
  if (raw_begin_ > 0 && archive_.try_read("raw_" + name, where)) {
    TORCH_CHECK(where.scalar_type() == torch::kInt64 && where.numel() == 3,
                "state payload: bad entry for raw array ", name);
    const int64_t offset = where[0].item<int64_t>(), rows = where[1].item<int64_t>(),
                  cols = where[2].item<int64_t>();
    const int64_t raw_size = static_cast<int64_t>(payload_.size()) - raw_begin_;
    TORCH_CHECK(offset >= 0 && offset % static_cast<int64_t>(sizeof(float)) == 0 && rows >= 0 &&
                    cols >= 0 && (rows == 0 || cols <= raw_size / 4 / rows) &&
                    offset + rows * cols * static_cast<int64_t>(sizeof(float)) <= raw_size,
                "state payload: raw array ", name, " lies outside the payload");
    // from_blob does not own the bytes: a view of the caller's payload.
    out = torch::from_blob(const_cast<char*>(payload_.data()) + raw_begin_ + offset,
                           {rows, cols}, torch::TensorOptions().dtype(torch::kFloat32));
    return true;
  }
  return archive_.try_read(name, out);
}

torch::Tensor StatePayloadReader::Read(const std::string& name) {
  torch::Tensor out;
  TORCH_CHECK(TryRead(name, out), "state payload: no field ", name);
  return out;
}

}  // namespace sg
