#include "trainer/model/pack_model.h"

#include <torch/version.h>

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>

#include "trainer/model/cuda_fused_layers.h"
#include "trainer/model/cuda_line_attention.h"
#include "trainer/model/cuda_side_stream_linear.h"
#include "trainer/model/data_order.h"
#include "trainer/model/qkv_views.h"
#include "trainer/model/residual_grad_relay.h"

namespace sg {

ModelShape ModelShape::FromConfig(const TrainConfig& config, int64_t num_ids) {
  ModelShape s;
  s.num_ids = num_ids;
  s.d_model = config.d_model;
  s.heads = config.heads;
  s.ff = config.ff;
  s.layers = config.depth;
  s.tie_embeddings = config.tie_embeddings;
  return s;
}

int64_t ModelShape::NumParams() const {
  int64_t n = 0;
  for (const ParamSlot& slot : ParamLayout(*this)) n += slot.numel;
  return n;
}

int64_t ParamRowLength(const std::vector<ParamSlot>& layout) {
  int64_t end = 0;
  for (const ParamSlot& slot : layout) end = std::max(end, slot.offset + slot.numel);
  return (end + kRowAlign - 1) / kRowAlign * kRowAlign;
}

std::vector<ParamSlot> ParamLayout(const ModelShape& s, QkvSlots qkv) {
  std::vector<ParamSlot> out;
  int64_t offset = 0;
  auto add = [&](std::string name, std::vector<int64_t> shape, ParamSlot::Init init,
                 double bound) {
    ParamSlot slot;
    slot.name = std::move(name);
    slot.numel = 1;
    for (int64_t d : shape) slot.numel *= d;
    slot.shape = std::move(shape);
    offset = (offset + kSlotAlign - 1) / kSlotAlign * kSlotAlign;
    slot.offset = offset;
    slot.init = init;
    slot.bound = bound;
    offset += slot.numel;
    out.push_back(std::move(slot));
  };
  auto xavier = [](int64_t fan_in, int64_t fan_out, double gain) {
    return gain * std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  };
  const int64_t d = s.d_model, v = s.num_ids, ff = s.ff;
  using I = ParamSlot::Init;
  add("embedding", {v, d}, I::kUniform, xavier(d, v, 1.0));
  for (int64_t l = 0; l < s.layers; ++l) {
    const std::string p = "layer" + std::to_string(l) + ".";
    // The reference initialises W_q, W_k and W_v separately as d x d matrices: the same
    // bound, and one serial uniform draw over K and V gives the same distribution.
    if (qkv == QkvSlots::kSeparate) {
      add(p + "wq", {d, d}, I::kUniform, xavier(d, d, 1.0));
      add(p + "wkv", {d, 2 * d}, I::kUniform, xavier(d, d, 1.0));
    } else {
      add(p + "wqkv", {d, 3 * d}, I::kUniform, xavier(d, d, 1.0));
      out.back().draw_columns = {d, 2 * d};
    }
    add(p + "wo", {d, d}, I::kUniform, xavier(d, d, 1.0));
    add(p + "w1", {d, ff}, I::kUniform, xavier(d, ff, std::sqrt(2.0)));
    add(p + "b1", {ff}, I::kUniform, 1.0 / std::sqrt(static_cast<double>(d)));
    add(p + "w2", {ff, d}, I::kUniform, xavier(ff, d, 1.0));
    add(p + "b2", {d}, I::kUniform, 1.0 / std::sqrt(static_cast<double>(ff)));
    add(p + "ln1_g", {d}, I::kOnes, 0);
    add(p + "ln1_b", {d}, I::kZeros, 0);
    add(p + "ln2_g", {d}, I::kOnes, 0);
    add(p + "ln2_b", {d}, I::kZeros, 0);
  }
  if (!s.tie_embeddings) add("out_w", {d, v}, I::kUniform, xavier(d, v, 1.0));
  add("out_b", {v}, I::kUniform, 1.0 / std::sqrt(static_cast<double>(d)));
  return out;
}

PackParams PackParams::Slice(int64_t begin, int64_t end) const {
  auto sl = [&](const torch::Tensor& t) { return t.slice(0, begin, end); };
  PackParams out;
  out.embedding = sl(embedding);
  for (const Layer& l : layers) {
    out.layers.push_back({sl(l.wqkv), sl(l.wo), sl(l.w1), sl(l.b1), sl(l.w2), sl(l.b2),
                          sl(l.ln1_g), sl(l.ln1_b), sl(l.ln2_g), sl(l.ln2_b)});
  }
  if (out_w.defined()) out.out_w = sl(out_w);
  out.out_b = sl(out_b);
  return out;
}

namespace {

torch::Tensor SinusoidalTable(int64_t max_len, int64_t d) {
  // Same float32 formula as the reference (experiment.md §1.4 item 2).
  auto opts = torch::TensorOptions().dtype(torch::kFloat32);
  torch::Tensor pe = torch::zeros({max_len, d}, opts);
  torch::Tensor position = torch::arange(0, max_len, opts).unsqueeze(1);
  torch::Tensor div_term =
      torch::exp(torch::arange(0, d, 2, opts) * (-std::log(10000.0) / static_cast<double>(d)));
  pe.index_put_({torch::indexing::Slice(), torch::indexing::Slice(0, torch::indexing::None, 2)},
                torch::sin(position * div_term));
  pe.index_put_({torch::indexing::Slice(), torch::indexing::Slice(1, torch::indexing::None, 2)},
                torch::cos(position * div_term).slice(1, 0, d / 2));
  return pe;
}

// A per-seed mask for a [S, full...] activation: seed s's mask is drawn from its own stream
// for its own extent (dim b_dim = its rows, t_dims = its length) and padded with ones (padding
// never reaches a valid position), then scaled by 1/keep.
torch::Tensor SeedMask(const ForwardOptions& o, const std::vector<int64_t>& full, int b_dim,
                       const std::vector<int>& t_dims, const torch::TensorOptions& opts) {
  TORCH_CHECK(o.streams != nullptr, "dropout needs the per-seed dropout streams");
  const int64_t S = o.streams->size();
  const double keep = 1.0 - o.dropout;
  std::vector<torch::Tensor> per_seed;
  for (int64_t s = 0; s < S; ++s) {
    std::vector<int64_t> shape = full;
    if (!o.seed_rows.empty()) {
      shape[b_dim] = o.seed_rows[s];
      for (int d : t_dims) shape[d] = o.seed_len[s];
    }
    torch::Tensor m = o.streams->Draw(s, shape, keep);
    if (shape != full) {
      torch::Tensor padded = torch::ones(full, opts);
      torch::Tensor view = padded;
      for (size_t d = 0; d < shape.size(); ++d) view = view.narrow(d, 0, shape[d]);
      view.copy_(m);
      m = padded;
    }
    per_seed.push_back(m);
  }
  return torch::stack(per_seed).div_(keep);
}

// x: [S, B*T, F] (a token-level activation).
torch::Tensor TokenDropout(const torch::Tensor& x, int64_t B, int64_t T, const ForwardOptions& o) {
  if (!o.train || o.dropout <= 0.0) return x;
  if (o.pack_dropout) return torch::dropout(x, o.dropout, /*train=*/true);
  const int64_t F = x.size(-1);
  torch::Tensor mask = SeedMask(o, {B, T, F}, 0, {1}, x.options().requires_grad(false));
  return x * mask.view(x.sizes());
}

// probs: [S, B, H, T, T] (attention probabilities).
torch::Tensor ProbsDropout(const torch::Tensor& probs, const ForwardOptions& o) {
  if (!o.train || o.dropout <= 0.0) return probs;
  if (o.pack_dropout) return torch::dropout(probs, o.dropout, /*train=*/true);
  const int64_t B = probs.size(1), H = probs.size(2), T = probs.size(3);
  torch::Tensor mask = SeedMask(o, {B, H, T, T}, 0, {2, 3}, probs.options().requires_grad(false));
  return probs * mask;
}

// TokenDropout(relu(h)): by our fused kernel where ForwardOptions::fused_relu_dropout asks and
// it serves h (the pack-level stream only: the kernel's key comes from the device's generator).
torch::Tensor ReluDropout(const torch::Tensor& h, int64_t B, int64_t T, const ForwardOptions& o) {
  if (o.fused_relu_dropout && o.train && o.pack_dropout && FusedReluDropoutServes(h, o.dropout)) {
    return FusedReluDropout(h, o.dropout);
  }
  return TokenDropout(torch::relu(h), B, T, o);
}

// LayerNorm over the last dim with per-seed affine parameters g, b: [S,d]; x: [S,N,d].
torch::Tensor SeedLayerNorm(const torch::Tensor& x, const torch::Tensor& g,
                            const torch::Tensor& b) {
  torch::Tensor n = at::layer_norm(x, {x.size(-1)}, {}, {}, 1e-5);
  return torch::addcmul(b.unsqueeze(1), n, g.unsqueeze(1));
}

// SeedLayerNorm(x + r, g, b), by our fused kernel when asked and it serves the tensors.
// relay, out_relay (FusedResidualLayerNorm's; given only where RelayFor or LayerNormRelayFor
// found the fused kernel serves): x's gradient relayed, and the output's.
torch::Tensor ResidualLayerNorm(const torch::Tensor& x, const torch::Tensor& r,
                                const torch::Tensor& g, const torch::Tensor& b,
                                const ForwardOptions& o,
                                const ResidualGradRelayPtr& relay = {},
                                const ResidualGradRelayPtr& out_relay = {}) {
  if (o.fused_layer_norm && FusedResidualLayerNormServes(x, r, g, b)) {
    // Its affine gradients on the side stream with the linears' (the same join).
    return FusedResidualLayerNorm(x, r, g, b, o.side_stream_weight_grads, 0.0, relay,
                                  out_relay);
  }
  TORCH_CHECK(!relay && !out_relay,
              "a residual gradient relay for a residual our kernel does not serve");
  return SeedLayerNorm(x + r, g, b);
}

// ResidualLayerNorm(x, TokenDropout(r, B, T, o), g, b, o), the dropout inside our kernels
// where ForwardOptions::fused_residual_dropout asks and they serve the tensors.
torch::Tensor DropoutResidualLayerNorm(const torch::Tensor& x, const torch::Tensor& r,
                                       const torch::Tensor& g, const torch::Tensor& b, int64_t B,
                                       int64_t T, const ForwardOptions& o,
                                       const ResidualGradRelayPtr& relay = {},
                                       const ResidualGradRelayPtr& out_relay = {}) {
  if (o.fused_residual_dropout && o.fused_layer_norm && o.train && o.pack_dropout &&
      o.dropout > 0.0 && o.dropout < 1.0 && FusedResidualLayerNormServes(x, r, g, b)) {
    return FusedResidualLayerNorm(x, r, g, b, o.side_stream_weight_grads, o.dropout, relay,
                                  out_relay);
  }
  return ResidualLayerNorm(x, TokenDropout(r, B, T, o), g, b, o, relay, out_relay);
}

// x [S,N,in] @ wt (wt [S,in,out], the stored transposed weight) + bias [S,out].
torch::Tensor SeedLinear(const torch::Tensor& x, const torch::Tensor& wt,
                         const torch::Tensor& bias = {}) {
  if (bias.defined()) return torch::baddbmm(bias.unsqueeze(1), x, wt);
  return torch::bmm(x, wt);
}

// Whether LayerLinear takes SideStreamLinear for x @ wt.
bool SideStreamServes(const ForwardOptions& o, const torch::Tensor& x, const torch::Tensor& wt) {
  return o.side_stream_weight_grads && x.is_cuda() && x.scalar_type() == torch::kFloat32 &&
         wt.scalar_type() == torch::kFloat32 && SideStreamLinearAvailable();
}

// A layer's linear: with ForwardOptions::side_stream_weight_grads (on a CUDA build's fp32
// tensors), its weight and bias gradients on the side stream; SeedLinear otherwise. relay:
// RelayFor's, for x's residual.
torch::Tensor LayerLinear(const ForwardOptions& o, const torch::Tensor& x,
                          const torch::Tensor& wt, const torch::Tensor& bias = {},
                          const ResidualGradRelayPtr& relay = {}) {
  if (SideStreamServes(o, x, wt)) {
    return SideStreamLinear(x, wt, bias, o.lt_gemms, o.lt_transposed_weight_grads, relay);
  }
  TORCH_CHECK(!relay, "a residual gradient relay for a linear off the side stream");
  return SeedLinear(x, wt, bias);
}

// Whether x's skip gradient in a residual LN(x + r) with affine g, b (r x's shape) may be
// relayed (residual_grad_relay.h): asked for, in training, and the residual our function.
bool RelayServes(const ForwardOptions& o, const torch::Tensor& x, const torch::Tensor& g,
                 const torch::Tensor& b) {
  return o.relay_residual_grads && o.train && x.requires_grad() && o.fused_layer_norm &&
         FusedResidualLayerNormServes(x, x, g, b);
}

// With ForwardOptions::relay_into_linears: a relay for x's two readers in a layer, the linear
// x @ wt (which adds the skip gradient in its product's epilogue) and the residual with affine
// g, b, where both are our functions; none (autograd adds the two) otherwise.
ResidualGradRelayPtr RelayFor(const ForwardOptions& o, const torch::Tensor& x,
                              const torch::Tensor& wt, const torch::Tensor& g,
                              const torch::Tensor& b) {
  if (!o.relay_into_linears || !RelayServes(o, x, g, b) || !SideStreamServes(o, x, wt)) return {};
  return c10::make_intrusive<ResidualGradRelay>();
}

// Without relay_into_linears: a relay from the residual (affine g, b) that will read a tensor
// shaped as x to the residual that will write it, whose backward adds the skip gradient as
// its kernels read their output gradient; none otherwise. Both are residuals of the same
// width, so one check serves them.
ResidualGradRelayPtr LayerNormRelayFor(const ForwardOptions& o, const torch::Tensor& x,
                                       const torch::Tensor& g, const torch::Tensor& b) {
  if (o.relay_into_linears || !RelayServes(o, x, g, b)) return {};
  return c10::make_intrusive<ResidualGradRelay>();
}

// The pieces of a layer shared by Hidden (whole sequences) and DecodeStep (one new token per
// row), so the training forward and the cached decode cannot drift apart.

// sqrt(d) E[ids] as a one-hot bmm (deterministic, batched over seeds, cheap for V+2 <= ~100):
// ids [S,N] int64 -> [S,N,d].
torch::Tensor EmbedIds(const PackParams& p, const torch::Tensor& ids, int64_t V,
                       const torch::TensorOptions& fopts) {
  const int64_t S = ids.size(0), N = ids.size(1), d = p.embedding.size(2);
  torch::Tensor one_hot = torch::zeros({S, N, V}, fopts).scatter_(2, ids.reshape({S, N, 1}), 1.0);
  return torch::bmm(one_hot, p.embedding) * std::sqrt(static_cast<double>(d));
}

// Queries (already scaled by 1/sqrt(dh)), keys and values of x [S,B*T,d], each a view
// [S,B,H,T,dh] of the layer's one product x @ W_qkv (qkv_views.h).
struct HeadsQkv {
  torch::Tensor q, k, v;
};
HeadsQkv ProjectQkv(const PackParams::Layer& l, const torch::Tensor& x, int64_t B, int64_t T,
                    int64_t H, const ForwardOptions& o) {
  const int64_t S = x.size(0), d = x.size(2), dh = d / H;
  const double scale = 1.0 / std::sqrt(static_cast<double>(dh));
  const QkvViews qkv = SplitQkv(LayerLinear(o, x, l.wqkv), H);  // [S,B*T,H,dh] each
  auto heads_first = [&](const torch::Tensor& t) {
    return t.view({S, B, T, H, dh}).permute({0, 1, 3, 2, 4});
  };
  return {heads_first(qkv.q * scale), heads_first(qkv.k), heads_first(qkv.v)};
}

// Per-head attention outputs [S*B*H,T,dh] -> [S,B*T,d] (heads concatenated per token).
torch::Tensor MergeHeads(const torch::Tensor& a, int64_t S, int64_t B, int64_t T, int64_t H) {
  const int64_t dh = a.size(2);
  return a.view({S, B, H, T, dh}).permute({0, 1, 3, 2, 4}).reshape({S, B * T, H * dh});
}

// The rest of a layer after attention: x, a [S,B*T,d] (a = merged heads before W_o) ->
// LN2(u + drop(W2 drop(relu(W1 u + b1)) + b2)) with u = LN1(x + drop(W_o a)). x_relay: x's
// skip gradient's relay (RelayFor's, which x's linear W_qkv took, or LayerNormRelayFor's, made
// with the residual that wrote x); out_relay: the output's (LayerNormRelayFor's for the next
// layer's LN1); u's is made here.
torch::Tensor LayerTail(const PackParams::Layer& l, const torch::Tensor& x, const torch::Tensor& a,
                        int64_t B, int64_t T, const ForwardOptions& o,
                        const ResidualGradRelayPtr& x_relay = {},
                        const ResidualGradRelayPtr& out_relay = {}) {
  // u is shaped as x: the checks on x answer for it.
  const ResidualGradRelayPtr u_relay = o.relay_into_linears
                                           ? RelayFor(o, x, l.w1, l.ln2_g, l.ln2_b)
                                           : LayerNormRelayFor(o, x, l.ln2_g, l.ln2_b);
  // u's relay goes to LN1 (u's writer) or to W1 (its other reader).
  const ResidualGradRelayPtr u_to_ln1 = o.relay_into_linears ? ResidualGradRelayPtr() : u_relay;
  const ResidualGradRelayPtr u_to_w1 = o.relay_into_linears ? u_relay : ResidualGradRelayPtr();
  torch::Tensor u = DropoutResidualLayerNorm(x, LayerLinear(o, a, l.wo), l.ln1_g, l.ln1_b, B, T,
                                             o, x_relay, u_to_ln1);
  torch::Tensor f = ReluDropout(LayerLinear(o, u, l.w1, l.b1, u_to_w1), B, T, o);
  f = LayerLinear(o, f, l.w2, l.b2);
  return DropoutResidualLayerNorm(u, f, l.ln2_g, l.ln2_b, B, T, o, u_relay, out_relay);
}

}  // namespace

namespace {
constexpr uint64_t kDropoutTag = 0x64726f706f7574ULL;  // "dropout"
}  // namespace

uint64_t DropoutStreamSeed(int64_t seed) {
  return MixSeed(MixSeed(kDropoutTag) ^ static_cast<uint64_t>(seed));
}

DropoutStreams::DropoutStreams(const std::vector<int64_t>& seeds, torch::Device device)
    : device_(device) {
  for (int64_t seed : seeds) {
    const uint64_t stream_seed = DropoutStreamSeed(seed);
    if (device.is_cuda()) {
      at::Generator gen = at::globalContext().defaultGenerator(device);
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_current_seed(stream_seed);  // also resets the offset
      states_.push_back(gen.get_state());
    } else {
      cpu_gens_.push_back(at::make_generator<at::CPUGeneratorImpl>(stream_seed));
      states_.push_back(torch::Tensor());  // unused on the CPU; keeps size()
    }
  }
}

torch::Tensor DropoutStreams::Draw(int64_t s, at::IntArrayRef shape, double keep) {
  auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device_);
  if (!device_.is_cuda()) return torch::empty(shape, opts).bernoulli_(keep, cpu_gens_[s]);
  at::Generator gen = at::globalContext().defaultGenerator(device_);
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(states_[s]);
  }
  // bernoulli_ takes the generator's lock itself.
  torch::Tensor m = torch::empty(shape, opts).bernoulli_(keep, gen);
  std::lock_guard<std::mutex> lock(gen.mutex());
  states_[s] = gen.get_state();
  return m;
}

