// transaxx models — the native ViT (see vit.hpp).
#include "emulation/models/vit.hpp"

#include <torch/nn/functional/activation.h>
#include <ATen/ATen.h>
#include <fmt/format.h>

#include <cmath>
#include <map>

#include "common/error.hpp"
#include "emulation/lut.hpp"
#include "emulation/models/safetensors.hpp"

namespace axx::models {

void validate(const VitConfig& c) {
  auto bad = [](const char* field, const std::string& why) {
    throw Error("VIT-002", fmt::format("ViT config: '{}' {}", field, why));
  };
  if (c.img_size < 1) bad("img_size", "must be >= 1");
  if (c.patch_size < 1) bad("patch_size", "must be >= 1");
  if (c.img_size % c.patch_size) bad("img_size", fmt::format("({}) must be a multiple of patch_size ({})", c.img_size, c.patch_size));
  if (c.in_chans < 1) bad("in_chans", "must be >= 1");
  if (c.num_classes < 1) bad("num_classes", "must be >= 1");
  if (c.embed_dim < 1) bad("embed_dim", "must be >= 1");
  if (c.depth < 1) bad("depth", "must be >= 1");
  if (c.num_heads < 1 || c.embed_dim % c.num_heads)
    bad("num_heads", fmt::format("({}) must divide embed_dim ({})", c.num_heads, c.embed_dim));
  if (!(c.mlp_ratio > 0) || c.mlp_hidden() < 1) bad("mlp_ratio", "must give an MLP width >= 1");
}

namespace {

VitConfig imagenet(int64_t dim, int64_t heads) {
  VitConfig c;
  c.embed_dim = dim;
  c.num_heads = heads;
  return c;
}

VitConfig small_input(int64_t img, int64_t chans, int64_t patch, int64_t dim, int64_t depth, int64_t heads,
                      double mlp_ratio) {
  VitConfig c;
  c.img_size = img;
  c.in_chans = chans;
  c.patch_size = patch;
  c.num_classes = 10;
  c.embed_dim = dim;
  c.depth = depth;
  c.num_heads = heads;
  c.mlp_ratio = mlp_ratio;
  c.avg_pool = true;
  c.init_std = 0;
  return c;
}

}  // namespace

const std::vector<VitPreset>& vit_presets() {
  static const std::vector<VitPreset> presets = {
      {"deit_tiny_patch16_224", "DeiT-Tiny: 224x224x3, patch 16, dim 192, depth 12, 3 heads", imagenet(192, 3)},
      {"deit_small_patch16_224", "DeiT-Small: 224x224x3, patch 16, dim 384, depth 12, 6 heads", imagenet(384, 6)},
      {"deit_base_patch16_224", "DeiT-Base: 224x224x3, patch 16, dim 768, depth 12, 12 heads", imagenet(768, 12)},
      {"vit_tiny_patch16_224", "ViT-Ti/16 (timm): 224x224x3, dim 192, depth 12, 3 heads", imagenet(192, 3)},
      {"vit_small_patch16_224", "ViT-S/16 (timm): 224x224x3, dim 384, depth 12, 6 heads", imagenet(384, 6)},
      {"vit_base_patch16_224", "ViT-B/16: 224x224x3, dim 768, depth 12, 12 heads", imagenet(768, 12)},
      {"vit_fmnist", "28x28x1 (Fashion-MNIST), 10 classes, patch 4, dim 64, depth 4, 4 heads, MLP x2, mean-pooled",
       small_input(28, 1, 4, 64, 4, 4, 2.0)},
      {"vit_fmnist_micro", "28x28x1, 10 classes, patch 7, dim 32, depth 2, 2 heads, MLP x2, mean-pooled (tests)",
       small_input(28, 1, 7, 32, 2, 2, 2.0)},
      {"vit_cifar_tiny", "32x32x3 (CIFAR-10), 10 classes, patch 4, dim 128, depth 6, 4 heads, MLP x2, mean-pooled",
       small_input(32, 3, 4, 128, 6, 4, 2.0)},
  };
  return presets;
}

std::vector<std::string> preset_names() {
  std::vector<std::string> n;
  for (const auto& p : vit_presets()) n.push_back(p.name);
  return n;
}

const VitPreset& find_preset(const std::string& name) {
  for (const auto& p : vit_presets())
    if (p.name == name) return p;
  throw Error("VIT-001", fmt::format("unknown model preset '{}'; valid: {}", name, emu::join_names(preset_names())));
}

AttentionImpl::AttentionImpl(int64_t dim, int64_t num_heads, bool qkv_bias)
    : num_heads_(num_heads), scale_(1.0 / std::sqrt(double(dim / num_heads))) {
  qkv = register_module("qkv", emu::ApproxLinear(dim, 3 * dim, qkv_bias));
  qk = register_module("qk", emu::ApproxMatmul());
  av = register_module("av", emu::ApproxMatmul());
  proj = register_module("proj", emu::ApproxLinear(dim, dim, true));
}

at::Tensor AttentionImpl::forward(const at::Tensor& x) {
  const int64_t B = x.size(0), T = x.size(1), C = x.size(2);
  // [B, T, 3, H, d] → [3, B, H, T, d]
  at::Tensor qkv_ = qkv->forward(x).reshape({B, T, 3, num_heads_, C / num_heads_}).permute({2, 0, 3, 1, 4});
  at::Tensor q = qkv_[0] * scale_, k = qkv_[1], v = qkv_[2];
  at::Tensor attn = qk->forward(q, k.transpose(-2, -1)).softmax(-1);
  at::Tensor y = av->forward(attn, v);  // [B, H, T, d]
  return proj->forward(y.transpose(1, 2).reshape({B, T, C}));
}

MlpImpl::MlpImpl(int64_t dim, int64_t hidden) {
  fc1 = register_module("fc1", emu::ApproxLinear(dim, hidden, true));
  fc2 = register_module("fc2", emu::ApproxLinear(hidden, dim, true));
}

at::Tensor MlpImpl::forward(const at::Tensor& x) { return fc2->forward(at::gelu(fc1->forward(x))); }

BlockImpl::BlockImpl(const VitConfig& c) {
  auto ln = [&] { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.embed_dim}).eps(c.ln_eps)); };
  norm1 = register_module("norm1", ln());
  attn = register_module("attn", Attention(c.embed_dim, c.num_heads, c.qkv_bias));
  norm2 = register_module("norm2", ln());
  mlp = register_module("mlp", Mlp(c.embed_dim, c.mlp_hidden()));
}

