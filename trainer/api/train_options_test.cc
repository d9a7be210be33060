#include "trainer/api/train_options.h"

#include <gtest/gtest.h>

#include <tuple>

namespace sg {
namespace {

// Every field that has a flag; a field added to TrainPackOptions without a place here and in the
// flag table fails RoundTripsEveryField's size check below.
auto Fields(const TrainPackOptions& o) {
  return std::make_tuple(o.config_path, o.spec_path, o.cell, o.seeds, o.out_dir, o.device,
                         o.precision, o.eval_precision, o.cuda_graphs, o.steps,
                         o.train_loss_every, o.eval_max_lines, o.attn_sentences, o.threads,
                         o.keep_checkpoints, o.seed_checkpoint_dirs, o.sweep_id, o.run_ids,
                         o.eval_memory_mb, o.show_progress, o.progress_interval_s);
}

TEST(TrainOptionsTest, RoundTripsEveryField) {
  TrainPackOptions o;
  o.config_path = "/w/pack/config.json";
  o.spec_path = "/w/spec.yaml";
  o.cell = "depth=6,lr=0.0001";
  o.seeds = {3, 1, 2};
  o.out_dir = "/ck/out dir";  // a space survives: argv is not a shell line
  o.device = "cuda:1";
  o.precision = "bf16";
  o.eval_precision = "train";
  o.cuda_graphs = false;
  o.steps = 1234;
  o.train_loss_every = 7;
  o.eval_max_lines = 50;
  o.attn_sentences = 0;
  o.threads = 2;
  o.keep_checkpoints = 5;
  o.seed_checkpoint_dirs = {"/ck/run-10", "/ck/run-11", "/ck/run-12"};
  o.sweep_id = 9;
  o.run_ids = {10, 11, 12};
  o.eval_memory_mb = 256;
  o.show_progress = false;
  o.progress_interval_s = 5;
  absl::StatusOr<TrainPackOptions> back = ParseTrainArgs(EncodeTrainArgs(o));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(Fields(*back) == Fields(o));
  // The tuple holds every field but `stop` (a pointer, not a flag). 8 bytes of slack covers
  // padding; a new field without a flag makes the struct outgrow the tuple.
  EXPECT_LE(sizeof(TrainPackOptions), sizeof(Fields(o)) + sizeof(void*) + 8);
}

TEST(TrainOptionsTest, DefaultsEncodeToNothing) {
  EXPECT_TRUE(EncodeTrainArgs(TrainPackOptions{}).empty());
}

TEST(TrainOptionsTest, AcceptsBothSpellingsAndTheCheckpointRoot) {
  absl::StatusOr<TrainPackOptions> o = ParseTrainArgs(
      {"--spec=s.yaml", "--seeds", "5,6", "--out", "o", "--checkpoint-dir", "/r", "--quiet"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->spec_path, "s.yaml");
  EXPECT_EQ(o->seed_checkpoint_dirs, (std::vector<std::string>{"/r/seed-5", "/r/seed-6"}));
  EXPECT_FALSE(o->show_progress);
  EXPECT_TRUE(ValidateTrainOptions(*o).ok());
}

TEST(TrainOptionsTest, ParsesOnTopOfABase) {
  TrainPackOptions base;
  base.device = "cuda:0";
  absl::StatusOr<TrainPackOptions> o = ParseTrainArgs({"--eval-memory-mb", "128"}, base);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->device, "cuda:0");
  EXPECT_EQ(CudaEvalBytes(*o), int64_t{128} << 20);
  EXPECT_EQ(CudaEvalBytes(TrainPackOptions{}), int64_t{4096} << 20);
}

TEST(TrainOptionsTest, RefusalsNameTheFlag) {
  struct Case {
    std::vector<std::string> args;
    std::string needle;
  };
  for (const Case& c : std::vector<Case>{
           {{"--steps", "-3"}, "--steps: expected a whole number >= 0"},
           {{"--keep-checkpoints", "0"}, "--keep-checkpoints: expected a whole number >= 1"},
           {{"--precision", "fp16"}, "--precision: expected one of tf32, fp32, bf16"},
           {{"--device", "gpu"}, "--device: expected cpu, cuda or cuda:N"},
           {{"--seeds", "1,x"}, "--seeds: expected comma-separated integers"},
           {{"--seeds", "1,1"}, "--seeds: expected distinct seeds"},
           {{"--bogus", "1"}, "unknown flag --bogus"},
           {{"--out"}, "--out needs a value"},
           {{"--quiet=1"}, "--quiet takes no value"},
           {{"stray"}, "unexpected argument 'stray'"},
           {{"--seeds", "1", "--checkpoint-dir", "a", "--seed-checkpoint-dirs", "1=b"},
            "give one of them"},
           {{"--seeds", "1", "--seed-checkpoint-dirs", "2=b"}, "no folder for seed 1"},
       }) {
    absl::StatusOr<TrainPackOptions> o = ParseTrainArgs(c.args);
    ASSERT_FALSE(o.ok()) << c.needle;
    EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(o.status().message().find(c.needle), std::string::npos) << o.status();
  }
}

TEST(TrainOptionsTest, ValidationNamesWhatIsMissing) {
  TrainPackOptions o;
  EXPECT_NE(ValidateTrainOptions(o).message().find("--config FILE"), std::string::npos);
  o.config_path = "c.json";
  o.cell = "depth=2";
  EXPECT_NE(ValidateTrainOptions(o).message().find("--cell: only with --spec"), std::string::npos);
  o.cell.clear();
  EXPECT_NE(ValidateTrainOptions(o).message().find("--out"), std::string::npos);
  o.out_dir = "o";
  EXPECT_NE(ValidateTrainOptions(o).message().find("--seeds"), std::string::npos);
  o.seeds = {1, 2};
  o.run_ids = {7};
  EXPECT_NE(ValidateTrainOptions(o).message().find("--run-ids"), std::string::npos);
  o.run_ids = {7, 8};
  EXPECT_TRUE(ValidateTrainOptions(o).ok());
}

TEST(TrainOptionsTest, UsageListsEveryFlag) {
  const std::string usage = TrainUsage();
  for (const char* flag : {"--config", "--spec", "--cell", "--seeds", "--out", "--device",
                           "--precision", "--eval-precision", "--no-cuda-graphs", "--steps",
                           "--run-ids", "--sweep-id", "--quiet", "--checkpoint-dir"}) {
    EXPECT_NE(usage.find(flag), std::string::npos) << flag;
  }
}

}  // namespace
}  // namespace sg
