// The cuBLASLt side of cuda_seed_gemm.h: a layer's three seed-batched products as cuBLASLt
// describes them, the algorithms its heuristic ranks for each under the trainer's preferences,
// and the call that queues one. Shared with sg-gemm-bench (bench/gemm_algo_bench.cc), so that
// the bench ranks the algorithms exactly as the trainer asks for them and its "Lt first" is
// the trainer's pick. Trainer-internal, CUDA builds only (cuda_seed_gemm_plan.cc; includes
// cublasLt.h).
#ifndef SG_TRAINER_MODEL_CUDA_SEED_GEMM_PLAN_H_
#define SG_TRAINER_MODEL_CUDA_SEED_GEMM_PLAN_H_

#include <cublasLt.h>
#include <cuda_runtime_api.h>
#include <torch/torch.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sg {
namespace seed_gemm {

// The most workspace an algorithm may ask for.
constexpr size_t kMaxWorkspaceBytes = size_t{4} << 20;

// The alignment the heuristic is told for every operand, and the least each must have: 16
// bytes, what the tensor-core kernels' vector loads need. Fixed rather than each pointer's
// own, so the choice never depends on where the allocator put an activation: two trainers of
// one pack (an uninterrupted run and a resumed one) pick the same kernels and take the same
// bits.
constexpr uint32_t kAlignmentBytes = 16;

// One column-major strided-batched product D = op(A) op(B) (+ bias), as cuBLASLt takes it.
// Row-major [r, c] is column-major [c, r] with leading dimension c.
struct Product {
  cublasOperation_t op_a = CUBLAS_OP_N, op_b = CUBLAS_OP_N;
  int64_t m = 0, n = 0, k = 0;
  const float* a = nullptr;
  int64_t lda = 0, stride_a = 0;
  const float* b = nullptr;
  int64_t ldb = 0, stride_b = 0;
  float* d = nullptr;
  int64_t ldd = 0, stride_d = 0;
  int64_t batch = 0;
  const float* bias = nullptr;  // [m] a batch, at bias_stride
  int64_t bias_stride = 0;
  // Where set, D = op(A) op(B) + C (beta = 1), C laid out as D is (ldd, stride_d). The
  // heuristic is asked the same either way (beta is the call's, not the descriptors'), so the
  // product takes the same algorithm with and without it.
  const float* c = nullptr;
};

// The products SeedGemmForward, SeedGemmInputGrad and SeedGemmWeightGrad run, into y, dx and
// dw, which the caller allocates; the tensors as cuda_seed_gemm.h describes them (not checked
// here). bias may be undefined.
Product ForwardProduct(const torch::Tensor& x, const torch::Tensor& wt,
                       const torch::Tensor& bias, const torch::Tensor& y);
Product InputGradProduct(const torch::Tensor& dy, const torch::Tensor& wt,
                         const torch::Tensor& dx, const torch::Tensor& addend = {});
Product WeightGradProduct(const torch::Tensor& x, const torch::Tensor& dy,
                          const torch::Tensor& dw);
// The weight gradient from x already transposed (xt [S, in, N], contiguous), so both operands
// are read along the summed positions: "nn" in cuBLAS's terms, which Hopper's TF32 tensor-core
// kernels take, where WeightGradProduct's "nt" gets sm80 kernels (docs/performance.md, session
// 26). sg-gemm-bench measures it; the trainer takes it with SeedGemmWeightGrad's transpose_x
// (PackTrainerOptions::lt_transposed_weight_grads, off by default).
Product WeightGradProductFromTransposed(const torch::Tensor& xt, const torch::Tensor& dy,
                                        const torch::Tensor& dw);

// Whether every address each operand of p takes is kAlignmentBytes-aligned.
bool Aligned(const Product& p);

// A product's descriptors and up to `count` algorithms cuBLASLt's heuristic ranks for it, the
// first first, asked with the trainer's preferences: every operand kAlignmentBytes-aligned, no
// split-K reductions (each output element summed over k by one block, in one order), at most
// kMaxWorkspaceBytes of workspace. `algos` is empty where it offers none. split_k (sg-gemm-bench
// --split-k only) also offers algorithms that split k across blocks and reduce the parts.
struct Ranked {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t la = nullptr, lb = nullptr, ld = nullptr;
  std::vector<cublasLtMatmulHeuristicResult_t> algos;
};
Ranked RankAlgorithms(cublasLtHandle_t handle, const Product& p, bool tf32, int count,
                      bool split_k = false);

// One of cuBLASLt's algorithms named by its configuration: the id cublasLtMatmulAlgoGetIds
// lists and the settings cublasLtMatmulAlgoConfigSetAttribute takes. A named algorithm is the
// same kernel in every process on the same device and library, whatever the heuristic would
// rank first, so a configuration chosen by measurement (sg-gemm-bench --search) can be kept
// in the code and taken by every trainer of a pack alike.
struct AlgoConfig {
  int32_t id = -1;
  uint32_t tile = 0;       // cublasLtMatmulTile_t
  uint32_t stages = 0;     // cublasLtMatmulStages_t
  int32_t split_k = 1;     // parts of k summed by separate blocks
  uint32_t reduction = 0;  // cublasLtReductionScheme_t of those parts (0 with split_k 1)
  uint32_t swizzle = 0;    // the blocks' order over the output (0 or 1)
  uint32_t custom = 0;     // the algorithm's custom option
  uint16_t inner_shape = 0;  // cublasLtMatmulInnerShape_t
  uint16_t cluster = 0;      // cublasLtClusterShape_t
};

bool operator==(const AlgoConfig& a, const AlgoConfig& b);
bool operator<(const AlgoConfig& a, const AlgoConfig& b);

// The configuration of an algorithm the heuristic or Configure returned.
AlgoConfig ConfigOf(const cublasLtMatmulAlgo_t& algo);

// The algorithm `c` names for r's product, checked by cuBLASLt for this product on the current
// device (cublasLtMatmulAlgoCheck): true with *out set (the algorithm, its workspace size,
// state success) where it runs with at most kMaxWorkspaceBytes of workspace; false otherwise.
bool Configure(cublasLtHandle_t handle, const Ranked& r, const AlgoConfig& c, bool tf32,
               cublasLtMatmulHeuristicResult_t* out);

// "id 43 tile 20 stages 34 split-k 1 reduction 0 swizzle 0 custom 0 inner 0 cluster 5".
std::string Describe(const AlgoConfig& c);

// Destroys r's descriptors.
void Destroy(Ranked* r);

// Queues p with `algo` (one of r's, or Configure's) on `stream`: p's bias pointer set on r's
// descriptor first, so callers sharing r serialise their calls. `workspace` holds the
// algorithm's workspaceSize bytes (null where it needs none). cuBLASLt's status: a refusal is
// an answer to sg-gemm-bench's search, which asks about configurations no heuristic offered.
cublasStatus_t TryEnqueue(cublasLtHandle_t handle, const Ranked& r,
                          const cublasLtMatmulHeuristicResult_t& algo, const Product& p,
                          void* workspace, cudaStream_t stream);

// TryEnqueue, a refusal thrown as an error (the trainer's algorithms were checked as running).
void Enqueue(cublasLtHandle_t handle, const Ranked& r, const cublasLtMatmulHeuristicResult_t& algo,
             const Product& p, void* workspace, cudaStream_t stream);

}  // namespace seed_gemm
}  // namespace sg

#endif  // SG_TRAINER_MODEL_CUDA_SEED_GEMM_PLAN_H_
