#include "trainer/api/checkpoint_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <fstream>
#include <string>
#include <vector>

namespace sg {
namespace {

std::string TempDir() {
  std::string tmpl = "/tmp/sg_ckpt_test_XXXXXX";
  char* d = ::mkdtemp(tmpl.data());
  EXPECT_NE(d, nullptr);
  return tmpl;
}

TEST(CheckpointFileTest, RoundTripAndKeepsNewest) {
  const std::string dir = TempDir();
  for (int64_t step : {10, 20, 30}) {
    auto path = WriteCheckpointFile(dir, step, "payload-" + std::to_string(step), 2, {});
    ASSERT_TRUE(path.ok()) << path.status();
  }
  auto list = ListCheckpoints(dir);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].step, 30);
  EXPECT_EQ(list[1].step, 20);
  auto c = ReadCheckpointFile(list[0].path);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->step, 30);
  EXPECT_EQ(c->payload, "payload-30");
  EXPECT_EQ(list[0].path, CheckpointPath(dir, 30));
}

TEST(CheckpointFileTest, APayloadInPiecesMakesTheSameFile) {
  const std::string dir = TempDir(), other = dir + "/other";
  std::filesystem::create_directories(other);
  const std::string head = "head", big(3000, 'b'), tail = "tail";
  CheckpointIdentity id;
  id.known = true;
  id.run_id = 4;
  auto whole = WriteCheckpointFile(dir, 7, head + big + tail, 2, id);
  auto pieces = WriteCheckpointFile(
      other, 7, std::vector<absl::string_view>{head, big, absl::string_view(), tail}, 2, id);
  ASSERT_TRUE(whole.ok() && pieces.ok());
  auto read = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  EXPECT_EQ(read(*pieces), read(*whole));  // header, CRC and bytes
  auto c = ReadCheckpointFile(*pieces);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->payload, head + big + tail);
}

TEST(CheckpointFileTest, DetectsCorruptionAndTruncation) {
  const std::string dir = TempDir();
  auto path = WriteCheckpointFile(dir, 5, std::string(1000, 'x'), 2, {});
  ASSERT_TRUE(path.ok());
  {
    std::fstream f(*path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(500);
    f.put('y');
  }
  EXPECT_EQ(ReadCheckpointFile(*path).status().code(), absl::StatusCode::kDataLoss);
  ASSERT_TRUE(WriteCheckpointFile(dir, 6, std::string(1000, 'x'), 2, {}).ok());
  ASSERT_EQ(::truncate(CheckpointPath(dir, 6).c_str(), 700), 0);
  EXPECT_EQ(ReadCheckpointFile(CheckpointPath(dir, 6)).status().code(),
            absl::StatusCode::kDataLoss);
  ASSERT_EQ(::truncate(CheckpointPath(dir, 6).c_str(), 3), 0);
  EXPECT_EQ(ReadCheckpointFile(CheckpointPath(dir, 6)).status().code(),
            absl::StatusCode::kDataLoss);
  // Temp files and strangers are not checkpoints.
  std::ofstream(dir + "/ckpt-000000000007.pt.tmp") << "partial";
  std::ofstream(dir + "/ckpt-abc.pt") << "x";
  auto list = ListCheckpoints(dir);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].step, 6);
}

TEST(CheckpointFileTest, PrunesByRetention) {
  auto steps_left = [](const std::string& dir) {
    std::vector<int64_t> out;
    for (const CheckpointRef& r : ListCheckpoints(dir)) out.push_back(r.step);
    return out;
  };
  auto write_all = [](const std::string& dir) {
    for (int64_t step = 10; step <= 80; step += 10) {
      ASSERT_TRUE(WriteCheckpointFile(dir, step, "p", 1000, {}).ok());
    }
  };
  const std::string last = TempDir(), every = TempDir(), all = TempDir();
  write_all(last);
  PruneCheckpoints(last, *ParseCheckpointRetention("last 3"), 2);
  EXPECT_EQ(steps_left(last), (std::vector<int64_t>{80, 70, 60}));
  write_all(every);
  PruneCheckpoints(every, *ParseCheckpointRetention("every 30 steps"), 2);
  EXPECT_EQ(steps_left(every), (std::vector<int64_t>{80, 70, 60, 30}));  // newest 2 + multiples
  write_all(all);
  PruneCheckpoints(all, *ParseCheckpointRetention("all"), 2);
  EXPECT_EQ(steps_left(all).size(), 8u);
}

}  // namespace
}  // namespace sg

