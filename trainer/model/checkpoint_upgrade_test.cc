#include "trainer/model/checkpoint_upgrade.h"

#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "trainer/model/pack_trainer.h"
#include "trainer/model/state_payload.h"
#include "trainer/trainer_test_util.h"

namespace sg {
namespace {

using testing_util::TinyTrainerOptions;
using testing_util::ToVector;

// Format 3's initial weights of `seed`, drawn as sg-train drew them then: one serial uniform
// draw per slot of the old layout, W_q's and W_kv's slots apart.
torch::Tensor Format3Init(const ModelShape& shape, int64_t seed) {
  const std::vector<ParamSlot> layout = ParamLayout(shape, QkvSlots::kSeparate);
  torch::Tensor row = torch::zeros({1, ParamRowLength(layout)});
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(seed));
  for (const ParamSlot& slot : layout) {
    torch::Tensor t = row[0].narrow(0, slot.offset, slot.numel);
    if (slot.init == ParamSlot::Init::kUniform) t.uniform_(-slot.bound, slot.bound, gen);
    if (slot.init == ParamSlot::Init::kOnes) t.fill_(1.0);
  }
  return row;
}

// The inverse of RowsFromSeparateQkv, slot by slot: what an older sg-train wrote.
torch::Tensor RowsToSeparateQkv(const torch::Tensor& rows, const ModelShape& shape) {
  std::map<std::string, const ParamSlot*> now;
  const std::vector<ParamSlot> layout = ParamLayout(shape);
  for (const ParamSlot& slot : layout) now[slot.name] = &slot;
  const std::vector<ParamSlot> old_layout = ParamLayout(shape, QkvSlots::kSeparate);
  const int64_t R = rows.size(0), d = shape.d_model;
  torch::Tensor out = torch::zeros({R, ParamRowLength(old_layout)}, rows.options());
  for (const ParamSlot& slot : old_layout) {
    torch::Tensor to = out.narrow(1, slot.offset, slot.numel);
    const std::string name = slot.name;
    const bool q = name.size() > 3 && name.substr(name.size() - 3) == ".wq";
    const bool kv = name.size() > 4 && name.substr(name.size() - 4) == ".wkv";
    if (q || kv) {
      const std::string fused = name.substr(0, name.rfind('.') + 1) + "wqkv";
      const ParamSlot* f = now.at(fused);
      torch::Tensor m = rows.narrow(1, f->offset, f->numel).view({R, d, 3 * d});
      to.copy_((q ? m.narrow(2, 0, d) : m.narrow(2, d, 2 * d)).reshape({R, slot.numel}));
    } else {
      to.copy_(rows.narrow(1, now.at(name)->offset, slot.numel));
    }
  }
  return out;
}

// A payload of today's format rewritten as an older sg-train wrote it (format 3): one LibTorch
// archive, a per-seed file's arrays without the seed dimension.
std::string AsFormat3(const std::string& payload, const ModelShape& shape) {
  StatePayloadReader in(payload);
  torch::serialize::OutputArchive out;
  torch::Tensor meta = in.Read("meta").clone();
  EXPECT_EQ(meta[0].item<int64_t>(), 4);
  meta[0] = 3;
  meta[2] = SeparateQkvRowLength(shape);
  out.write("meta", meta);
  torch::Tensor unused;
  const bool per_seed = in.TryRead("seed", unused);
  for (const char* key : {"seeds", "seed", "order", "step", "loss_acc", "grad_norm_acc",
                          "dropout_rng", "flat", "exp_avg", "exp_avg_sq"}) {
    torch::Tensor t;
    if (!in.TryRead(key, t)) continue;
    const std::string k = key;
    if (k == "flat" || k == "exp_avg" || k == "exp_avg_sq") {
      t = RowsToSeparateQkv(t, shape);
      if (per_seed) t = t.squeeze(0);
    }
    out.write(key, t.clone());
  }
  std::ostringstream bytes;
  out.save_to(bytes);
  return bytes.str();
}

TEST(CheckpointUpgradeTest, FusedInitIsFormat3sInitUpgraded) {
  // d 16 (slots back to back) and d 10 (format 3 padded W_q's 100 floats to 112).
  for (int64_t d : {16, 10}) {
    TrainConfig config = testing_util::TinyConfig();
    config.d_model = d;
    const ModelShape shape = ModelShape::FromConfig(config, testing_util::kNumIds);
    PackModel model(shape, {3, 7}, torch::kCPU);
    for (int64_t s = 0; s < 2; ++s) {
      const torch::Tensor old = Format3Init(shape, model.seeds()[s]);
      EXPECT_TRUE(torch::equal(RowsFromSeparateQkv(old, shape), model.flat().slice(0, s, s + 1)))
          << "d " << d << ", seed " << model.seeds()[s];
      EXPECT_TRUE(torch::equal(RowsToSeparateQkv(model.flat().slice(0, s, s + 1), shape), old));
    }
  }
}

TEST(CheckpointUpgradeTest, UpgradeRejectsRowsOfAnotherLength) {
  const ModelShape shape = ModelShape::FromConfig(testing_util::TinyConfig(),
                                                  testing_util::kNumIds);
  EXPECT_THROW(RowsFromSeparateQkv(torch::zeros({1, SeparateQkvRowLength(shape) + 64}), shape),
               c10::Error);
}

TEST(CheckpointUpgradeTest, Format3PackPayloadResumesExactly) {
  const auto train = testing_util::SyntheticLines(25, 8);
  TrainConfig config = testing_util::TinyConfig();
  config.dropout = 0.1;
  const std::vector<int64_t> seeds = {0, 1};
  const ModelShape shape = ModelShape::FromConfig(config, testing_util::kNumIds);

  PackTrainer straight(TinyTrainerOptions(seeds, config), &train);
  std::vector<std::vector<double>> want;
  for (int i = 0; i < 12; ++i) want.push_back(ToVector(straight.Step()));

  std::string old_pack, old_seed1;
  {
    PackTrainer first(TinyTrainerOptions(seeds, config), &train);
    for (int i = 0; i < 7; ++i) first.Step();
    old_pack = AsFormat3(first.SaveState(), shape);
    old_seed1 = AsFormat3(first.SaveSeedState(1), shape);
  }
  PackTrainer resumed(TinyTrainerOptions(seeds, config), &train);
  ASSERT_TRUE(resumed.LoadState(old_pack).ok());
  EXPECT_EQ(resumed.step(), 7);
  for (int i = 7; i < 12; ++i) EXPECT_EQ(ToVector(resumed.Step()), want[i]) << "step " << i + 1;
  EXPECT_TRUE(torch::equal(resumed.model().flat(), straight.model().flat()));

  // A per-seed file of format 3, and its weights for an analysis.
  PackTrainer alone(TinyTrainerOptions({1}, config), &train);
  ASSERT_TRUE(alone.LoadSeedState(0, old_seed1).ok());
  PackTrainer other(TinyTrainerOptions({1}, config), &train);
  ASSERT_TRUE(other.LoadSeedWeights(0, old_pack).ok());
  EXPECT_TRUE(torch::equal(alone.model().flat(), other.model().flat()));
  PackTrainer at_seven(TinyTrainerOptions(seeds, config), &train);
  for (int i = 0; i < 7; ++i) at_seven.Step();
  EXPECT_TRUE(torch::equal(alone.model().flat()[0], at_seven.model().flat()[1]));

  // A format-3 payload of another shape is still refused as one.
  config.depth = 1;
  PackTrainer other_shape(TinyTrainerOptions(seeds, config), &train);
  EXPECT_EQ(other_shape.LoadState(old_pack).code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace sg
