#include "trainer/model/checkpoint_upgrade.h"

#include <map>
#include <string>
#include <vector>

namespace sg {

int64_t SeparateQkvRowLength(const ModelShape& shape) {
  return ParamRowLength(ParamLayout(shape, QkvSlots::kSeparate));
}

torch::Tensor RowsFromSeparateQkv(const torch::Tensor& rows, const ModelShape& shape) {
  const std::vector<ParamSlot> old_layout = ParamLayout(shape, QkvSlots::kSeparate);
  const std::vector<ParamSlot> layout = ParamLayout(shape);
  TORCH_CHECK(rows.dim() == 2 && rows.size(1) == ParamRowLength(old_layout), "format-3 rows of ",
              ParamRowLength(old_layout), " parameters expected, got ", rows.sizes());
  std::map<std::string, const ParamSlot*> old_slots;
  for (const ParamSlot& slot : old_layout) old_slots[slot.name] = &slot;
  auto old_rows = [&](const std::string& name) {
    const auto it = old_slots.find(name);
    TORCH_CHECK(it != old_slots.end(), "format 3's layout has no ", name);
    return rows.narrow(1, it->second->offset, it->second->numel);
  };

  const int64_t R = rows.size(0), d = shape.d_model;
  torch::Tensor out = torch::zeros({R, ParamRowLength(layout)}, rows.options());
  const std::string fused = "wqkv";
  for (const ParamSlot& slot : layout) {
    torch::Tensor to = out.narrow(1, slot.offset, slot.numel);
    const size_t n = slot.name.size();
    if (n > fused.size() && slot.name.compare(n - fused.size(), fused.size(), fused) == 0) {
      const std::string layer = slot.name.substr(0, n - fused.size());  // "layerN."
      torch::Tensor m = to.view({R, d, 3 * d});
      m.narrow(2, 0, d).copy_(old_rows(layer + "wq").view({R, d, d}));
      m.narrow(2, d, 2 * d).copy_(old_rows(layer + "wkv").view({R, d, 2 * d}));
    } else {
      to.copy_(old_rows(slot.name));
    }
  }
  return out;
}

}  // namespace sg