namespace sg {
namespace {

TEST(CheckpointFileTest, HeaderNamesItsRun) {
  const std::string dir = TempDir();
  CheckpointIdentity id;
  id.sweep_id = 7;
  id.run_id = 42;
  id.seed = 3;
  auto path = WriteCheckpointFile(dir, 100, "state", 1, id);
  ASSERT_TRUE(path.ok()) << path.status();
  auto header = ReadCheckpointHeader(*path);
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_TRUE(header->identity.known);
  EXPECT_EQ(header->identity.sweep_id, 7);
  EXPECT_EQ(header->identity.run_id, 42);
  EXPECT_EQ(header->identity.seed, 3);
  EXPECT_EQ(header->step, 100);
  EXPECT_EQ(header->payload_bytes, 5u);
  auto full = ReadCheckpointFile(*path);
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_EQ(full->identity.run_id, 42);
  EXPECT_EQ(full->payload, "state");
}

TEST(CheckpointFileTest, ReadsVersionOneFilesWithoutIdentity) {
  const std::string dir = TempDir();
  // A version-1 file as earlier sg-train wrote it: magic, version 1, CRC, step, size, payload.
  std::string bytes = "SGCKPT01";
  auto put = [&](uint64_t v, int n) {
    for (int i = 0; i < n; ++i) bytes.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  put(1, 4);
  put(0x3610a686u, 4);  // crc32("hello")
  put(9, 8);
  put(5, 8);
  bytes += "hello";
  std::ofstream(dir + "/ckpt-000000000009.pt", std::ios::binary) << bytes;
  auto c = ReadCheckpointFile(dir + "/ckpt-000000000009.pt");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->identity.known);
  EXPECT_EQ(c->step, 9);
  EXPECT_EQ(c->payload, "hello");
}

TEST(CheckpointFileTest, StepFromName) {
  EXPECT_EQ(CheckpointStepFromName("ckpt-000000000300.pt"), 300);
  EXPECT_EQ(CheckpointStepFromName("ckpt-000000000300.pt.tmp"), -1);
  EXPECT_EQ(CheckpointStepFromName("ckpt-.pt"), -1);
  EXPECT_EQ(CheckpointStepFromName("metrics.jsonl"), -1);
}

}  // namespace
}  // namespace sg

