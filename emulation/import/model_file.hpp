// transaxx import — one handle for every classifier the commands evaluate, whatever its file.
//
// A ModelHandle is what emulation/train (eval, sensitivity, finetune, layers) needs of a model:
// forward, the input spec, and the module tree whose ApproxLayer children emu::apply_config and
// calibration configure. It converts implicitly from models::VisionTransformer and from
// ImportedModel, so code written for the native ViT keeps compiling.
//
// Model files (load_model_file):
//   .safetensors                       native ViT: transaxx-saved (config in its metadata) or
//                                      timm-named (architecture inferred; heads from --preset /
//                                      --heads, else embed_dim / 64)
//   .pt .pth .ts .torchscript          TorchScript (torch.jit.save of a scripted module); its input
//                                      spec from the options, else the sidecar JSON
//                                      (model.pt → model.json: {"channels", "image_size",
//                                      "num_classes"})
#pragma once

#include <torch/nn/module.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "emulation/import/timm_vit.hpp"
#include "emulation/import/torchscript.hpp"
#include "emulation/models/vit.hpp"

namespace axx::imp {

class ModelHandle {
 public:
  ModelHandle(models::VisionTransformer vit);  // NOLINT: implicit on purpose (source compatibility)
  ModelHandle(ImportedModel m);                // NOLINT
  /// x: [B, channels, image_size, image_size] → logits [B, num_classes], on the model's device
  /// (x is moved there first: datasets stay on the CPU, each batch goes over).
  at::Tensor forward(const at::Tensor& x) const;
  /// Where the parameters are (the CPU for a model without any).
  c10::Device device() const;
  /// Moves parameters and buffers to `d` (emulation/device.hpp resolves the command's choice).
  void to(c10::Device d) const;
  const InputSpec& input() const { return input_; }
  /// The module tree (ApproxLayer children at their dotted names).
  torch::nn::Module& operator*() const { return *module_; }
  torch::nn::Module* operator->() const { return module_.get(); }
  std::shared_ptr<torch::nn::Module> module() const { return module_; }
  /// The native ViT, or null for a TorchScript model.
  const models::VisionTransformer* native() const { return vit_ ? &*vit_ : nullptr; }
  /// The TorchScript model, or null for a native one.
  const ImportedModel* imported() const { return ts_ ? &*ts_ : nullptr; }
  /// "vit" or "torchscript".
  const char* kind() const { return vit_ ? "vit" : "torchscript"; }
  /// Writes the model in its own format, atomically: safetensors (save_vit) for a native ViT,
  /// TorchScript (the original graph with the current weights) for an imported one.
  void save(const std::string& path, const std::vector<std::pair<std::string, std::string>>& metadata = {}) const;

 private:
  std::optional<models::VisionTransformer> vit_;
  std::optional<ImportedModel> ts_;
  std::shared_ptr<torch::nn::Module> module_;
  InputSpec input_;
};

struct ModelFileOptions {
  std::string preset;        ///< safetensors without transaxx metadata: heads/pooling from this preset
  int64_t num_heads = 0;     ///< safetensors without metadata: heads (≥ 1; 0 = preset's or embed_dim/64)
  InputSpec input;           ///< TorchScript: fields > 0 override the sidecar
  std::string sidecar;       ///< TorchScript: input-spec JSON ("" = model path with .json)
};

/// Loads any supported model file (see the table above). Throws IMP-015 for an empty path,
/// IMP-016 for an unknown extension (listing the known ones), IMP-001 for a missing TorchScript
/// file, SFT-005 for a missing .safetensors, and the errors of the format's loader.
ModelHandle load_model_file(const std::string& path, const ModelFileOptions& o = {});

}  // namespace axx::imp
