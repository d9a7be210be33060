// Session 29's probe of the kernel's variants (wgmma_weight_grad_variants.{h,cu}: v0
// registers, v1 copies 2 + 1 swizzled, v2-v6 x^T from registers with 3/3/4/4/2 raw and
// 1/2/1/2/2 swizzled stages; v7, the lean form, is the tree's: wgmma_wgrad_probe.cu), apart
// from sg, against cuBLAS: the error against an fp32 product, the same bits twice, tails,
// offsets and strides; then the QF pack's four weight-gradient shapes (10 seeds x 256 rows)
// by our kernel and by cuBLAS's TF32 "nt" product as LibTorch and cuBLASLt run it. Built with
// plain nvcc on the GPU machine (run_s29a.sh with SG_VARIANTS=1):
//   nvcc -std=c++17 -O3 -gencode=arch=compute_90a,code=sm_90a -I. \
//     $D/wgmma_weight_grad_variants.cu $D/wgmma_wgrad_probe_variants.cu -lcublas
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <vector>

#include "docs/measurements/2026-12-06-session29/wgmma_weight_grad_variants.h"  // NOLINT

namespace {

using sg::cuda_kernels::LaunchWgmmaWeightGrad;
using sg::cuda_kernels::WgmmaWeightGradArgs;

#define CHECK_CUDA(e)                                                              \
  do {                                                                             \
    cudaError_t err_ = (e);                                                        \
    if (err_ != cudaSuccess) {                                                     \
      std::printf("CUDA error %s at %s:%d\n", cudaGetErrorString(err_), __FILE__, \
                  __LINE__);                                                       \
      std::exit(2);                                                                \
    }                                                                              \
  } while (0)
#define CHECK_BLAS(e)                                                   \
  do {                                                                  \
    if ((e) != CUBLAS_STATUS_SUCCESS) {                                 \
      std::printf("cuBLAS error at %s:%d\n", __FILE__, __LINE__);       \
      std::exit(2);                                                     \
    }                                                                   \
  } while (0)

int failures = 0;

float* DeviceRandom(size_t n, uint64_t seed) {
  std::vector<float> h(n);
  uint64_t s = seed * 6364136223846793005ull + 1442695040888963407ull;
  for (auto& v : h) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    v = static_cast<float>((s >> 40) & 0xFFFFFF) / 16777216.0f * 2.f - 1.f;
  }
  float* d = nullptr;
  CHECK_CUDA(cudaMalloc(&d, (n + 4) * sizeof(float)));  // never a null pointer, 0 rows too
  CHECK_CUDA(cudaMemcpy(d, h.data(), n * sizeof(float), cudaMemcpyHostToDevice));
  return d;
}

std::vector<float> Host(const float* d, size_t n) {
  std::vector<float> h(n);
  CHECK_CUDA(cudaMemcpy(h.data(), d, n * sizeof(float), cudaMemcpyDeviceToHost));
  return h;
}

// Reference dw[s] = x_s^T dy_s over rows [b, e) in fp64 on the host, for a few sampled entries.
struct Case {
  const char* name;
  int64_t seeds, rows, p, q, x_ld, dy_ld, x_ss, dy_ss, dw_ss;
  bool offsets;
};