torch::Tensor DropoutStreams::GetState(int64_t s) const {
  return device_.is_cuda() ? states_[s].clone() : cpu_gens_[s].get_state();
}

void DropoutStreams::SetState(int64_t s, const torch::Tensor& state) {
  if (device_.is_cuda()) {
    states_[s] = state.clone();
  } else {
    // A copy of its own: a checkpoint's state is a row of the seeds' stacked states (a view at
    // an offset), which LibTorch 2.11's CPU generator read past (it crashed a resume on the
    // GPU machine's CPU, 2026-12-05).
    cpu_gens_[s].set_state(state.clone());
  }
}

PackModel::PackModel(const ModelShape& shape, const std::vector<int64_t>& seeds,
                     torch::Device device)
    : shape_(shape), seeds_(seeds), device_(device), layout_(ParamLayout(shape)) {
  TORCH_CHECK(shape.d_model % shape.heads == 0, "d_model must be a multiple of heads");
  const int64_t S = num_seeds();
  const int64_t P = ParamRowLength(layout_);

  // Initialise on the CPU with one generator per seed, so the weights do not depend on the
  // device or on the other seeds of the pack.
  torch::NoGradGuard no_grad;
  torch::Tensor cpu = torch::zeros({S, P}, torch::kFloat32);  // padding stays 0
  for (int64_t s = 0; s < S; ++s) {
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(seeds[s]));
    for (const ParamSlot& slot : layout_) {
      torch::Tensor t = cpu[s].narrow(0, slot.offset, slot.numel);
      switch (slot.init) {
        case ParamSlot::Init::kUniform:
          if (slot.draw_columns.empty()) {
            t.uniform_(-slot.bound, slot.bound, gen);
          } else {
            torch::Tensor m = t.view({slot.shape[0], slot.shape[1]});
            int64_t col = 0;
            for (int64_t width : slot.draw_columns) {
              m.narrow(1, col, width)
                  .copy_(torch::empty({slot.shape[0], width}).uniform_(-slot.bound, slot.bound,
                                                                       gen));
              col += width;
            }
          }
          break;
        case ParamSlot::Init::kOnes:
          t.fill_(1.0);
          break;
        case ParamSlot::Init::kZeros:
          t.zero_();
          break;
      }
    }
  }
  flat_ = cpu.to(device_);
  flat_grad_ = torch::zeros_like(flat_);

  // Leaves are views of flat_ whose .grad is a view of flat_grad_: autograd accumulates into an
  // existing grad in place, so backward fills flat_grad_ directly.
  for (const ParamSlot& slot : layout_) {
    std::vector<int64_t> full = {S};
    full.insert(full.end(), slot.shape.begin(), slot.shape.end());
    torch::Tensor leaf = flat_.narrow(1, slot.offset, slot.numel).view(full).detach();
    leaf.requires_grad_(true);
    leaves_.push_back(leaf);
  }
  AttachFlatGrads();
  size_t i = 0;
  params_.embedding = leaves_[i++];
  for (int64_t l = 0; l < shape_.layers; ++l) {
    PackParams::Layer layer;
    layer.wqkv = leaves_[i++];
    layer.wo = leaves_[i++];
    layer.w1 = leaves_[i++];
    layer.b1 = leaves_[i++];
    layer.w2 = leaves_[i++];
    layer.b2 = leaves_[i++];
    layer.ln1_g = leaves_[i++];
    layer.ln1_b = leaves_[i++];
    layer.ln2_g = leaves_[i++];
    layer.ln2_b = leaves_[i++];
    params_.layers.push_back(layer);
  }
  if (!shape_.tie_embeddings) params_.out_w = leaves_[i++];
  params_.out_b = leaves_[i++];
  pos_table_ = SinusoidalTable(shape_.max_len, shape_.d_model).to(device_);
}

