// A checkpoint payload as PackTrainer writes it (format 4 on): the small fields in a LibTorch
// archive, the large float32 arrays (the weights and both AdamW moments, [rows, P]) as raw
// bytes after it. LibTorch's archive sends every tensor through its zip writer, a growing
// string and a byte-wise checksum: 34 s for a 6-layer, 10-seed pack's 2.3 GB on the 2-core
// development machine, where copying the same bytes took 7 (docs/performance.md, "What a
// checkpoint costs"), and sg-train waits for every checkpoint. The container
// (trainer/api/checkpoint_file.h) checksums the whole payload, raw part included.
//
// Layout: the 8 bytes "SGSTATE4", the archive's size (uint64, little-endian), the archive,
// zeros up to a multiple of 64 bytes, then the raw arrays back to back, each float32
// little-endian, row-major. For each raw array the archive holds "raw_<name>": int64
// {byte offset in the raw part, rows, columns}. A payload without the magic is a whole
// LibTorch archive (formats up to 3), which the reader reads as before.
// Trainer-internal (LibTorch).
#ifndef SG_TRAINER_MODEL_STATE_PAYLOAD_H_
#define SG_TRAINER_MODEL_STATE_PAYLOAD_H_

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace sg {

class StatePayloadWriter {
 public:
  // A small tensor into the archive: copied to the host here.
  void Write(const std::string& name, const torch::Tensor& t);
  // A float32 [rows, columns] tensor (any device) as raw bytes; copied at Stage (or Finish),
  // so it must stay unchanged until then.
  void WriteRaw(const std::string& name, const torch::Tensor& t);
  // Copies the raw arrays given so far into one block of host memory this writer owns
  // (page-locked when they live on a GPU, so the copy runs at the bus's speed rather than
  // through the driver's pageable staging) and waits for the copy. From then on the writer
  // reads nothing the caller owns: Finish or Pieces may run on another thread while the caller's
  // tensors change (sg-train's checkpoints: its training thread waits only for this copy).
  void Stage();
  // The payload. Each raw array is copied once into it (from the device if there and not
  // staged); may be called once.
  std::string Finish();
  // The same bytes as pieces to write in order, with no copy of the raw arrays: `*head` gets
  // the magic, the archive's size, the archive and its padding, and the other pieces view the
  // raw arrays' host memory. They stay valid while both `*head` and this writer do. The raw
  // arrays must be on the host and contiguous: call after Stage (sg-train's checkpoints).
  // Finish or Pieces, once.
  std::vector<absl::string_view> Pieces(std::string* head);

 private:
  // The magic, the archive's size, the archive and zeros up to the raw part's start.
  std::string Head();

  torch::serialize::OutputArchive archive_;
  std::vector<torch::Tensor> raw_;
  int64_t raw_bytes_ = 0;
};

// Throws c10::Error for a payload it cannot parse (PackTrainer turns that into kDataLoss).
class StatePayloadReader {
 public:
  // `payload` must outlive the reader and the tensors it returns for raw arrays.
  explicit StatePayloadReader(const std::string& payload);
  // The field `name`: a raw array as a CPU view of the payload's bytes, anything else read
  // from the archive. Throws if there is none.
  torch::Tensor Read(const std::string& name);
  // The same; false if there is none.
  bool TryRead(const std::string& name, torch::Tensor& out);

 private:
  const std::string& payload_;
  torch::serialize::InputArchive archive_;
  int64_t raw_begin_ = 0;  // in payload_; 0: no raw part (a whole archive)
};

}  // namespace sg

#endif  // SG_TRAINER_MODEL_STATE_PAYLOAD_H_
