// Tf32Scope: whether cuBLAS (and so our TF32 kernels, which follow its switch) may use TF32,
// for one scope of a test, restored at its end. Test-only (LibTorch).
#ifndef SG_TRAINER_MODEL_TF32_SCOPE_TEST_UTIL_H_
#define SG_TRAINER_MODEL_TF32_SCOPE_TEST_UTIL_H_

#include <ATen/Context.h>

namespace sg {
namespace testing_util {

class Tf32Scope {
 public:
  explicit Tf32Scope(bool on) : was_(at::globalContext().allowTF32CuBLAS()) {
    at::globalContext().setAllowTF32CuBLAS(on);
  }
  ~Tf32Scope() { at::globalContext().setAllowTF32CuBLAS(was_); }
  Tf32Scope(const Tf32Scope&) = delete;
  Tf32Scope& operator=(const Tf32Scope&) = delete;

 private:
  bool was_;
};

}  // namespace testing_util
}  // namespace sg

#endif  // SG_TRAINER_MODEL_TF32_SCOPE_TEST_UTIL_H_