bool PackModel::GradsInFlatBuffer() const {
  const char* base = static_cast<const char*>(flat_grad_.data_ptr());
  for (size_t i = 0; i < leaves_.size(); ++i) {
    const torch::Tensor& g = leaves_[i].grad();
    if (!g.defined() ||
        static_cast<const char*>(g.data_ptr()) != base + layout_[i].offset * sizeof(float)) {
      return false;
    }
  }
  return true;
}

void PackModel::DetachGrads() {
  for (torch::Tensor& leaf : leaves_) leaf.mutable_grad() = torch::Tensor();
}

void PackModel::AttachFlatGrads() {
  const int64_t S = num_seeds();
  for (size_t i = 0; i < leaves_.size(); ++i) {
    std::vector<int64_t> full = {S};
    full.insert(full.end(), layout_[i].shape.begin(), layout_[i].shape.end());
    leaves_[i].mutable_grad() =
        flat_grad_.narrow(1, layout_[i].offset, layout_[i].numel).view(full);
  }
}

torch::Tensor PackModel::Hidden(const PackParams& p, const torch::Tensor& ids,
                                const torch::Tensor& lengths,
                                const ForwardOptions& o) const {
  const int64_t S = ids.size(0), B = ids.size(1), T = ids.size(2);
  const int64_t d = shape_.d_model, H = shape_.heads, dh = d / H, V = shape_.num_ids;
  TORCH_CHECK(S == p.num_seeds(), "ids have ", S, " seeds, params ", p.num_seeds());
  // Packed rows read the table at each token's position in its line, not in its row.
  TORCH_CHECK(T <= shape_.max_len || o.line_start != nullptr, "sequence of ", T,
              " tokens exceeds the position table (", shape_.max_len, ")");
  const auto fopts = torch::TensorOptions().dtype(torch::kFloat32).device(ids.device());

  TORCH_CHECK(o.line_start == nullptr ||
                  (o.first_key == nullptr && o.entropy_sum == nullptr && o.keys_values == nullptr),
              "packed rows (line_start) do not combine with first_key, entropy_sum or keys_values");
  torch::Tensor pos = torch::arange(T, ids.options());
  torch::Tensor x = EmbedIds(p, ids.reshape({S, B * T}), V, fopts);
  if (o.line_start != nullptr) {  // positions restart at each line of a packed row
    torch::Tensor line_pos = pos.view({1, 1, T}) - *o.line_start;  // [S,B,T]
    x = x + pos_table_.index_select(0, line_pos.reshape({S * B * T})).view({S, B * T, d});
  } else {
    x = (x.view({S, B, T, d}) + pos_table_.slice(0, 0, T)).view({S, B * T, d});
  }
  x = TokenDropout(x, B, T, o);

  if (o.line_seqstarts != nullptr) {  // attention per line: no mask to build
    TORCH_CHECK(o.line_start != nullptr, "line_seqstarts needs line_start");
    const double p_drop = o.train ? o.dropout : 0.0;
    TORCH_CHECK(p_drop <= 0.0 || (o.own_line_attention && o.pack_dropout),
                "attention per line with dropout needs our kernels and pack_dropout "
                "(cuda_line_attention.h)");
    const double scale = 1.0 / std::sqrt(static_cast<double>(dh));
    // x's skip gradient's relay: without relay_into_linears, made with the residual that
    // wrote x (none for the embedding's x: autograd adds that one's).
    ResidualGradRelayPtr x_relay;
    for (size_t i = 0; i < p.layers.size(); ++i) {
      if (o.before_layer) o.before_layer(static_cast<int64_t>(i));
      const PackParams::Layer& l = p.layers[i];
      if (o.relay_into_linears) x_relay = RelayFor(o, x, l.wqkv, l.ln1_g, l.ln1_b);
      torch::Tensor qkv =  // [S,B*T,3d], token-major
          LayerLinear(o, x, l.wqkv, {}, o.relay_into_linears ? x_relay : ResidualGradRelayPtr());
      torch::Tensor a;
      if (o.own_line_attention) {
        // Under bf16 autocast the product is bf16; our kernels take fp32 (and W_o's autocast
        // casts the output back down).
        if (qkv.scalar_type() != torch::kFloat32) qkv = qkv.to(torch::kFloat32);
        a = OwnLineAttentionQkv(qkv, H, *o.line_seqstarts, p_drop, scale);
      } else {
        const QkvViews v = SplitQkv(qkv, H);
        a = LineAttention(v.q, v.k, v.v, *o.line_seqstarts, T, scale);
      }
      ResidualGradRelayPtr next_relay;
      if (i + 1 < p.layers.size()) {
        next_relay = LayerNormRelayFor(o, x, p.layers[i + 1].ln1_g, p.layers[i + 1].ln1_b);
      }
      x = LayerTail(l, x, a, B, T, o, x_relay, next_relay);
      x_relay = next_relay;
    }
    return x;
  }

  // Additive mask [S,B,1,T,T]: causal (key > query) or key at/after the row's length.
  torch::Tensor len = lengths.clamp_min(1);
  torch::Tensor key_pad = pos.view({1, 1, T}) >= len.unsqueeze(2);                 // [S,B,T]
  torch::Tensor causal = pos.view({T, 1}) < pos.view({1, T});                       // [T,T]
  torch::Tensor blocked = causal.view({1, 1, T, T}).logical_or(key_pad.unsqueeze(2));  // [S,B,T,T]
  if (o.first_key != nullptr) {  // keys 1 .. first_key-1 blocked
    torch::Tensor first = o.first_key->view({o.first_key->dim() == 1 ? 1 : S, B, 1});
    torch::Tensor outside = (pos.view({1, 1, T}) >= 1).logical_and(pos.view({1, 1, T}) < first);
    blocked = blocked.logical_or(outside.unsqueeze(2));
  }
  if (o.line_start != nullptr) {  // keys before the query's line start: another line
    blocked = blocked.logical_or(pos.view({1, 1, 1, T}) < o.line_start->unsqueeze(3));
  }
  torch::Tensor add_mask =
      torch::zeros({S, B, T, T}, fopts)
          .masked_fill_(blocked, -std::numeric_limits<float>::infinity())
          .unsqueeze(2);
  torch::Tensor query_valid;
  if (o.entropy_sum != nullptr) {
    query_valid = (pos.view({1, 1, T}) < len.unsqueeze(2)).to(torch::kFloat32);
    *o.entropy_sum = torch::zeros({S, B}, fopts);
  }

  const bool fused = o.fused_attention && o.entropy_sum == nullptr && o.keys_values == nullptr;
  for (size_t i = 0; i < p.layers.size(); ++i) {
    if (o.before_layer) o.before_layer(static_cast<int64_t>(i));
    const PackParams::Layer& l = p.layers[i];
    HeadsQkv qkv = ProjectQkv(l, x, B, T, H, o);
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1)
    if (fused) {
      // [S,B,H,T,dh] views merge to [S*B,H,T,dh] without a copy; q is already scaled.
      torch::Tensor a = at::scaled_dot_product_attention(
          qkv.q.reshape({S * B, H, T, dh}), qkv.k.reshape({S * B, H, T, dh}),
          qkv.v.reshape({S * B, H, T, dh}), add_mask.view({S * B, 1, T, T}),
          o.train ? o.dropout : 0.0, /*is_causal=*/false, /*scale=*/1.0);
      x = LayerTail(l, x, MergeHeads(a.reshape({S * B * H, T, dh}), S, B, T, H), B, T, o);
      continue;
    }
#else
    (void)fused;
#endif
    if (o.keys_values != nullptr) {
      o.keys_values->push_back(qkv.k);
      o.keys_values->push_back(qkv.v);
    }
    torch::Tensor q = qkv.q.reshape({S * B * H, T, dh});
    torch::Tensor k = qkv.k.reshape({S * B * H, T, dh});
    torch::Tensor v = qkv.v.reshape({S * B * H, T, dh});
    torch::Tensor scores = torch::bmm(q, k.transpose(1, 2)).view({S, B, H, T, T}) + add_mask;
    torch::Tensor probs = torch::softmax(scores, -1);
    if (o.entropy_sum != nullptr) {
      torch::Tensor mean = probs.mean(2);  // [S,B,T,T], head-averaged
      torch::Tensor ent = -torch::xlogy(mean, mean).sum(-1);  // [S,B,T]; 0 ln 0 = 0
      *o.entropy_sum = *o.entropy_sum + (ent * query_valid).sum(-1);
    }
    probs = ProbsDropout(probs, o);
    torch::Tensor a = MergeHeads(torch::bmm(probs.view({S * B * H, T, T}), v), S, B, T, H);
    x = LayerTail(l, x, a, B, T, o);
  }
  return x;
}

