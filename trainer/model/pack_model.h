// The paper's transformer LM (experiment.md §1) as a *pack*: S models that differ only by seed,
// trained as one batched model. Trainer-internal (includes LibTorch).
//
// Every parameter has a leading seed dimension [S, ...]. All parameters of the pack live in one
// contiguous buffer `flat` of shape [S, P] (P = ParamRowLength: the parameters of one model,
// each starting at a multiple of kSlotAlign floats, the row padded to kRowAlign floats with
// zeros that never get a gradient); the named parameters are views of it, and their gradients
// are views of a matching `flat_grad`. The alignment matters on GPUs: cuBLAS and the fused
// optimizer take their vectorised paths only on 16-byte-aligned pointers, and an odd P would
// misalign every other seed's weights (measured in docs/performance.md). The optimiser,
// per-seed clipping, weight norms and checkpoints therefore work on two [S, P] tensors with a
// handful of kernels, whatever the depth.
//
// Forward (post-LN, no final LayerNorm): e = sqrt(d) E[x] + PE, dropout; per layer
// u = LN1(h + drop(MHA(h))), h = LN2(u + drop(W2 drop(relu(W1 u + b1)) + b2));
// logits = W_out h + b_out. MHA has no biases, W_kv rows interleave K and V per head (§1.5),
// dropout on the attention probabilities. Matmuls are torch::bmm over the seed dimension.
// W_q and W_kv are one parameter W_qkv = [W_q | W_kv] ([in, 3d]), so a layer's queries, keys
// and values are one product (qkv_views.h): on the H200 a 512 x 512 product per seed used
// half the GPU (docs/performance.md).
//
// Linear weights are stored transposed, [in, out] (x @ W^T is bmm(x, Wt)): the gradient that
// backward computes for Wt is then a contiguous bmm output that autograd can keep as the
// parameter's grad as it is, where the [out, in] layout would make it copy a transposed grad
// every step (8 bytes per parameter of memory traffic, see docs/performance.md).
#ifndef SG_TRAINER_MODEL_PACK_MODEL_H_
#define SG_TRAINER_MODEL_PACK_MODEL_H_

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/sweep_spec.h"

namespace sg {

struct ModelShape {
  int64_t num_ids = 0;  // V+2: input and output classes
  int64_t d_model = 512;
  int64_t heads = 8;
  int64_t ff = 2048;
  int64_t layers = 6;
  bool tie_embeddings = false;  // output layer reuses E (its bias stays)
  int64_t max_len = 5000;       // rows of the sinusoidal table

  static ModelShape FromConfig(const TrainConfig& config, int64_t num_ids);
  // Parameters of one model (experiment.md §1.8 for the paper's shape).
  int64_t NumParams() const;
};

constexpr int64_t kSlotAlign = 16;  // floats (64 bytes)
constexpr int64_t kRowAlign = 64;   // floats (256 bytes)

// One named parameter inside the flat [S, P] buffer.
struct ParamSlot {
  std::string name;
  std::vector<int64_t> shape;  // without the seed dimension
  int64_t offset = 0;          // into P
  int64_t numel = 0;
  enum class Init { kUniform, kOnes, kZeros } init = Init::kUniform;
  double bound = 0;  // U(-bound, bound) for kUniform
  // kUniform of a [rows, cols] slot drawn as column blocks of these widths, each block a
  // serial draw of its own [rows, width] in turn; empty: one serial draw over the slot. W_qkv
  // draws W_q's d columns and then W_kv's 2d, as their slots of their own were drawn before
  // they were fused (checkpoint format 3), so a seed's initial weights did not change.
  std::vector<int64_t> draw_columns;
};

// The flat layout in initialisation order: E, then per layer W_qkv, W_o, W_1, b_1, W_2, b_2,
// LN1 gamma/beta, LN2 gamma/beta, then W_out (untied only) and b_out. Linear weights have
// shape [in, out] (transposed); each entry is an i.i.d. uniform draw, so the layout does not
// change the initial distribution. QkvSlots::kSeparate gives checkpoint format 3's layout, W_q
// and W_kv in slots of their own where W_qkv is now (checkpoint_upgrade.h reads it).
enum class QkvSlots { kFused, kSeparate };
std::vector<ParamSlot> ParamLayout(const ModelShape& shape, QkvSlots qkv = QkvSlots::kFused);
// P: the padded length of one model's row in the flat buffer.
int64_t ParamRowLength(const std::vector<ParamSlot>& layout);

// The parameter tensors of a pack (or of a sub-range of its seeds), each [S, ...].
struct PackParams {
  struct Layer {
    // [S,d,3d], [S,d,d] ([in,out]: W^T of PyTorch's); wqkv's columns are W_q's d, then
    // W_kv's 2d (K and V interleaved per head).
    torch::Tensor wqkv, wo;
    torch::Tensor w1, b1, w2, b2;  // [S,d,ff], [S,ff], [S,ff,d], [S,d]
    torch::Tensor ln1_g, ln1_b, ln2_g, ln2_b;  // [S,d]