namespace sg {
namespace {

TEST(CheckpointFileTest, ThinsAnalysisCheckpointsToWeightsOnly) {
  const std::string dir = TempDir();
  CheckpointIdentity id;
  id.known = true;
  id.sweep_id = 2;
  id.run_id = 9;
  id.seed = 4;
  for (int64_t step = 10; step <= 50; step += 10) {
    ASSERT_TRUE(WriteCheckpointFile(dir, step, "full-" + std::to_string(step), 1000, id).ok());
  }
  const CheckpointRetention every = *ParseCheckpointRetention("every 20 steps");
  PruneCheckpoints(dir, every, 2);  // keeps 50, 40 (newest) and 20 (a multiple of 20)
  int calls = 0;
  auto thin = [&calls](const std::string& payload) -> absl::StatusOr<std::string> {
    ++calls;
    return "weights-of-" + payload;
  };
  absl::StatusOr<int> thinned = ThinAnalysisCheckpoints(dir, every, 2, thin);
  ASSERT_TRUE(thinned.ok()) << thinned.status();
  EXPECT_EQ(*thinned, 1);
  EXPECT_EQ(calls, 1);
  // The newest two stay full, so resume can read them; step 20 is weights-only, same identity.
  for (int64_t step : {50, 40}) {
    auto h = ReadCheckpointHeader(CheckpointPath(dir, step));
    ASSERT_TRUE(h.ok()) << h.status();
    EXPECT_EQ(h->content, CheckpointContent::kFullState) << step;
  }
  auto c = ReadCheckpointFile(CheckpointPath(dir, 20));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->content, CheckpointContent::kWeightsOnly);
  EXPECT_EQ(c->payload, "weights-of-full-20");
  EXPECT_EQ(c->step, 20);
  EXPECT_TRUE(c->identity.known);
  EXPECT_EQ(c->identity.run_id, 9);
  EXPECT_EQ(c->identity.seed, 4);
  // A second pass finds nothing left to thin; a failing thinner leaves the file full.
  EXPECT_EQ(*ThinAnalysisCheckpoints(dir, every, 2, thin), 0);
  EXPECT_EQ(calls, 1);
  ASSERT_TRUE(WriteCheckpointFile(dir, 60, "full-60", 1000, id).ok());
  PruneCheckpoints(dir, every, 2);  // 40 becomes the third newest: a multiple of 20, kept
  auto fail = [](const std::string&) -> absl::StatusOr<std::string> {
    return absl::DataLossError("unreadable payload");
  };
  absl::StatusOr<int> failed = ThinAnalysisCheckpoints(dir, every, 2, fail);
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(failed.status().message().find("ckpt-000000000040.pt"), std::string::npos);
  EXPECT_EQ(ReadCheckpointHeader(CheckpointPath(dir, 40))->content,
            CheckpointContent::kFullState);
  // `last N` keeps nothing for analysis, so nothing is thinned.
  EXPECT_EQ(*ThinAnalysisCheckpoints(dir, *ParseCheckpointRetention("last 2"), 2, thin), 0);
}

TEST(CheckpointFileTest, ThinningKeepsTheNewestFullStateFilesWhateverTheirStep) {
  // A run restarted in a folder whose full-state files were lost: its newest files by step are
  // weights-only, and the checkpoints it writes now are the only ones it can resume from.
  const std::string dir = TempDir();
  const CheckpointRetention all = *ParseCheckpointRetention("all");
  ASSERT_TRUE(WriteCheckpointFile(dir, 30, "w30", 1000, {}, CheckpointContent::kWeightsOnly).ok());
  ASSERT_TRUE(WriteCheckpointFile(dir, 20, "w20", 1000, {}, CheckpointContent::kWeightsOnly).ok());
  auto thin = [](const std::string& payload) -> absl::StatusOr<std::string> {
    return "weights-of-" + payload;
  };
  ASSERT_TRUE(WriteCheckpointFile(dir, 5, "full-5", 1000, {}).ok());
  ASSERT_TRUE(WriteCheckpointFile(dir, 10, "full-10", 1000, {}).ok());
  EXPECT_EQ(*ThinAnalysisCheckpoints(dir, all, 2, thin), 0);  // 10 and 5: the newest full two
  ASSERT_TRUE(WriteCheckpointFile(dir, 15, "full-15", 1000, {}).ok());
  EXPECT_EQ(*ThinAnalysisCheckpoints(dir, all, 2, thin), 1);  // now 5 is behind 15 and 10
  EXPECT_EQ(ReadCheckpointFile(CheckpointPath(dir, 5))->payload, "weights-of-full-5");
  EXPECT_EQ(ReadCheckpointHeader(CheckpointPath(dir, 10))->content,
            CheckpointContent::kFullState);
}

TEST(CheckpointFileTest, FullStateFilesKeepHeaderVersionTwo) {
  // Readers that predate weights-only files (version 3) must still read every file they could
  // resume from.
  const std::string dir = TempDir();
  auto full = WriteCheckpointFile(dir, 10, "state", 1000, {});
  auto thin = WriteCheckpointFile(dir, 20, "weights", 1000, {}, CheckpointContent::kWeightsOnly);
  ASSERT_TRUE(full.ok() && thin.ok());
  auto version = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    char bytes[12] = {};
    in.read(bytes, sizeof(bytes));
    return static_cast<int>(static_cast<unsigned char>(bytes[8]));
  };
  EXPECT_EQ(version(*full), 2);
  EXPECT_EQ(version(*thin), 3);
  EXPECT_EQ(ReadCheckpointHeader(*thin)->content, CheckpointContent::kWeightsOnly);
  EXPECT_EQ(ReadCheckpointFile(*thin)->payload, "weights");
  // Unknown flag bits are refused rather than misread.
  {
    std::fstream f(*thin, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(8 + 4 + 4 + 8 + 8 + 3 * 8);
    f.put(static_cast<char>(3));
  }
  EXPECT_EQ(ReadCheckpointHeader(*thin).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace sg