void RunCase(const Case& c, int variant) {
  const int64_t total_rows = c.offsets ? c.rows : c.rows;
  const size_t xn = c.offsets ? static_cast<size_t>(total_rows * c.x_ld)
                              : static_cast<size_t>(c.seeds * c.x_ss);
  const size_t dyn = c.offsets ? static_cast<size_t>(total_rows * c.dy_ld)
                               : static_cast<size_t>(c.seeds * c.dy_ss);
  float* x = DeviceRandom(xn, 1);
  float* dy = DeviceRandom(dyn, 2);
  const size_t dwn = static_cast<size_t>(c.seeds * c.dw_ss);
  float* dw = nullptr;
  CHECK_CUDA(cudaMalloc(&dw, dwn * sizeof(float)));
  CHECK_CUDA(cudaMemset(dw, 0xFF, dwn * sizeof(float)));  // NaNs: every entry must be written
  std::vector<int64_t> off(c.seeds + 1, 0);
  int64_t* d_off = nullptr;
  if (c.offsets) {  // uneven seeds, one empty, one not a multiple of 32
    for (int64_t s = 0; s < c.seeds; ++s) {
      int64_t len = (s == 1) ? 0 : (c.rows / c.seeds) + ((s * 37) % 23) - 11;
      off[s + 1] = std::min<int64_t>(c.rows, off[s] + std::max<int64_t>(len, 0));
    }
    CHECK_CUDA(cudaMalloc(&d_off, off.size() * sizeof(int64_t)));
    CHECK_CUDA(cudaMemcpy(d_off, off.data(), off.size() * sizeof(int64_t),
                          cudaMemcpyHostToDevice));
  }
  WgmmaWeightGradArgs a;
  a.x = x; a.x_ld = c.x_ld; a.x_seed_stride = c.offsets ? 0 : c.x_ss;
  a.dy = dy; a.dy_ld = c.dy_ld; a.dy_seed_stride = c.offsets ? 0 : c.dy_ss;
  a.offsets = d_off; a.rows = c.rows; a.seeds = c.seeds; a.p = c.p; a.q = c.q;
  a.dw = dw; a.dw_seed_stride = c.dw_ss;
  a.variant = variant;
  CHECK_CUDA(LaunchWgmmaWeightGrad(a, 0));
  CHECK_CUDA(cudaDeviceSynchronize());
  std::vector<float> got = Host(dw, dwn);
  CHECK_CUDA(LaunchWgmmaWeightGrad(a, 0));
  CHECK_CUDA(cudaDeviceSynchronize());
  std::vector<float> again = Host(dw, dwn);
  const bool same = std::memcmp(got.data(), again.data(), dwn * sizeof(float)) == 0;
  std::vector<float> hx = Host(x, xn), hdy = Host(dy, dyn);
  double max_err = 0, max_ref = 0;
  int64_t nan_count = 0;
  for (int64_t s = 0; s < c.seeds; ++s) {
    const int64_t b = c.offsets ? off[s] : 0, e = c.offsets ? off[s + 1] : c.rows;
    const float* xs = hx.data() + (c.offsets ? 0 : s * c.x_ss);
    const float* dys = hdy.data() + (c.offsets ? 0 : s * c.dy_ss);
    for (int64_t m = 0; m < c.p; m += (m % 7 == 0 ? 1 : 5)) {
      for (int64_t n = 0; n < c.q; n += (n % 11 == 0 ? 1 : 3)) {
        double ref = 0;
        for (int64_t r = b; r < e; ++r) ref += double(xs[r * c.x_ld + m]) * dys[r * c.dy_ld + n];
        const float v = got[s * c.dw_ss + m * c.q + n];
        if (std::isnan(v)) ++nan_count;
        max_err = std::max(max_err, std::fabs(v - ref));
        max_ref = std::max(max_ref, std::fabs(ref));
      }
    }
  }
  // TF32 keeps 10 mantissa bits: each product's inputs round by at most 2^-11 relative, and the
  // sums run in fp32. Against the largest entry of a sum of `rows` products of inputs in [-1, 1]
  // an error of 2e-3 of it is well above that and far below a wrong layout's.
  const double rel = max_ref > 0 ? max_err / max_ref : max_err;
  const bool ok = same && nan_count == 0 && rel < 2e-3;
  std::printf("v%d %-44s max|err| %.3e  max|ref| %.3e  rel %.2e  same bits twice %s  "
              "NaN %lld  %s\n",
              variant, c.name, max_err, max_ref, rel, same ? "yes" : "NO",
              static_cast<long long>(nan_count), ok ? "PASS" : "FAIL");
  if (!ok) ++failures;
  CHECK_CUDA(cudaFree(x));
  CHECK_CUDA(cudaFree(dy));
  CHECK_CUDA(cudaFree(dw));
  if (d_off) CHECK_CUDA(cudaFree(d_off));
}

