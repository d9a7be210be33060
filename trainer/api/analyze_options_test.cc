#include "trainer/api/analyze_options.h"

#include <gtest/gtest.h>

namespace sg {
namespace {

TEST(AnalyzeOptionsTest, RoundTripsEveryField) {
  AnalyzeOptions o;
  o.config_path = "/tmp/run.json";
  o.seed = 3;
  o.checkpoint_dir = "/ckpt/run-7";
  o.out_path = "-";
  o.device = "cuda:1";
  o.attn_sentences = 0;
  o.tree_sentences = 40;
  o.sweep_id = 2;
  o.run_id = 7;
  o.threads = 4;
  o.eval_memory_mb = 256;
  o.quiet = true;
  absl::StatusOr<AnalyzeOptions> back = ParseAnalyzeArgs(EncodeAnalyzeArgs(o));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->config_path, o.config_path);
  EXPECT_EQ(back->seed, 3);
  EXPECT_EQ(back->checkpoint_dir, o.checkpoint_dir);
  EXPECT_EQ(back->out_path, "-");
  EXPECT_EQ(back->device, "cuda:1");
  EXPECT_EQ(back->attn_sentences, 0);
  EXPECT_EQ(back->tree_sentences, 40);
  EXPECT_EQ(back->sweep_id, 2);
  EXPECT_EQ(back->run_id, 7);
  EXPECT_EQ(back->threads, 4);
  EXPECT_EQ(back->eval_memory_mb, 256);
  EXPECT_TRUE(back->quiet);
}

TEST(AnalyzeOptionsTest, ErrorsNameTheFlag) {
  auto message = [](const std::vector<std::string>& args) {
    return std::string(ParseAnalyzeArgs(args).status().message());
  };
  const std::vector<std::string> ok = {"--config", "c", "--seed", "1", "--checkpoints", "d",
                                       "--out", "-"};
  EXPECT_TRUE(ParseAnalyzeArgs(ok).ok());
  std::vector<std::string> args = ok;
  args.push_back("--bogus");
  EXPECT_NE(message(args).find("unknown argument '--bogus'"), std::string::npos);
  args = ok;
  args[3] = "x";
  EXPECT_NE(message(args).find("--seed"), std::string::npos);
  EXPECT_NE(message({"--seed", "1", "--checkpoints", "d", "--out", "-"}).find("--config"),
            std::string::npos);
  args = ok;
  args.push_back("--spec");
  args.push_back("s.yaml");
  EXPECT_NE(message(args).find("exactly one"), std::string::npos);
  AnalyzeOptions spec;
  spec.spec_path = "s.yaml";
  spec.cell = "depth=2";
  spec.seed = 0;
  spec.checkpoint_dir = "d";
  spec.out_path = "o";
  absl::StatusOr<AnalyzeOptions> back = ParseAnalyzeArgs(EncodeAnalyzeArgs(spec));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->spec_path, "s.yaml");
  EXPECT_EQ(back->cell, "depth=2");
  EXPECT_TRUE(back->config_path.empty());
  EXPECT_NE(message({"--config", "c", "--checkpoints", "d", "--out", "-"}).find("--seed"),
            std::string::npos);
  args = ok;
  args.push_back("--tree-sentences");
  args.push_back("-2");
  EXPECT_NE(message(args).find("--tree-sentences"), std::string::npos);
  args = ok;
  args.push_back("--device");
  EXPECT_NE(message(args).find("--device"), std::string::npos);
}

}  // namespace
}  // namespace sg
