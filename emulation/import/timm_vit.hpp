// transaxx import — timm-format ViT/DeiT safetensors onto the native ViT (models/vit.hpp).
//
// timm's vit_* / deit_* checkpoints store only tensors, no architecture. The shapes give it:
//   patch_embed.proj.weight [D, C, p, p]   → embed_dim D, in_chans C, patch_size p
//   pos_embed [1, 1 + N, D]                → img_size = √N · p (one class token)
//   blocks.<i>.*                           → depth (blocks 0 .. depth−1, none skipped)
//   blocks.0.mlp.fc1.weight [H, D]         → mlp_ratio = H / D
//   blocks.0.attn.qkv.bias present         → qkv_bias
//   head.weight [K, D]                     → num_classes K
// The number of heads is not in the file: it comes from the options (a preset or `num_heads`),
// else the documented default embed_dim / 64 (timm's and DeiT's head width), which needs
// embed_dim to be a multiple of 64.
#pragma once

#include <string>

#include "emulation/models/safetensors.hpp"
#include "emulation/models/vit.hpp"

namespace axx::imp {

struct TimmImportOptions {
  int64_t num_heads = 0;  ///< ≥ 1; 0 = the preset's, else embed_dim / 64
  std::string preset;     ///< optional: heads, pooling and LayerNorm eps from this preset (VIT-001 if unknown)
  /// Pooling is not in the file either: false = class token (timm's default), true = mean of
  /// the patch tokens. Ignored when a preset is given.
  bool avg_pool = false;
  double ln_eps = 1e-6;   ///< LayerNorm epsilon (> 0); timm's ViTs use 1e-6. Ignored with a preset.
};

/// The architecture of a timm-named tensor set. Throws IMP-010 naming the tensor that is missing
/// for the inference, IMP-028 one that is mis-shaped for it, IMP-029 a ViT without a class token,
/// IMP-011 missing blocks, IMP-014 when the heads cannot be determined, IMP-030 when they do not
/// divide embed_dim.
models::VitConfig infer_vit_config(const models::TensorMap& tensors, const TimmImportOptions& o,
                                   const std::string& what);

/// Loads a safetensors file into a native ViT. Files written by transaxx (with its metadata)
/// load as they were saved; timm files get their config from infer_vit_config. Throws SFT-* for
/// a malformed file, IMP-011 listing exactly the tensors that are missing and those that are
/// unexpected, IMP-012 for a tensor of a non-floating dtype, IMP-013 naming a tensor whose shape does not fit,
/// the codes of infer_vit_config as above.
models::VisionTransformer import_vit_safetensors(const std::string& path, const TimmImportOptions& o = {});

/// Same, from parsed bytes (the fuzz test feeds corrupted files through this).
models::VisionTransformer import_vit_from(const models::SafetensorsFile& f, const TimmImportOptions& o,
                                          const std::string& what);

}  // namespace axx::imp