at::Tensor BlockImpl::forward(const at::Tensor& x) {
  at::Tensor h = x + attn->forward(norm1->forward(x));
  return h + mlp->forward(norm2->forward(h));
}

PatchEmbedImpl::PatchEmbedImpl(const VitConfig& c) {
  emu::Conv2dGeometry g;
  g.stride = {c.patch_size, c.patch_size};
  proj = register_module("proj", emu::ApproxConv2d(c.in_chans, c.embed_dim, std::array<int64_t, 2>{c.patch_size, c.patch_size}, g, true));
}

at::Tensor PatchEmbedImpl::forward(const at::Tensor& x) {
  return proj->forward(x).flatten(2).transpose(1, 2);  // [B, D, h, w] → [B, h·w, D]
}

VisionTransformerImpl::VisionTransformerImpl(const VitConfig& c) : config_(c) {
  validate(c);
  patch_embed = register_module("patch_embed", PatchEmbed(c));
  cls_token = register_parameter("cls_token", at::zeros({1, 1, c.embed_dim}));
  pos_embed = register_parameter("pos_embed", at::zeros({1, c.num_patches() + 1, c.embed_dim}));
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.depth; ++i) blocks->push_back(Block(c));
  norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.embed_dim}).eps(c.ln_eps)));
  head = register_module("head", emu::ApproxLinear(c.embed_dim, c.num_classes, true));
}

at::Tensor VisionTransformerImpl::forward(const at::Tensor& x) {
  const auto& c = config_;
  if (x.dim() != 4 || x.size(1) != c.in_chans || x.size(2) != c.img_size || x.size(3) != c.img_size) {
    throw Error("VIT-003", fmt::format("input of shape {} does not fit the model, which takes [B, {}, {}, {}]; "
                                       "resize the images or pick a preset for this size",
                                       fmt::format("{}", fmt::join(x.sizes().vec(), "x")), c.in_chans,
                                       c.img_size, c.img_size));
  }
  at::Tensor t = patch_embed->forward(x);
  t = at::cat({cls_token.expand({t.size(0), 1, c.embed_dim}), t}, 1) + pos_embed;
  for (const auto& b : *blocks) t = b->as<Block>()->forward(t);
  t = norm->forward(t);
  return head->forward(c.avg_pool ? t.narrow(1, 1, t.size(1) - 1).mean(1) : t.select(1, 0));
}

VisionTransformer make_vit(const VitConfig& c, uint64_t seed) {
  torch::manual_seed(seed);
  VisionTransformer m(c);
  torch::NoGradGuard ng;
  for (auto& p : m->named_parameters()) {
    const std::string& n = p.key();
    at::Tensor t = p.value();
    const bool is_norm = n.find("norm") != std::string::npos;
    if (is_norm) continue;  // LayerNorm: ones / zeros already
    // timm keeps PyTorch's default (Kaiming-uniform) init for the patch-embedding convolution.
    if (n.rfind("patch_embed.", 0) == 0) continue;
    const bool token = n == "cls_token" || n == "pos_embed";
    if (c.init_std <= 0) {
      if (token) t.normal_(0.0, 0.02);
      continue;  // the layers' own PyTorch-default init
    }
    if (n.size() > 5 && n.compare(n.size() - 5, 5, ".bias") == 0) {
      t.zero_();
    } else {
      // timm: trunc_normal_(std=0.02) truncated at ±2 (absolute), i.e. in effect a plain normal.
      t.normal_(0.0, c.init_std);
    }
  }
  return m;
}

