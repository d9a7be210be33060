// Times one checkpoint of a pack of the paper's model (d 512, 8 heads, FF 2048; QF's 73 ids),
// phase by phase, as sg-train writes it (trainer/train_pack.cc, Checkpoint): the stage
// (PackTrainer::StageState: weights and both AdamW moments copied off the device into
// page-locked memory), then the file straight from that block (StatePayloadWriter::Pieces,
// WriteCheckpointFile: CRC-32, write, fsync, rename), checked against SaveState's payload.
// sg-train's training thread waits for the stage only; the file is written on a thread of its
// own beside the training. Also timed: SaveState, the payload straight from the device (what
// the training thread waited for in session 22; before it, for that and the file):
// docs/performance.md, "What a checkpoint costs".
//   usage: sg-checkpoint-bench [--layers L] [--seeds S] [--device cpu|cuda[:N]] [--dir DIR]
//                              [--repeat N]
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "trainer/api/checkpoint_file.h"
#include "trainer/model/pack_trainer.h"
#include "trainer/model/state_payload.h"

namespace sg {
namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int Usage(const std::string& error) {
  std::fprintf(stderr,
               "sg-checkpoint-bench: %s\nusage: sg-checkpoint-bench [--layers L] [--seeds S] "
               "[--device cpu|cuda[:N]] [--dir DIR] [--repeat N]\n",
               error.c_str());
  return 2;
}

int Main(int argc, char** argv) {
  int64_t layers = 6, seeds = 10, repeat = 3;
  std::string device_name = "cpu", dir = "/tmp/sg-checkpoint-bench";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    char* end = nullptr;
    const long long n = std::strtoll(value.c_str(), &end, 10);
    const bool number = end != value.c_str() && *end == '\0' && n >= 1;
    if (flag == "--layers" && number) {
      layers = n;
    } else if (flag == "--seeds" && number) {
      seeds = n;
    } else if (flag == "--repeat" && number) {
      repeat = n;
    } else if (flag == "--device") {
      device_name = value;
    } else if (flag == "--dir") {
      dir = value;
    } else {
      return Usage("bad argument '" + flag + " " + value + "'");
    }
  }
  if (argc % 2 == 0) return Usage(std::string("missing value after ") + argv[argc - 1]);
  // A folder of its own inside --dir, removed at the end: WriteCheckpointFile keeps only the
  // newest file of a folder, and an older run's files there must neither be deleted nor win.
  dir = (std::filesystem::path(dir) / ("sg-checkpoint-bench-" + std::to_string(::getpid())))
            .string();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Usage("--dir: cannot create " + dir + ": " + ec.message());
  struct RemoveAtExit {
    std::string dir;
    ~RemoveAtExit() {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  } remove_at_exit{dir};

  PackTrainerOptions o;
  o.config.depth = layers;
  o.num_ids = 73;
  o.sos_id = 72;
  o.eos_id = 71;
  o.device = torch::Device(device_name);
  o.cuda_graphs = false;
  for (int64_t s = 0; s < seeds; ++s) o.seeds.push_back(s);
  const std::vector<TokenIds> train = {{1, 2, 3, 71}};
  PackTrainer trainer(o, &train);
  const int64_t params = trainer.model().flat().numel();
  std::printf("sg-checkpoint-bench: %lld layers, %lld seeds, %lld parameters (x3 with the "
              "moments) on %s, into %s\n",
              static_cast<long long>(layers), static_cast<long long>(seeds),
              static_cast<long long>(params), device_name.c_str(), dir.c_str());
  std::printf("payload MB  SaveState s  stage s  file s (from the staged block)\n");
  for (int64_t r = 0; r < repeat; ++r) {
    const double t0 = Now();
    const std::string straight = trainer.SaveState();
    const double t1 = Now();
    std::unique_ptr<StatePayloadWriter> staged = trainer.StageState();
    const double t2 = Now();
    std::string head;
    const std::vector<absl::string_view> pieces = staged->Pieces(&head);
    absl::StatusOr<std::string> path =
        WriteCheckpointFile(dir, r + 1, pieces, /*keep=*/1, CheckpointIdentity{});
    staged.reset();  // its page-locked block back to LibTorch's cache, as in sg-train
    const double t3 = Now();
    if (!path.ok()) {
      std::fprintf(stderr, "sg-checkpoint-bench: %s\n", path.status().ToString().c_str());
      return 1;
    }
    absl::StatusOr<CheckpointContents> back = ReadCheckpointFile(*path);
    if (!back.ok() || back->payload != straight) {
      std::fprintf(stderr, "sg-checkpoint-bench: the file's payload differs from SaveState's\n");
      return 1;
    }
    std::printf("%10.0f  %11.2f  %7.2f  %6.2f\n", straight.size() / 1e6, t1 - t0, t2 - t1,
                t3 - t2);
  }
  return 0;
}

}  // namespace
}  // namespace sg

int main(int argc, char** argv) { return sg::Main(argc, argv); }