torch::Tensor PackModel::DecodeStep(const PackParams& p, const torch::Tensor& ids,
                                    const torch::Tensor& pos, int64_t num_keys,
                                    std::vector<torch::Tensor>& cache) const {
  const int64_t S = ids.size(0), B = ids.size(1);
  const int64_t d = shape_.d_model, H = shape_.heads, dh = d / H, V = shape_.num_ids;
  TORCH_CHECK(S == p.num_seeds(), "ids have ", S, " seeds, params ", p.num_seeds());
  TORCH_CHECK(static_cast<int64_t>(cache.size()) == 2 * shape_.layers, "the cache holds ",
              cache.size(), " tensors, expected K and V for each of ", shape_.layers, " layers");
  const int64_t C = cache[0].size(3);
  TORCH_CHECK(num_keys >= 1 && num_keys <= C && num_keys <= shape_.max_len, "num_keys ",
              num_keys, " outside [1, ", std::min(C, shape_.max_len), "]");
  const auto fopts = torch::TensorOptions().dtype(torch::kFloat32).device(ids.device());

  // pos [B] (shared by every seed) is handled as pos [1,B] broadcast over the seeds.
  TORCH_CHECK((pos.dim() == 1 && pos.size(0) == B) ||
                  (pos.dim() == 2 && pos.size(0) == S && pos.size(1) == B),
              "pos has shape ", pos.sizes(), ", expected [", B, "] or [", S, ", ", B, "]");
  const torch::Tensor pos2 = pos.dim() == 1 ? pos.unsqueeze(0) : pos;  // [Ps,B]
  const int64_t Ps = pos2.size(0);  // 1 or S
  // Row b's token sits at its position: Hidden's embedding plus that position's encoding.
  torch::Tensor x = EmbedIds(p, ids, V, fopts) +
                    pos_table_.index_select(0, pos2.reshape({Ps * B})).view({Ps, B, d});
  // Keys after the row's own position are blocked (they are padding or not yet written).
  torch::Tensor key_pos = torch::arange(num_keys, pos.options());
  torch::Tensor add_mask = torch::zeros({Ps, B, num_keys}, fopts)
                               .masked_fill_(key_pos.view({1, 1, num_keys}) > pos2.unsqueeze(2),
                                             -std::numeric_limits<float>::infinity())
                               .view({Ps, B, 1, 1, num_keys});
  torch::Tensor slot = pos2.reshape({Ps, B, 1, 1, 1}).expand({S, B, H, 1, dh});
  const ForwardOptions eval;  // no dropout
  for (size_t i = 0; i < p.layers.size(); ++i) {
    const PackParams::Layer& l = p.layers[i];
    HeadsQkv qkv = ProjectQkv(l, x, B, 1, H, eval);
    torch::Tensor& k_cache = cache[2 * i];
    torch::Tensor& v_cache = cache[2 * i + 1];
    k_cache.scatter_(3, slot, qkv.k);
    v_cache.scatter_(3, slot, qkv.v);
    torch::Tensor q = qkv.q.reshape({S * B * H, 1, dh});
    torch::Tensor k = k_cache.view({S * B * H, C, dh}).narrow(1, 0, num_keys);
    torch::Tensor v = v_cache.view({S * B * H, C, dh}).narrow(1, 0, num_keys);
    torch::Tensor scores =
        torch::bmm(q, k.transpose(1, 2)).view({S, B, H, 1, num_keys}) + add_mask;
    torch::Tensor probs = torch::softmax(scores, -1);
    torch::Tensor a =
        MergeHeads(torch::bmm(probs.view({S * B * H, 1, num_keys}), v), S, B, 1, H);
    x = LayerTail(l, x, a, B, 1, eval);
  }
  return x;
}

torch::Tensor PackModel::Logits(const PackParams& p, const torch::Tensor& hidden) const {
  return SeedLinear(hidden, p.OutputWeight(), p.out_b);
}

torch::Tensor PackModel::Logits(const PackParams& p, const torch::Tensor& hidden,
                                const ForwardOptions& o) const {
  // Tied, the output weight is the embedding's transpose, which the forward also reads: a
  // weight the side stream's backward takes must be used once in the graph.
  if (p.out_w.defined() && SideStreamServes(o, hidden, p.out_w)) {
    return LayerLinear(o, hidden, p.out_w, p.out_b);
  }
  return Logits(p, hidden);
}

torch::Tensor LossPerSeed(const torch::Tensor& logits, const torch::Tensor& targets,
                          const torch::Tensor& counts) {
  const int64_t S = logits.size(0), V = logits.size(2);
  torch::Tensor ce = at::cross_entropy_loss(logits.reshape({-1, V}), targets.reshape({-1}), {},
                                            at::Reduction::None, -100);
  return ce.view({S, -1}).sum(1) / counts;
}

}  // namespace sg