    // W_q [S,d,d] and W_kv [S,d,2d] as views of wqkv made at each call (OutputWeight says
    // why not kept).
    torch::Tensor Wq() const { return wqkv.narrow(2, 0, wqkv.size(2) / 3); }
    torch::Tensor Wkv() const { return wqkv.narrow(2, wqkv.size(2) / 3, 2 * wqkv.size(2) / 3); }
  };
  torch::Tensor embedding;  // [S,V+2,d]
  std::vector<Layer> layers;
  // [S,d,V+2] ([in,out]); undefined when tied: OutputWeight() then takes the embedding's
  // transpose at each use. A view kept from construction would be made under no_grad, and
  // autograd refuses such a view once the optimizer has updated its base in place.
  torch::Tensor out_w;
  torch::Tensor out_b;  // [S,V+2]

  torch::Tensor OutputWeight() const {
    return out_w.defined() ? out_w : embedding.transpose(1, 2);
  }

  int64_t num_seeds() const { return embedding.size(0); }
  // Seeds [begin, end) as views.
  PackParams Slice(int64_t begin, int64_t end) const;
};

// One dropout random stream per seed, seeded from that seed alone, so a seed's masks do not
// depend on the other seeds of its pack (a seed in a pack follows its single-seed run).
// On the CPU each stream is its own generator. On CUDA, LibTorch offers no public way to
// create a device generator, so each stream is a saved (seed, offset) state that is swapped
// into the device's default generator around each draw. Not thread-safe.
class DropoutStreams {
 public:
  DropoutStreams(const std::vector<int64_t>& seeds, torch::Device device);

  int64_t size() const { return static_cast<int64_t>(states_.size()); }
  // A {0,1} float mask of `shape` on the device, P(1) = keep, drawn from stream s.
  torch::Tensor Draw(int64_t s, at::IntArrayRef shape, double keep);
  // The stream's state (a CPU uint8 tensor) and its restore.
  torch::Tensor GetState(int64_t s) const;
  void SetState(int64_t s, const torch::Tensor& state);

