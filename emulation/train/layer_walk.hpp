// transaxx train — the approximable layers of a loaded model in model order (internal; includes
// LibTorch). Shared by the layer statistics and the search evaluator.
#pragma once

#include <torch/nn/module.h>

#include <string>
#include <utility>
#include <vector>

#include "emulation/config.hpp"

namespace axx::train {

/// (dotted name, layer) of every approximable layer under root, in the module tree's
/// registration order (blocks.10 after blocks.9: the order of a forward pass), not the
/// lexical order of emu::approximable_layers.
inline std::vector<std::pair<std::string, emu::ApproxLayer*>> ordered_layers(torch::nn::Module& root) {
  const auto all = emu::approximable_layers(root);
  std::vector<std::pair<std::string, emu::ApproxLayer*>> out;
  for (const auto& item : root.named_modules("", /*include_self=*/true)) {
    auto it = all.find(item.key());
    if (it != all.end()) out.emplace_back(it->first, it->second);
  }
  return out;
}

}  // namespace axx::train