float TimeUs(cudaStream_t stream, int reps, void (*fn)(void*), void* ctx) {
  cudaEvent_t a, b;
  CHECK_CUDA(cudaEventCreate(&a));
  CHECK_CUDA(cudaEventCreate(&b));
  for (int i = 0; i < 10; ++i) fn(ctx);
  CHECK_CUDA(cudaEventRecord(a, stream));
  for (int i = 0; i < reps; ++i) fn(ctx);
  CHECK_CUDA(cudaEventRecord(b, stream));
  CHECK_CUDA(cudaEventSynchronize(b));
  float ms = 0;
  CHECK_CUDA(cudaEventElapsedTime(&ms, a, b));
  CHECK_CUDA(cudaEventDestroy(a));
  CHECK_CUDA(cudaEventDestroy(b));
  return ms * 1000.f / reps;
}

struct Bench {
  cublasHandle_t h;
  WgmmaWeightGradArgs args;
  int64_t seeds, rows, p, q;
  const float* xt;  // x transposed, [S, p, rows], for the "nn" product
};

void Ours(void* v) {
  auto* b = static_cast<Bench*>(v);
  CHECK_CUDA(LaunchWgmmaWeightGrad(b->args, 0));
}

// dw row-major [p, q] = x^T dy: column-major dw^T [q, p] = dy^T (q x rows) x (rows x p): dy as
// stored is column-major [q, rows] (no transpose), x as stored column-major [p, rows] (transposed).
void BlasNt(void* v) {
  auto* b = static_cast<Bench*>(v);
  const float one = 1.f, zero = 0.f;
  CHECK_BLAS(cublasSgemmStridedBatched(
      b->h, CUBLAS_OP_N, CUBLAS_OP_T, int(b->q), int(b->p), int(b->rows), &one, b->args.dy,
      int(b->q), b->rows * b->q, b->args.x, int(b->p), b->rows * b->p, &zero, b->args.dw,
      int(b->q), b->p * b->q, int(b->seeds)));
}