 private:
  torch::Device device_;
  std::vector<at::Generator> cpu_gens_;  // CPU: one generator per seed
  std::vector<torch::Tensor> states_;    // CUDA: each seed's saved state
};

// The seed of seed `seed`'s dropout stream (a mix of the seed and a fixed tag).
uint64_t DropoutStreamSeed(int64_t seed);

struct ForwardOptions {
  bool train = false;               // dropout on
  double dropout = 0.0;
  DropoutStreams* streams = nullptr;  // per-seed masks; required when train && dropout > 0
                                      // unless pack_dropout
  // One mask over the whole pack per site from the device's default generator (one fused
  // dropout kernel per site instead of one draw per seed): what CUDA-graph training uses,
  // since a captured graph can only replay the default generator's stream. A seed's masks
  // then depend on its pack (pack_trainer.h says how the stream is seeded).
  bool pack_dropout = false;
  // Attention through at::scaled_dot_product_attention (LibTorch 2.1+; ignored before): one
  // fused kernel each way instead of scores, mask, softmax, dropout and two bmms, with its
  // dropout from the device's default generator like pack_dropout. Not with entropy_sum or
  // keys_values (they need the probabilities or the cache). The graph step sets it.
  bool fused_attention = false;
  // Each layer's residual add + LayerNorm + per-seed affine as one kernel of ours each way
  // (cuda_fused_layers.h) where it serves the tensors (the CUDA build, fp32); LibTorch's ops
  // otherwise. Same function, different rounding. The dropout before it stays LibTorch's
  // unless fused_residual_dropout.
  bool fused_layer_norm = false;
  // Rows and padded length (max valid tokens) of each seed's own batch. A seed's masks are
  // drawn for its own [rows, length] extent and padded, so they equal the masks of the same
  // seed trained alone (where the batch is padded to that seed's length only). Empty: the
  // full [B, T] for every seed.
  std::vector<int64_t> seed_rows, seed_len;
  // When set, receives sum over layers of sum over valid query positions of the entropy of the
  // head-averaged attention row (experiment.md §5.2), shape [S,B]. Divide by layers.
  torch::Tensor* entropy_sum = nullptr;
  // When set, receives each layer's keys and values (K then V per layer, 2 * layers tensors,
  // each [S,B,H,T,dh]): what incremental decoding caches after its prompt forward.
  std::vector<torch::Tensor>* keys_values = nullptr;
  // When set (int64, [B] for every seed or [S,B]), row b may attend only to key 0 (SOS) and to
  // keys at or after first_key[b], on top of the causal and padding masks, in every layer: the
  // inner passes of the tree projections (experiment.md §5.3, trainer/tree_sci.h).
  const torch::Tensor* first_key = nullptr;
  // When set (int64 [S,B,T]): rows hold several lines (line_packing.h, LmBatch::line_start).
  // Token t's line starts at line_start[s,b,t]: its position encoding is that of position
  // t - line_start (positions restart at every line) and it attends only to keys in
  // [line_start, t] (block-diagonal causal attention: no token sees another line). Each line
  // then computes what it computes alone in a row of its own. Not with first_key,
  // entropy_sum or keys_values.
  const torch::Tensor* line_start = nullptr;
  // With line_start, on a CUDA device: LmBatch::line_seqstarts (int32 on the device).
  // Attention then runs per line (cuda_line_attention.h): the same function as the
  // block-diagonal mask, each line's causal triangle computed alone, no [S,B,T,T] mask; by
  // LibTorch's kernel without dropout only, by ours (own_line_attention) with it too.
  const torch::Tensor* line_seqstarts = nullptr;
  // With line_seqstarts: attention per line by our own kernels (OwnLineAttention), which take
  // dropout (drawn like pack_dropout's, from the device's default generator).
  bool own_line_attention = false;
  // The layers' linears (W_q, W_kv, W_o, W1, W2; not the tied embedding's output layer) with
  // their weight and bias gradients on a second CUDA stream (cuda_side_stream_linear.h), fp32
  // only, and so the fused LayerNorms' affine gradients. Whoever runs backward must then
  // JoinSideStream before reading the gradients.
  bool side_stream_weight_grads = false;
  // With side_stream_weight_grads: those linears' products by cuBLASLt's first-ranked
  // algorithm (cuda_seed_gemm.h) where it serves, the forward's bias in its epilogue.
  bool lt_gemms = false;
  // With lt_gemms: each weight gradient's product from a transposed copy of the layer's input,
  // made on the side stream (SeedGemmWeightGrad's transpose_x): "nn", which Hopper's TF32
  // tensor-core kernels take, where x^T @ dy as it stands ("nt") gets sm80 kernels.
  bool lt_transposed_weight_grads = false;
  // With pack_dropout in training: the feed-forward's ReLU and the dropout after it as one
  // kernel of ours each way (cuda_fused_layers.h, FusedReluDropout) where it serves the
  // tensor (fp32 on CUDA); its masks are a hash of a key from the device's default generator,
  // not torch::dropout's draws.
  bool fused_relu_dropout = false;
  // With pack_dropout in training and fused_layer_norm: the dropout on each residual branch
  // (drop(W_o a), drop(FF)) inside our residual + LayerNorm kernels (cuda_fused_layers.h,
  // FusedResidualLayerNorm's dropout) where they serve the tensors; masks as
  // fused_relu_dropout's, a hash of a key from the device's default generator.
  bool fused_residual_dropout = false;
  // In training, with fused_layer_norm, packed rows attending per line: each residual's
  // gradient of its input x handed over past autograd, whose add of x's two gradients (the
  // residual's and the linear's that also reads x) then does not run (residual_grad_relay.h):
  // to the residual that wrote x, whose backward kernels add it as they read their output
  // gradient; with relay_into_linears (and side_stream_weight_grads), to that linear (W_qkv,
  // W1), which adds it in its input gradient's product. Where our functions serve.
  bool relay_residual_grads = false;
  bool relay_into_linears = false;
  // When set, Hidden calls it with a layer's index before that layer reads its weights: the
  // graph step's update beside the forward (cuda_graph_step.h) makes the stream wait there
  // for that layer's update.
  std::function<void(int64_t)> before_layer;
};

// Not thread-safe.
class PackModel {
 public:
  // Initialises each seed's parameters from its own CPU generator seeded with that seed
  // (experiment.md §1.6), in layout order, so a seed gets the same initial weights in any pack.
  PackModel(const ModelShape& shape, const std::vector<int64_t>& seeds, torch::Device device);