std::vector<std::pair<std::string, std::string>> to_metadata(const VitConfig& c) {
  return {{"axx.arch", "vit"},
          {"axx.img_size", std::to_string(c.img_size)},
          {"axx.patch_size", std::to_string(c.patch_size)},
          {"axx.in_chans", std::to_string(c.in_chans)},
          {"axx.num_classes", std::to_string(c.num_classes)},
          {"axx.embed_dim", std::to_string(c.embed_dim)},
          {"axx.depth", std::to_string(c.depth)},
          {"axx.num_heads", std::to_string(c.num_heads)},
          {"axx.mlp_ratio", fmt::format("{}", c.mlp_ratio)},
          {"axx.qkv_bias", c.qkv_bias ? "1" : "0"},
          {"axx.ln_eps", fmt::format("{}", c.ln_eps)},
          {"axx.global_pool", c.avg_pool ? "avg" : "token"}};
}

namespace {

[[noreturn]] void bad_metadata(const std::string& what) {
  throw Error("VIT-006", fmt::format("model metadata {}; save the model again with transaxx", what));
}

}  // namespace

VitConfig config_from_metadata(const std::vector<std::pair<std::string, std::string>>& m) {
  std::map<std::string, std::string> kv(m.begin(), m.end());
  auto get = [&](const char* k) -> std::string {
    auto it = kv.find(std::string("axx.") + k);
    if (it == kv.end()) bad_metadata(fmt::format("lacks 'axx.{}'", k));
    return it->second;
  };
  VitConfig c;
  try {
    c.img_size = std::stoll(get("img_size"));
    c.patch_size = std::stoll(get("patch_size"));
    c.in_chans = std::stoll(get("in_chans"));
    c.num_classes = std::stoll(get("num_classes"));
    c.embed_dim = std::stoll(get("embed_dim"));
    c.depth = std::stoll(get("depth"));
    c.num_heads = std::stoll(get("num_heads"));
    c.mlp_ratio = std::stod(get("mlp_ratio"));
    c.qkv_bias = get("qkv_bias") != "0";
    c.ln_eps = std::stod(get("ln_eps"));
    auto gp = kv.find("axx.global_pool");
    c.avg_pool = gp != kv.end() && gp->second == "avg";
  } catch (const std::logic_error& e) {
    bad_metadata(fmt::format("holds a non-numeric size ({})", e.what()));
  }
  validate(c);
  return c;
}

void save_vit(const VisionTransformer& m, const std::string& path,
              const std::vector<std::pair<std::string, std::string>>& extra_metadata) {
  TensorMap tensors;
  for (const auto& p : m->named_parameters()) tensors[p.key()] = p.value().detach();
  auto meta = to_metadata(m->config());
  meta.insert(meta.end(), extra_metadata.begin(), extra_metadata.end());
  save_safetensors(path, tensors, meta);
}

VisionTransformer load_vit(const std::string& path, const VitConfig* fallback) {
  SafetensorsFile f = load_safetensors(path);
  bool has_cfg = false;
  for (const auto& kv : f.metadata) has_cfg |= kv.first == "axx.arch";
  if (!has_cfg && !fallback) {
    throw Error("VIT-004", fmt::format("{}: no transaxx model config in its metadata; give the preset that matches "
                                       "the file", path));
  }
  const VitConfig c = has_cfg ? config_from_metadata(f.metadata) : *fallback;
  VisionTransformer m(c);
  torch::NoGradGuard ng;
  std::vector<std::string> missing;
  size_t used = 0;
  for (auto& p : m->named_parameters()) {
    auto it = f.tensors.find(p.key());
    if (it == f.tensors.end()) {
      missing.push_back(p.key());
      continue;
    }
    if (it->second.sizes() != p.value().sizes()) {
      throw Error("VIT-007", fmt::format("{}: tensor '{}' has shape [{}], the model needs [{}]", path, p.key(),
                                         fmt::join(it->second.sizes().vec(), ", "),
                                         fmt::join(p.value().sizes().vec(), ", ")));
    }
    p.value().copy_(it->second.to(at::kFloat));
    ++used;
  }
  if (!missing.empty()) {
    throw Error("VIT-005", fmt::format("{}: missing tensors for this model: {}", path, emu::join_names(missing)));
  }
  if (used != f.tensors.size()) {
    std::vector<std::string> extra;
    auto params = m->named_parameters();
    for (const auto& kv : f.tensors)
      if (!params.contains(kv.first)) extra.push_back(kv.first);
    throw Error("VIT-008", fmt::format("{}: tensors the model does not have: {}", path, emu::join_names(extra)));
  }
  return m;
}

}  // namespace axx::models