// The same from x transposed (stored [p, rows]: column-major [rows, p]): "nn".
void BlasNn(void* v) {
  auto* b = static_cast<Bench*>(v);
  const float one = 1.f, zero = 0.f;
  CHECK_BLAS(cublasSgemmStridedBatched(
      b->h, CUBLAS_OP_N, CUBLAS_OP_N, int(b->q), int(b->p), int(b->rows), &one, b->args.dy,
      int(b->q), b->rows * b->q, b->xt, int(b->rows), b->rows * b->p, &zero, b->args.dw,
      int(b->q), b->p * b->q, int(b->seeds)));
}

}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 && std::atoi(argv[1]) > 0 ? std::atoi(argv[1]) : 200;
  cudaDeviceProp prop;
  CHECK_CUDA(cudaGetDeviceProperties(&prop, 0));
  std::printf("device %s, %d SMs\n", prop.name, prop.multiProcessorCount);
  const Case cases[] = {
      {"QF W1 10 seeds x 256 rows, 512 x 2048", 10, 256, 512, 2048, 512, 2048, 256 * 512,
       256 * 2048, 512 * 2048, false},
      {"tail: 3 seeds x 200 rows, 256 x 384", 3, 200, 256, 384, 256, 384, 200 * 256, 200 * 384,
       256 * 384, false},
      {"strided: ld past p, q; seed strides padded", 4, 72, 128, 256, 132, 260, 72 * 132 + 8,
       72 * 260 + 4, 128 * 256 + 64, false},
      {"no rows: 2 seeds x 0 rows", 2, 0, 128, 128, 128, 128, 0, 0, 128 * 128, false},
      {"offsets: 7 seeds over 1000 rows, 384 x 128", 7, 1000, 384, 128, 384, 128, 0, 0,
       384 * 128, true},
  };
  if (!(argc > 1 && std::strcmp(argv[1], "profile") == 0)) {
    for (int v = 0; v < 7; ++v) {
      for (const Case& c : cases) RunCase(c, v);
    }
  }
  if (argc > 1 && std::strcmp(argv[1], "check") == 0) return failures == 0 ? 0 : 1;

  cublasHandle_t h;
  CHECK_BLAS(cublasCreate(&h));
  CHECK_BLAS(cublasSetMathMode(h, CUBLAS_TF32_TENSOR_OP_MATH));
  const int64_t S = 10, N = 256;
  const bool profile = argc > 1 && std::strcmp(argv[1], "profile") == 0;
  const int64_t shapes[4][2] = {{512, 1536}, {512, 512}, {512, 2048}, {2048, 512}};
  const char* names[4] = {"W_qkv 512x1536", "W_o 512x512", "W_1 512x2048", "W_2 2048x512"};
  constexpr int kV = 7;
  double sum[kV + 2] = {};
  std::printf("\n%-16s", "10 x 256, us");
  for (int k = 0; k < kV; ++k) std::printf("  v%d", k), std::printf("%3s", "");
  std::printf("   nt      nn  best/nt   TF/s\n");
  for (int i = 0; i < 4; ++i) {
    const int64_t p = shapes[i][0], q = shapes[i][1];
    Bench b;
    b.h = h;
    b.seeds = S; b.rows = N; b.p = p; b.q = q;
    float* x = DeviceRandom(S * N * p, 3);
    float* dy = DeviceRandom(S * N * q, 4);
    float* xt = DeviceRandom(S * N * p, 5);
    float* dw = nullptr;
    CHECK_CUDA(cudaMalloc(&dw, S * p * q * sizeof(float)));
    b.xt = xt;
    b.args.x = x; b.args.x_ld = p; b.args.x_seed_stride = N * p;
    b.args.dy = dy; b.args.dy_ld = q; b.args.dy_seed_stride = N * q;
    b.args.rows = N; b.args.seeds = S; b.args.p = p; b.args.q = q;
    b.args.dw = dw; b.args.dw_seed_stride = p * q;
    if (profile) {  // one of each, W_1's shape only, for a profiler's eyes
      if (i != 2) continue;
      for (int k = 1; k < 3; ++k) {  // the copy kernel and x^T from registers
        b.args.variant = k;
        Ours(&b);
      }
      BlasNt(&b);
      CHECK_CUDA(cudaDeviceSynchronize());
      continue;
    }
    float v[kV];
    for (int k = 0; k < kV; ++k) {
      b.args.variant = k;
      v[k] = TimeUs(0, reps, Ours, &b);
    }
    const float nt = TimeUs(0, reps, BlasNt, &b);
    const float nn = TimeUs(0, reps, BlasNn, &b);
    float best = v[0];
    for (int k = 0; k < kV; ++k) best = std::min(best, v[k]);
    const double flops = 2.0 * S * N * p * q;
    std::printf("%-16s", names[i]);
    for (int k = 0; k < kV; ++k) std::printf(" %6.1f", v[k]), sum[k] += v[k];
    std::printf(" %6.1f %6.1f %7.2f %6.1f\n", nt, nn, best / nt, flops / (best * 1e-6) / 1e12);
    sum[kV] += nt;
    sum[kV + 1] += nn;
    CHECK_CUDA(cudaFree(x));
    CHECK_CUDA(cudaFree(dy));
    CHECK_CUDA(cudaFree(xt));
    CHECK_CUDA(cudaFree(dw));
  }
  std::printf("%-16s", "a layer's four");
  for (int k = 0; k < kV + 2; ++k) std::printf(" %6.1f", sum[k]);
  std::printf("\n");
  CHECK_BLAS(cublasDestroy(h));
  std::printf("%s\n", failures == 0 ? "ALL PASS" : "FAILURES");
  return failures == 0 ? 0 : 1;
}
