#include "trainer/model/pack_trainer.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <mutex>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "trainer/model/autocast_scope.h"
#include "trainer/model/cuda_graph_step.h"
#include "trainer/model/cuda_line_attention.h"
#include "trainer/model/graph_buckets.h"
#include "trainer/model/checkpoint_upgrade.h"
#include "trainer/model/lr_schedule.h"
#include "trainer/model/pack_dropout.h"
#include "trainer/model/ragged_batch.h"
#include "trainer/model/ragged_model.h"
#include "trainer/model/state_payload.h"

namespace sg {
namespace {

// Format 4: W_q and W_kv one W_qkv slot (format 3 had them apart: read and upgraded,
// checkpoint_upgrade.h), the weights and moments raw after the archive (state_payload.h;
// format 3 has them in it: still read). Format 3: linear weights stored [in, out] (format 2
// had PyTorch's [out, in]; format 1 one pack-level dropout generator).
constexpr int64_t kStateFormat = 4;
constexpr int64_t kSeparateQkvFormat = 3;

// The weights or a moment as a payload holds them, as [rows, P] rows of this layout: a
// format-3 per-seed file has them as [P], and format 3's layout has W_q and W_kv apart.
torch::Tensor AsParamRows(torch::Tensor t, int64_t format, const ModelShape& shape) {
  if (t.dim() == 1) t = t.unsqueeze(0);
  return format == kSeparateQkvFormat ? RowsFromSeparateQkv(t, shape) : t;
}

// The payload's format, if this sg-train reads it.
absl::StatusOr<int64_t> CheckFormat(const torch::Tensor& meta) {
  const int64_t format = meta.numel() < 1 ? -1 : meta[0].item<int64_t>();
  if (format == kStateFormat || format == kSeparateQkvFormat) return format;
  if (format == 2) {
    return absl::FailedPreconditionError(
        "checkpoint payload of format 2 (weights stored [out, in]) from an older sg-train; "
        "this one reads formats 3 and 4: start the run afresh or finish it with the older "
        "sg-train");
  }
  return absl::DataLossError("checkpoint payload: unknown format version");
}

}  // namespace

PackTrainer::~PackTrainer() = default;

PackModel& PackTrainer::model() {
  FlushPendingUpdate();
  return *model_;
}

PackAdamW& PackTrainer::optimizer() {
  FlushPendingUpdate();
  return *optimizer_;
}

bool PackTrainer::update_pending() const { return graph_ && graph_->update_pending(); }

void PackTrainer::FlushPendingUpdate() {
  if (graph_) graph_->FlushPendingUpdate();
}

int PackTrainer::num_graphs() const { return graph_ ? graph_->num_graphs() : 0; }

std::vector<std::pair<int64_t, int64_t>> PackTrainer::graph_shapes() const {
  if (!graph_) return {};
  return graph_->graph_shapes();
}

PackTrainer::PackTrainer(const PackTrainerOptions& options, const std::vector<TokenIds>* train)
    : options_(options), train_(train) {
  TORCH_CHECK(!train->empty(), "the training split is empty");
  model_ = std::make_unique<PackModel>(ModelShape::FromConfig(options.config, options.num_ids),
                                       options.seeds, options.device);
  AdamWOptions adam;
  adam.beta1 = options.config.adam_beta1;
  adam.beta2 = options.config.adam_beta2;
  adam.eps = options.config.adam_eps;
  adam.weight_decay = options.config.weight_decay;
  optimizer_ = std::make_unique<PackAdamW>(model_->flat(), adam);
  for (int64_t seed : options.seeds) {
    orders_.emplace_back(seed, static_cast<int64_t>(train->size()), options.config.batch_size);
  }
  dropout_ = std::make_unique<DropoutStreams>(options.seeds, options.device);
  loss_acc_ = torch::zeros({model_->num_seeds()},
                           torch::TensorOptions().dtype(torch::kFloat64).device(options.device));
  grad_norm_acc_ = torch::zeros_like(loss_acc_);
  TORCH_CHECK(options.ragged_chunk == 0 || (options.ragged_chunk > 0 &&
                                             options.ragged_chunk % 8 == 0),
              "ragged_chunk of ", options.ragged_chunk,
              " positions: 0 (off) or a positive multiple of 8");
  TORCH_CHECK(options.ragged_chunk == 0 || !options.bf16,
              "the ragged layout (ragged_chunk) trains in fp32 or TF32, not bf16");
  TORCH_CHECK(options.ragged_chunks_granule >= 1 && options.ragged_seed_chunks_granule >= 1,
              "ragged_chunks_granule and ragged_seed_chunks_granule must be at least 1");
  TORCH_CHECK(!options.bf16 || (options.device.is_cuda() && AutocastScope::Available()),
              "bf16 needs a CUDA device and a LibTorch with CUDA autocast (2.4 or newer)");
  if (options.device.is_cuda()) {
    // Both spellings: LibTorch 2.9+ keeps the boolean as the cuBLAS switch alongside the
    // newer precision setting.
    at::globalContext().setFloat32MatmulPrecision(options.tf32 ? "high" : "highest");
    at::globalContext().setAllowTF32CuBLAS(options.tf32);
  }
  if (options.device.is_cuda() && options.cuda_graphs) {
    GraphStepOptions go;
    go.config = options.config;
    go.sos_id = options.sos_id;
    go.eos_id = options.eos_id;
    go.bf16 = options.bf16;
    go.max_graphs = options.max_graphs;
    go.fused_attention = options.fused_attention;
    go.own_optimizer_kernels = options.own_optimizer_kernels;
    go.fused_layer_norm = options.fused_layer_norm;
    go.pack_lines = options.pack_lines;
    go.line_attention = options.line_attention;
    go.own_line_attention = options.own_line_attention;
    go.own_line_attention_from = options.own_line_attention_from;
    go.one_row_per_seed = options.one_row_per_seed;
    go.one_row_from = options.one_row_from;
    go.one_row_granule = options.one_row_granule;
    go.side_stream_weight_grads = options.side_stream_weight_grads;
    go.lt_gemms = options.lt_gemms;
    go.lt_transposed_weight_grads = options.lt_transposed_weight_grads;
    go.wgmma_weight_grads = options.wgmma_weight_grads;
    go.relay_residual_grads = options.relay_residual_grads;
    go.relay_into_linears = options.relay_into_linears;
    go.one_copy_inputs = options.one_copy_inputs;
    go.fused_relu_dropout = options.fused_relu_dropout;
    go.fused_residual_dropout = options.fused_residual_dropout;
    go.ragged_chunk = options.ragged_chunk;
    go.ragged_chunks_granule = options.ragged_chunks_granule;
    go.ragged_seed_chunks_granule = options.ragged_seed_chunks_granule;
    go.ragged_own_padded_views = options.ragged_own_padded_views;
    go.ragged_own_weight_grads = options.ragged_own_weight_grads;
    go.high_priority_chain = options.high_priority_chain;
    go.ragged_high_priority_chain = options.ragged_high_priority_chain;
    go.update_beside_forward = options.update_beside_forward;
    go.update_priority = options.update_priority;
    GraphStepState state{model_.get(), optimizer_.get(), &loss_acc_, &grad_norm_acc_};
    absl::StatusOr<std::unique_ptr<GraphStepper>> g = MakeGraphStepper(go, state);
    if (g.ok()) {
      graph_ = std::move(*g);
      pack_dropout_ = true;
    }
  }
}

torch::Tensor PackTrainer::Step() {
  const int64_t S = model_->num_seeds();
  std::vector<std::vector<const TokenIds*>> lines(S);
  for (int64_t s = 0; s < S; ++s) {
    for (int64_t i : orders_[s].NextBatch()) lines[s].push_back(&(*train_)[i]);
  }
  const int64_t update = step_ + 1;
  last_lr_ = LrForUpdate(update, options_.config.lr, options_.config.warmup_steps,
                         options_.config.decay_steps);
  for (const auto& seed_lines : lines) {
    for (const TokenIds* line : seed_lines) {
      real_positions_ += static_cast<int64_t>(line->size()) + 1;
    }
  }
  torch::Tensor loss;
  if (graph_ && graph_->TryStep(lines, update, last_lr_)) {
    loss = graph_->last_loss();
    ++graph_steps_;
    const auto [rows, len] = graph_->last_shape();
    // Ragged: `rows` chunks of `len` positions for the whole pack.
    computed_positions_ += (options_.ragged_chunk > 0 ? 1 : S) * rows * len;
  } else if (options_.ragged_chunk > 0) {
    loss = RaggedStep(lines);
    ++eager_steps_;
  } else {
    loss = EagerStep(lines);
    ++eager_steps_;
  }
  step_ = update;
  ++acc_steps_;
  return loss;
}

torch::Tensor PackTrainer::EagerStep(const std::vector<std::vector<const TokenIds*>>& lines) {
  const int64_t S = model_->num_seeds();
  const int64_t update = step_ + 1;
  const int64_t tokens = LongestRow(lines);
  // A batch longer than every graph bucket (Dyck's tail reaches ~1,100 tokens): fused
  // attention keeps its memory linear in T where the [S,B,H,T,T] probabilities of a 10-seed
  // pack would take gigabytes per layer; T padded to 8 keeps the mask aligned for its kernel.
  // Packed rows are multiples of 64 long.
  const bool long_batch = pack_dropout_ && tokens > kMaxGraphLength;
  LmBatchLayout layout;
  layout.packed = options_.pack_lines;
  layout.one_row = OneRowLayout(PackedRowLength(tokens));
  layout.one_row_granule = options_.one_row_granule;
  // Line offsets only where the step may attend per line (its row length decides below).
  const bool cuda = options_.device.is_cuda();
  const double p_drop = options_.config.dropout;
  if (layout.packed && cuda &&
      TrainStepAttendsPerLine(options_.own_line_attention, options_.own_line_attention_from,
                              options_.line_attention, p_drop, pack_dropout_, kAnyRowLength)) {
    layout.line_slots = 0;
  }
  if (long_batch && !layout.packed) layout.len = (tokens + 7) / 8 * 8;
  LmBatch batch =
      MakeLmBatch(lines, options_.sos_id, options_.eos_id, options_.device, layout);
  computed_positions_ += batch.ids.numel();

  ForwardOptions fwd;
  fwd.train = true;
  fwd.dropout = options_.config.dropout;
  fwd.streams = dropout_.get();
  fwd.pack_dropout = pack_dropout_;
  fwd.fused_relu_dropout = pack_dropout_ && options_.fused_relu_dropout;
  fwd.fused_attention = pack_dropout_ && (options_.fused_attention || long_batch);
  if (pack_dropout_) SeedPackDropout(options_.device, options_.seeds, update);
  fwd.seed_rows = batch.rows;
  fwd.seed_len = batch.max_len;
  if (batch.line_start.defined()) fwd.line_start = &batch.line_start;
  if (batch.line_seqstarts.defined() &&
      TrainStepAttendsPerLine(options_.own_line_attention, options_.own_line_attention_from,
                              options_.line_attention, p_drop, pack_dropout_,
                              batch.ids.size(2))) {
    fwd.line_seqstarts = &batch.line_seqstarts;
    fwd.own_line_attention =
        TrainStepUsesOwnLineAttention(options_.own_line_attention, options_.own_line_attention_from,
                                      p_drop, pack_dropout_, batch.ids.size(2));
  }
  const PackParams& p = model_->params();
  torch::Tensor loss;
  {
    AutocastScope autocast(options_.bf16);
    torch::Tensor hidden = model_->Hidden(p, batch.ids, batch.lengths, fwd);
    torch::Tensor logits = model_->Logits(p, hidden);
    loss = LossPerSeed(logits.to(torch::kFloat32), batch.targets.view({S, -1}), batch.counts);
  }
  loss.sum().backward();
  return UpdateAfterBackward(loss);
}

torch::Tensor PackTrainer::RaggedStep(const std::vector<std::vector<const TokenIds*>>& lines) {
  RaggedLayout layout;
  layout.chunk = options_.ragged_chunk;
  layout.slot_rows = options_.ragged_own_padded_views;
  layout.own_offsets = options_.ragged_own_weight_grads;
  RaggedForwardOptions fwd;
  fwd.train = true;
  fwd.dropout = options_.config.dropout;
  const bool cuda = options_.device.is_cuda();
  fwd.own_line_attention =
      cuda && TrainStepUsesOwnLineAttention(options_.own_line_attention, /*from_len=*/1,
                                            fwd.dropout, /*pack_dropout=*/true, kAnyRowLength);
  fwd.fused_relu_dropout = cuda && options_.fused_relu_dropout;
  fwd.fused_layer_norm = cuda && options_.fused_layer_norm;
  fwd.fused_residual_dropout = cuda && options_.fused_residual_dropout;
  // No side stream here: the eager step's gradients accumulate into the flat buffer's views on
  // the current stream, which would read them before the side stream wrote them (the graph
  // step detaches its gradients first; cuda_side_stream_linear.h's rule). Found on the H200:
  // eager ragged steps with it failed now and then.
  fwd.side_stream_weight_grads = false;
  fwd.transposed_weight_grads = options_.lt_transposed_weight_grads;  // as the graph step's
  if (fwd.own_line_attention) layout.line_slots = 0;
  const RaggedBatch batch =
      MakeRaggedBatch(lines, options_.sos_id, options_.eos_id, options_.device, layout);
  computed_positions_ += batch.num_positions();
  SeedPackDropout(options_.device, options_.seeds, step_ + 1);
  const PackParams& p = model_->params();
  torch::Tensor loss;
  {
    AutocastScope autocast(options_.bf16);
    torch::Tensor logits = RaggedLogits(p, RaggedHidden(*model_, p, batch, fwd), batch);
    loss = RaggedLossPerSeed(logits.to(torch::kFloat32), batch);
  }
  loss.sum().backward();
  return UpdateAfterBackward(loss);
}

torch::Tensor PackTrainer::UpdateAfterBackward(const torch::Tensor& loss) {
  if (!grads_checked_) {
    TORCH_CHECK(model_->GradsInFlatBuffer(),
                "LibTorch replaced a parameter's grad tensor; the pack's flat gradient buffer "
                "would not see the gradients");
    grads_checked_ = true;
  }
  const int64_t update = step_ + 1;
  torch::Tensor grad_norm = ClipPerSeed(model_->flat_grad(), options_.config.clip);
  optimizer_->Step(model_->flat(), model_->flat_grad(), last_lr_, update);
  model_->flat_grad().zero_();

  torch::Tensor detached = loss.detach();
  {
    torch::NoGradGuard no_grad;
    loss_acc_.add_(detached);
    grad_norm_acc_.add_(grad_norm);
  }
  return detached;
}

bool PackTrainer::OneRowLayout(int64_t usual_row_len) const {
  if (!options_.pack_lines || !options_.one_row_per_seed) return false;
  if (!options_.device.is_cuda()) return true;  // the masked attention, for tests
  return TrainStepUsesOneRow(options_.one_row_per_seed, options_.one_row_from,
                             options_.own_line_attention,
                             options_.own_line_attention_from, options_.line_attention,
                             options_.config.dropout, pack_dropout_, usual_row_len);
}

PackTrainer::Stats PackTrainer::TakeStats() {
  Stats out;
  out.steps = acc_steps_;
  if (acc_steps_ > 0) {
    torch::Tensor l = (loss_acc_ / static_cast<double>(acc_steps_)).cpu();
    torch::Tensor g = (grad_norm_acc_ / static_cast<double>(acc_steps_)).cpu();
    out.loss.assign(l.data_ptr<double>(), l.data_ptr<double>() + l.numel());
    out.grad_norm.assign(g.data_ptr<double>(), g.data_ptr<double>() + g.numel());
  }
  loss_acc_.zero_();
  grad_norm_acc_.zero_();
  acc_steps_ = 0;
  return out;
}

std::vector<int64_t> PackTrainer::Meta(int64_t num_seeds, int64_t format) const {
  const ModelShape& s = model_->shape();
  const int64_t row_length =
      format == kSeparateQkvFormat ? SeparateQkvRowLength(s) : model_->flat().size(1);
  return {format, num_seeds, row_length, s.num_ids, s.d_model,
          s.heads, s.ff, s.layers, s.tie_embeddings ? 1 : 0};
}

void PackTrainer::WriteSeeds(StatePayloadWriter& out, int64_t begin, int64_t end,
                             bool one_seed) {
  FlushPendingUpdate();  // the state after step()
  // A per-seed file stores the small fields without the seed dimension; the weights and
  // moments are raw [rows, P] arrays in both (state_payload.h), copied from the device at
  // Stage (or Finish).
  auto rows = [&](const torch::Tensor& t) {
    torch::Tensor r = t.slice(0, begin, end).cpu();
    return one_seed ? r.squeeze(0) : r;
  };
  torch::Tensor order = torch::zeros({end - begin, 2}, torch::kInt64);
  std::vector<torch::Tensor> rng;
  for (int64_t s = begin; s < end; ++s) {
    order[s - begin][0] = orders_[s].epoch();
    order[s - begin][1] = orders_[s].position();
    rng.push_back(dropout_->GetState(s));
  }
  out.Write("order", one_seed ? order.squeeze(0) : order);
  out.Write("step", torch::tensor({step_, acc_steps_}, torch::kInt64));
  out.WriteRaw("flat", model_->flat().slice(0, begin, end));
  out.WriteRaw("exp_avg", optimizer_->exp_avg().slice(0, begin, end));
  out.WriteRaw("exp_avg_sq", optimizer_->exp_avg_sq().slice(0, begin, end));
  out.Write("loss_acc", rows(loss_acc_));
  out.Write("grad_norm_acc", rows(grad_norm_acc_));
  out.Write("dropout_rng", one_seed ? rng[0] : torch::stack(rng));
}

void PackTrainer::ReadSeeds(StatePayloadReader& in, int64_t begin, int64_t end, bool one_seed,
                            int64_t format) {
  // A pending update would land on the weights read here at the next graph step.
  FlushPendingUpdate();
  auto read = [&](const char* name) {
    torch::Tensor t = in.Read(name);
    return one_seed ? t.unsqueeze(0) : t;
  };
  auto read_params = [&](const char* name) {
    return AsParamRows(in.Read(name), format, model_->shape());
  };
  torch::Tensor order = read("order"), rng = read("dropout_rng");
  torch::Tensor step = in.Read("step");
  // copy_ keeps the storage the parameter views (and captured graphs) point into.
  model_->flat().slice(0, begin, end).copy_(read_params("flat"));
  optimizer_->exp_avg().slice(0, begin, end).copy_(read_params("exp_avg"));
  optimizer_->exp_avg_sq().slice(0, begin, end).copy_(read_params("exp_avg_sq"));
  loss_acc_.slice(0, begin, end).copy_(read("loss_acc"));
  grad_norm_acc_.slice(0, begin, end).copy_(read("grad_norm_acc"));
  model_->flat_grad().slice(0, begin, end).zero_();
  RestoreStep(step[0].item<int64_t>(), step[1].item<int64_t>());
  for (int64_t s = begin; s < end; ++s) {
    orders_[s].Restore(order[s - begin][0].item<int64_t>(), order[s - begin][1].item<int64_t>());
    dropout_->SetState(s, rng[s - begin]);
  }
}

void PackTrainer::WriteState(StatePayloadWriter& out) {
  torch::NoGradGuard no_grad;
  const int64_t S = model_->num_seeds();
  out.Write("meta", torch::tensor(Meta(S, kStateFormat), torch::kInt64));
  out.Write("seeds", torch::tensor(options_.seeds, torch::kInt64));
  WriteSeeds(out, 0, S, /*one_seed=*/false);
}

std::string PackTrainer::SaveState() {
  StatePayloadWriter out;
  WriteState(out);
  return out.Finish();
}

std::unique_ptr<StatePayloadWriter> PackTrainer::StageState() {
  auto out = std::make_unique<StatePayloadWriter>();
  WriteState(*out);
  out->Stage();
  return out;
}

absl::Status PackTrainer::LoadState(const std::string& payload) {
  torch::NoGradGuard no_grad;
  try {
    StatePayloadReader in(payload);
    const torch::Tensor meta = in.Read("meta"), seeds = in.Read("seeds");
    SG_ASSIGN_OR_RETURN(const int64_t format, CheckFormat(meta));
    std::vector<int64_t> got(meta.data_ptr<int64_t>(), meta.data_ptr<int64_t>() + meta.numel());
    if (got != Meta(model_->num_seeds(), format)) {
      return absl::FailedPreconditionError(
          "the checkpoint is of a different model shape or pack size than this run "
          "(same --out used for another cell?)");
    }
    std::vector<int64_t> got_seeds(seeds.data_ptr<int64_t>(),
                                   seeds.data_ptr<int64_t>() + seeds.numel());
    if (got_seeds != options_.seeds) {
      return absl::FailedPreconditionError(
          "the checkpoint holds other seeds than --seeds (same --out used for another pack?)");
    }
    ReadSeeds(in, 0, model_->num_seeds(), /*one_seed=*/false, format);
  } catch (const c10::Error& e) {
    return absl::DataLossError(
        absl::StrCat("checkpoint payload cannot be read: ", e.what_without_backtrace()));
  }
  return absl::OkStatus();
}

void PackTrainer::RestoreStep(int64_t step, int64_t acc_steps) {
  step_ = step;
  acc_steps_ = acc_steps;
  last_lr_ = step_ > 0 ? LrForUpdate(step_, options_.config.lr, options_.config.warmup_steps,
                                     options_.config.decay_steps)
                       : 0.0;
}

void PackTrainer::WriteSeedState(StatePayloadWriter& out, int64_t s) {
  torch::NoGradGuard no_grad;
  out.Write("meta", torch::tensor(Meta(1, kStateFormat), torch::kInt64));
  out.Write("seed", torch::tensor({options_.seeds[s]}, torch::kInt64));
  WriteSeeds(out, s, s + 1, /*one_seed=*/true);
}

std::string PackTrainer::SaveSeedState(int64_t s) {
  StatePayloadWriter out;
  WriteSeedState(out, s);
  return out.Finish();
}

std::unique_ptr<StatePayloadWriter> PackTrainer::StageSeedState(int64_t s) {
  auto out = std::make_unique<StatePayloadWriter>();
  WriteSeedState(*out, s);
  out->Stage();
  return out;
}

absl::Status PackTrainer::LoadSeedState(int64_t s, const std::string& payload) {
  torch::NoGradGuard no_grad;
  try {
    StatePayloadReader in(payload);
    const torch::Tensor meta = in.Read("meta");
    SG_ASSIGN_OR_RETURN(const int64_t format, CheckFormat(meta));
    std::vector<int64_t> got(meta.data_ptr<int64_t>(), meta.data_ptr<int64_t>() + meta.numel());
    if (got != Meta(1, format)) {
      return absl::FailedPreconditionError(
          "the per-seed checkpoint is of a different model shape than this run, or holds a "
          "whole pack (same checkpoint folder used for another cell?)");
    }
    const torch::Tensor seed = in.Read("seed");
    if (seed.numel() != 1 || seed[0].item<int64_t>() != options_.seeds[s]) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the checkpoint for seed ", options_.seeds[s], " holds seed ",
          seed.numel() == 1 ? absl::StrCat(seed[0].item<int64_t>()) : std::string("?"),
          " (checkpoint folders swapped?)"));
    }
    ReadSeeds(in, s, s + 1, /*one_seed=*/true, format);
  } catch (const c10::Error& e) {
    return absl::DataLossError(
        absl::StrCat("checkpoint payload cannot be read: ", e.what_without_backtrace()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> PackTrainer::WeightsOnlyPayload(const std::string& payload) {
  torch::NoGradGuard no_grad;
  try {
    StatePayloadReader in(payload);
    StatePayloadWriter out;
    // Fresh tensors per key (a read into a defined tensor copies into its storage).
    const torch::Tensor meta = in.Read("meta");
    SG_RETURN_IF_ERROR(CheckFormat(meta).status());
    out.Write("meta", meta);
    // A pack payload names its seeds, a per-seed one its seed.
    torch::Tensor seeds;
    const bool pack = in.TryRead("seeds", seeds);
    if (!pack) seeds = in.Read("seed");
    out.Write(pack ? "seeds" : "seed", seeds);
    out.Write("step", in.Read("step"));
    torch::Tensor flat = in.Read("flat");
    out.WriteRaw("flat", flat.dim() == 1 ? flat.unsqueeze(0) : flat);
    return out.Finish();
  } catch (const c10::Error& e) {
    return absl::DataLossError(
        absl::StrCat("checkpoint payload cannot be read: ", e.what_without_backtrace()));
  }
}

absl::Status PackTrainer::LoadSeedWeights(int64_t s, const std::string& payload) {
  torch::NoGradGuard no_grad;
  FlushPendingUpdate();
  try {
    StatePayloadReader in(payload);
    const torch::Tensor meta = in.Read("meta");
    SG_ASSIGN_OR_RETURN(const int64_t format, CheckFormat(meta));
    torch::Tensor seeds;
    if (!in.TryRead("seeds", seeds)) seeds = in.Read("seed");
    const int64_t want = options_.seeds[s];
    int64_t row = -1;
    for (int64_t i = 0; i < seeds.numel(); ++i) {
      if (seeds[i].item<int64_t>() == want) row = i;
    }
    if (row < 0) {
      return absl::NotFoundError(absl::StrCat("the checkpoint holds no weights of seed ", want));
    }
    // The model's shape (meta after the format and the seed count) must match this pack's.
    std::vector<int64_t> got(meta.data_ptr<int64_t>(), meta.data_ptr<int64_t>() + meta.numel());
    std::vector<int64_t> mine = Meta(1, format);
    if (got.size() != mine.size() || !std::equal(got.begin() + 2, got.end(), mine.begin() + 2)) {
      return absl::FailedPreconditionError(
          "the checkpoint is of a different model shape than the run's config");
    }
    const torch::Tensor step = in.Read("step");
    const torch::Tensor flat = in.Read("flat");  // a per-seed file's holds row 0 only
    model_->flat().slice(0, s, s + 1).copy_(
        AsParamRows(flat.dim() == 1 ? flat : flat.slice(0, row, row + 1), format,
                    model_->shape()));
    RestoreStep(step[0].item<int64_t>(), 0);
  } catch (const c10::Error& e) {
    return absl::DataLossError(
        absl::StrCat("checkpoint payload cannot be read: ", e.what_without_backtrace()));
  }
  return absl::OkStatus();
}

}  // namespace sg