  const ModelShape& shape() const { return shape_; }
  const std::vector<int64_t>& seeds() const { return seeds_; }
  int64_t num_seeds() const { return static_cast<int64_t>(seeds_.size()); }
  torch::Device device() const { return device_; }

  torch::Tensor& flat() { return flat_; }            // [S,P], no autograd
  torch::Tensor& flat_grad() { return flat_grad_; }  // [S,P]
  const PackParams& params() const { return params_; }
  const std::vector<ParamSlot>& layout() const { return layout_; }
  // True when every parameter's .grad is still the view of flat_grad() set up at construction
  // (LibTorch accumulates into an existing grad in place; checked once after a backward so a
  // LibTorch that stops doing so fails loudly instead of training with zero gradients).
  bool GradsInFlatBuffer() const;
  // The autograd leaves (views of flat()), in layout order.
  const std::vector<torch::Tensor>& leaves() const { return leaves_; }
  // Leaves without grads, so the next backward hands each leaf a fresh contiguous gradient
  // that it keeps as is (the CUDA-graph step captures those as its static gradients).
  void DetachGrads();
  // Leaves' grads are views of flat_grad() again (the eager step's layout).
  void AttachFlatGrads();

  // ids [S,B,T] int64 (SOS first), lengths [S,B] int64 (valid tokens per row; keys at or past
  // the length are masked). Returns the final hidden states [S, B*T, d].
  torch::Tensor Hidden(const PackParams& p, const torch::Tensor& ids,
                       const torch::Tensor& lengths, const ForwardOptions& options) const;
  // One eval-mode step of incremental decoding (no dropout, no gradients needed): each row feeds
  // ids [S,B] (int64) at its position and attends to its keys 0..position. `pos` (int64) is
  // either [B], row b at pos[b] for every seed, or [S,B], seed s's row b at pos[s][b] (seeds
  // decoding different prompts). `cache` holds K then V per layer (2 * layers tensors
  // [S,B,H,C,dh], zero where never written; Hidden's keys_values copied into the first T
  // slots), and slots below a row's position must hold that row's earlier tokens; this step
  // writes the new token's K and V at the slot of its position. Only the first num_keys
  // (> max pos, <= C) slots are read. The layer math is Hidden's (shared helpers), so a cached
  // decode equals re-running Hidden on the grown sequences up to float rounding. Returns the
  // final hidden states [S,B,d].
  torch::Tensor DecodeStep(const PackParams& p, const torch::Tensor& ids, const torch::Tensor& pos,
                           int64_t num_keys, std::vector<torch::Tensor>& cache) const;
  // hidden [S,N,d] -> logits [S,N,V+2].
  torch::Tensor Logits(const PackParams& p, const torch::Tensor& hidden) const;
  // The same logits; with ForwardOptions::side_stream_weight_grads and an output layer of its
  // own (not tied), its weight and bias gradients on the side stream with the layers' (the
  // backward's first products, which the chain then does not wait for).
  torch::Tensor Logits(const PackParams& p, const torch::Tensor& hidden,
                       const ForwardOptions& o) const;
  // The sinusoidal position table [max_len, d] on the model's device.
  const torch::Tensor& positions() const { return pos_table_; }

 private:
  ModelShape shape_;
  std::vector<int64_t> seeds_;
  torch::Device device_;
  std::vector<ParamSlot> layout_;
  torch::Tensor flat_, flat_grad_;
  std::vector<torch::Tensor> leaves_;  // autograd leaves (views of flat_), layout order
  PackParams params_;
  torch::Tensor pos_table_;  // [max_len, d] sinusoidal, on device
};

// Token-level mean cross-entropy per seed (experiment.md §2.1): logits [S,N,V+2], targets
// [S,N] int64 with -100 at padding, counts [S] float (valid targets per seed). Returns [S].
torch::Tensor LossPerSeed(const torch::Tensor& logits, const torch::Tensor& targets,
                          const torch::Tensor& counts);

}  // namespace sg

#endif  // SG_TRAINER_MODEL_PACK_MODEL_H_
