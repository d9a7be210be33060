// The chain's products (a layer's forward with its bias, and its input gradient) by cuBLASLt
// configurations measured faster than the one its heuristic ranks first. The heuristic picks by
// shape from a model of the kernels; for the pack's shapes (10 seeds x 256 rows, the paper's
// 512 / 2,048 widths) its first pick leaves up to a quarter of the time on the table: on an
// H100, sg-gemm-bench --search measured a layer's eight products for 10 seeds at 225.8 us with
// the heuristic's first and 205.7 us with the configurations below (the output projection's
// input gradient 14.4 -> 10.7 us; docs/performance.md, session 33), mostly the same algorithm
// (id 43, Hopper's TF32 kernels) with another tile and cluster shape.
//
// A pin names the kernel outright (seed_gemm::AlgoConfig), so every process on the same kind
// of device takes the same one, as with the heuristic's first: a resumed pack's steps stay
// bit-equal to an uninterrupted run's. Pins hold for TF32 on compute capability 9.0 with 132
// multiprocessors (the H100 SXM and the H200) and only for the shapes and seed counts listed
// (10 and 16 seeds x 256 rows, the paper's widths); anything else, or a pin cuBLASLt does not
// check as running, takes the heuristic's first as before. The H200 takes a table of its own
// where cuda_seed_gemm_pins_h200.inc lists one (a table searched in its step), else the
// H100's. sg-bench --gemm-pins replaces the tables for a process (cuda_seed_gemm.h).
// Trainer-internal, CUDA builds only (cuda_seed_gemm_pins.cc).
#ifndef SG_TRAINER_MODEL_CUDA_SEED_GEMM_PINS_H_
#define SG_TRAINER_MODEL_CUDA_SEED_GEMM_PINS_H_

#include <torch/torch.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "trainer/model/cuda_seed_gemm_plan.h"
#include "trainer/model/gemm_pin_text.h"

namespace sg {
namespace seed_gemm {

// A product's shape as Product holds it (column-major: forward m = out, n = rows, k = in;
// input gradient op_a T, m = in, n = rows, k = out) and its seeds (batch). Each pack size has
// pins of its own: the 10-seed pins made a 16-seed step 2.3% slower (session 33's call B),
// where the heuristic's first was the fastest found for three of the eight products.
struct Pin {
  cublasOperation_t op_a = CUBLAS_OP_N, op_b = CUBLAS_OP_N;
  int64_t m = 0, n = 0, k = 0, batch = 0;
  AlgoConfig config;
};

// A device as the tables tell them apart.
struct DeviceKind {
  int major = 0, minor = 0, multiprocessors = 0;
  std::string name;  // cudaDeviceProp::name
};

// The card whose own table is cuda_seed_gemm_pins_h200.inc, as CUDA names it.
inline constexpr char kH200Name[] = "NVIDIA H200";

// `device`'s kind, from its CUDA properties.
DeviceKind KindOf(int device_index);

// The compiled H100 table (measured on an H100, held by every card of compute capability 9.0
// with 132 multiprocessors that has no table of its own), or the table that replaced it.
const std::vector<Pin>& Pins();

// The H200's own table (cuda_seed_gemm_pins_h200.inc), or null where that file lists none.
const std::vector<Pin>* H200Pins();

// The table `device` plans from: a replaced one on any device; on compute capability 9.0 with
// 132 multiprocessors the H200's own where it has one, else the H100's; null elsewhere.
const std::vector<Pin>* PinsFor(const DeviceKind& device);

// Replaces the table Pins() and PinnedConfig read (nullopt: the compiled one again). Not
// synchronised: cuda_seed_gemm.cc calls it holding the lock its plans are made under
// (ReplaceSeedGemmPins in cuda_seed_gemm.h, which also drops the plans made so far).
void SetReplacedPins(std::optional<std::vector<Pin>> pins);

// p's pin on `device` (PinsFor's table), or null: TF32 only.
const AlgoConfig* PinnedConfig(const Product& p, bool tf32, const DeviceKind& device);

// A pin to and from its text (gemm_pin_text.h).
Pin PinFromText(const GemmPinText& t);
GemmPinText TextOfPin(const Pin& p);

// The configuration SeedGemm's products take for p on `device` under the current TF32 setting
// (its pin, or the heuristic's first; id -1 where cuBLASLt offers none), as they plan it
// (cuda_seed_gemm.cc): what the tests check the pins against.
AlgoConfig PlannedConfig(const Product& p, const torch::Device& device);

}  // namespace seed_gemm
}  // namespace sg

#endif  // SG_TRAINER_MODEL_CUDA_SEED_GEMM_PINS_H_
