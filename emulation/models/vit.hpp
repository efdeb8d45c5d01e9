// transaxx models — the native Vision Transformer family (torch::nn, timm parameter names).
//
// Convolutional patch embedding, class token, learned position embedding, pre-norm blocks of
// multi-head self-attention and GELU MLP, final LayerNorm, linear head. Every multiplication
// goes through an emulation layer (emulation/layers.hpp) named as docs/architecture.md "Layer names" says:
//   patch_embed.proj, blocks.N.attn.qkv, blocks.N.attn.qk (Q·Kᵀ), blocks.N.attn.av
//   (attention·V), blocks.N.attn.proj, blocks.N.mlp.fc1, blocks.N.mlp.fc2, head
// so apply_config (emulation/config.hpp) can give each its own multiplier. Unconfigured layers
// run in FP32. Parameter names equal timm's, so safetensors files move between the two.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <string>
#include <vector>

#include "emulation/layers.hpp"

namespace axx::models {

/// Shape of a ViT. All sizes in elements; every field ≥ 1 unless stated.
struct VitConfig {
  int64_t img_size = 224;    ///< input height = width, pixels; a multiple of patch_size
  int64_t patch_size = 16;   ///< patch side, pixels
  int64_t in_chans = 3;      ///< input channels (1 for Fashion-MNIST)
  int64_t num_classes = 1000;
  int64_t embed_dim = 192;   ///< a multiple of num_heads
  int64_t depth = 12;        ///< number of blocks
  int64_t num_heads = 3;
  double mlp_ratio = 4.0;    ///< hidden width of the MLP / embed_dim (> 0)
  bool qkv_bias = true;
  double ln_eps = 1e-6;      ///< LayerNorm epsilon (timm's ViTs use 1e-6)
  /// true: the head reads the mean of the patch tokens (timm global_pool='avg'; learns much
  /// faster on small data); false: the class token (timm's default, DeiT/ViT checkpoints).
  bool avg_pool = false;
  /// Std of the normal init of Linear weights and tokens (timm: 0.02, tuned for widths ≥ 192).
  /// 0: PyTorch's default Linear init (uniform ±1/√fan_in), which trains much faster at small
  /// widths. Not stored with the model (only matters for training from scratch).
  double init_std = 0.02;

  int64_t num_patches() const { return (img_size / patch_size) * (img_size / patch_size); }
  int64_t mlp_hidden() const { return int64_t(double(embed_dim) * mlp_ratio); }
};

/// Throws VIT-002 naming the field when a config is inconsistent.
void validate(const VitConfig& c);

struct VitPreset {
  std::string name;
  std::string description;
  VitConfig config;
};

/// The registry: DeiT/ViT tiny/small/base patch16 224, and small presets for 28×28 (1 channel,
/// Fashion-MNIST) and 32×32 (3 channels, CIFAR-10).
const std::vector<VitPreset>& vit_presets();
/// Throws VIT-001 for an unknown name, listing the valid ones.
const VitPreset& find_preset(const std::string& name);
std::vector<std::string> preset_names();

class AttentionImpl : public torch::nn::Module {
 public:
  AttentionImpl(int64_t dim, int64_t num_heads, bool qkv_bias);
  at::Tensor forward(const at::Tensor& x);  ///< [B, T, C] → [B, T, C]
  emu::ApproxLinear qkv{nullptr}, proj{nullptr};
  emu::ApproxMatmul qk{nullptr}, av{nullptr};

 private:
  int64_t num_heads_;
  double scale_;
};
TORCH_MODULE(Attention);

class MlpImpl : public torch::nn::Module {
 public:
  MlpImpl(int64_t dim, int64_t hidden);
  at::Tensor forward(const at::Tensor& x);
  emu::ApproxLinear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(Mlp);

class BlockImpl : public torch::nn::Module {
 public:
  BlockImpl(const VitConfig& c);
  at::Tensor forward(const at::Tensor& x);
  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
  Attention attn{nullptr};
  Mlp mlp{nullptr};
};
TORCH_MODULE(Block);

class PatchEmbedImpl : public torch::nn::Module {
 public:
  explicit PatchEmbedImpl(const VitConfig& c);
  at::Tensor forward(const at::Tensor& x);  ///< [B, C, H, W] → [B, num_patches, D]
  emu::ApproxConv2d proj{nullptr};
};
TORCH_MODULE(PatchEmbed);

class VisionTransformerImpl : public torch::nn::Module {
 public:
  explicit VisionTransformerImpl(const VitConfig& c);
  /// x: [B, in_chans, img_size, img_size] float → logits [B, num_classes].
  /// Throws VIT-003 when the input's shape does not fit the model.
  at::Tensor forward(const at::Tensor& x);
  const VitConfig& config() const { return config_; }

  PatchEmbed patch_embed{nullptr};
  at::Tensor cls_token, pos_embed;
  torch::nn::ModuleList blocks{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  emu::ApproxLinear head{nullptr};

 private:
  VitConfig config_;
};
TORCH_MODULE(VisionTransformer);

/// A model of the preset with timm's initialization (normal with std c.init_std for Linear weights
/// and tokens, zero biases; see VitConfig::init_std), seeded deterministically.
VisionTransformer make_vit(const VitConfig& c, uint64_t seed = 0);

/// The config as JSON-friendly key/values (stored in safetensors metadata).
std::vector<std::pair<std::string, std::string>> to_metadata(const VitConfig& c);
/// Inverse of to_metadata; throws VIT-006 naming a missing/bad key.
VitConfig config_from_metadata(const std::vector<std::pair<std::string, std::string>>& m);

/// Saves parameters (timm names) and the config to a safetensors file (atomic).
void save_vit(const VisionTransformer& m, const std::string& path,
              const std::vector<std::pair<std::string, std::string>>& extra_metadata = {});
/// Loads a model saved by save_vit. When the file has no transaxx config in its metadata
/// (e.g. exported from timm), `fallback` must give the shape (VIT-004 when neither does). Throws
/// VIT-005 for missing, VIT-007 for mis-shaped, VIT-008 for extra tensors (naming them), SFT-* for
/// a malformed file.
VisionTransformer load_vit(const std::string& path, const VitConfig* fallback = nullptr);

}  // namespace axx::models
