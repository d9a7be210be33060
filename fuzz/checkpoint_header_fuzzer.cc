// libFuzzer target: the checkpoint container's header and payload checks
// (trainer/api/checkpoint_file.h), which sg-worker runs on files in shared folders before it
// lets a run resume from them. Any bytes must be read or refused (kDataLoss), never crash.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "trainer/api/checkpoint_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/sg_checkpoint_fuzz_" + std::to_string(::getpid()) + ".pt";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  absl::StatusOr<sg::CheckpointHeader> header = sg::ReadCheckpointHeader(path);
  absl::StatusOr<sg::CheckpointContents> contents = sg::ReadCheckpointFile(path);
  // A file that reads in full has a header that reads, with the same step and identity.
  if (contents.ok() && (!header.ok() || header->step != contents->step ||
                        header->identity.run_id != contents->identity.run_id ||
                        header->payload_bytes != contents->payload.size())) {
    std::abort();
  }
  return 0;
}
