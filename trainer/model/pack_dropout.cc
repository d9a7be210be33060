#include "trainer/model/pack_dropout.h"

#include <ATen/CPUGeneratorImpl.h>

#include <mutex>

#include "trainer/model/data_order.h"

namespace sg {

void SeedPackDropout(const torch::Device& device, const std::vector<int64_t>& seeds,
                     int64_t update) {
  uint64_t h = MixSeed(0x7061636b64726f70ULL);  // "packdrop"
  for (int64_t seed : seeds) h = MixSeed(h ^ static_cast<uint64_t>(seed));
  at::Generator gen = at::globalContext().defaultGenerator(device);
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_current_seed(MixSeed(h ^ static_cast<uint64_t>(update)));
}

}  // namespace sg
