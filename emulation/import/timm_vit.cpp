// transaxx import — timm safetensors onto the native ViT (see timm_vit.hpp).
#include "emulation/import/timm_vit.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <torch/utils.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "common/error.hpp"
#include "emulation/lut.hpp"

namespace axx::imp {

namespace {

using Shape = std::vector<int64_t>;

std::string shape_str(const Shape& s) { return fmt::format("[{}]", fmt::join(s, ", ")); }

// One helper per condition; `what` names the file.
[[noreturn]] void tensors_do_not_match(const std::string& msg) { throw Error("IMP-011", msg); }
[[noreturn]] void not_timm(const std::string& what, const std::string& msg) {
  throw Error("IMP-010", fmt::format("{}: {}; not a timm ViT/DeiT file (or give a transaxx-saved model)", what, msg));
}
[[noreturn]] void bad_timm_shape(const std::string& what, const std::string& msg) {
  throw Error("IMP-028", fmt::format("{}: {}", what, msg));
}

const at::Tensor& need(const models::TensorMap& t, const std::string& name, size_t dims, const std::string& what,
                       const char* for_what) {
  auto it = t.find(name);
  if (it == t.end()) not_timm(what, fmt::format("no tensor '{}', needed to infer {}", name, for_what));
  if (size_t(it->second.dim()) != dims) {
    bad_timm_shape(what, fmt::format("tensor '{}' has shape {}, expected {} dimensions", name,
                                     shape_str(it->second.sizes().vec()), dims));
  }
  return it->second;
}

/// The tensors a native ViT of config c has, with their shapes (equal to
/// VisionTransformerImpl::named_parameters(); checked by tests/import), without building it.
std::map<std::string, Shape> expected_tensors(const models::VitConfig& c) {
  const int64_t D = c.embed_dim, H = c.mlp_hidden(), p = c.patch_size;
  std::map<std::string, Shape> e;
  e["patch_embed.proj.weight"] = {D, c.in_chans, p, p};
  e["patch_embed.proj.bias"] = {D};
  e["cls_token"] = {1, 1, D};
  e["pos_embed"] = {1, c.num_patches() + 1, D};
  for (int64_t i = 0; i < c.depth; ++i) {
    const std::string b = fmt::format("blocks.{}.", i);
    for (const char* n : {"norm1", "norm2"}) {
      e[b + n + ".weight"] = {D};
      e[b + n + ".bias"] = {D};
    }
    e[b + "attn.qkv.weight"] = {3 * D, D};
    if (c.qkv_bias) e[b + "attn.qkv.bias"] = {3 * D};
    e[b + "attn.proj.weight"] = {D, D};
    e[b + "attn.proj.bias"] = {D};
    e[b + "mlp.fc1.weight"] = {H, D};
    e[b + "mlp.fc1.bias"] = {H};
    e[b + "mlp.fc2.weight"] = {D, H};
    e[b + "mlp.fc2.bias"] = {D};
  }
  e["norm.weight"] = {D};
  e["norm.bias"] = {D};
  e["head.weight"] = {c.num_classes, D};
  e["head.bias"] = {c.num_classes};
  return e;
}

}  // namespace

models::VitConfig infer_vit_config(const models::TensorMap& t, const TimmImportOptions& o, const std::string& what) {
  models::VitConfig c;
  if (!o.preset.empty()) {
    const models::VitConfig& p = models::find_preset(o.preset).config;
    c.num_heads = p.num_heads;
    c.avg_pool = p.avg_pool;
    c.ln_eps = p.ln_eps;
  } else {
    c.avg_pool = o.avg_pool;
    c.ln_eps = o.ln_eps;
  }
  const at::Tensor& pe = need(t, "patch_embed.proj.weight", 4, what, "embed_dim, in_chans and patch_size");
  if (pe.size(2) != pe.size(3) || pe.size(2) < 1 || pe.size(0) < 1 || pe.size(1) < 1) {
    bad_timm_shape(what, fmt::format("patch_embed.proj.weight has shape {}; expected [D, C, p, p] with a square patch",
                                     shape_str(pe.sizes().vec())));
  }
  c.embed_dim = pe.size(0);
  c.in_chans = pe.size(1);
  c.patch_size = pe.size(2);
  const at::Tensor& pos = need(t, "pos_embed", 3, what, "img_size");
  if (!t.count("cls_token")) {
    throw Error("IMP-029", fmt::format("{}: no 'cls_token'; ViTs without a class token (timm class_token=False) are "
                                       "not supported by the native ViT",
                                       what));
  }
  const int64_t n = pos.size(1) - 1;
  const auto side = int64_t(std::llround(std::sqrt(double(std::max<int64_t>(n, 0)))));
  if (n < 1 || side * side != n || pos.size(2) != c.embed_dim) {
    bad_timm_shape(what, fmt::format("pos_embed has shape {}; expected [1, 1 + s*s, {}] (one class token, a square "
                                     "grid of patches)",
                                     shape_str(pos.sizes().vec()), c.embed_dim));
  }
  c.img_size = side * c.patch_size;
  std::set<int64_t> blocks;
  for (const auto& kv : t) {
    const std::string& k = kv.first;
    if (k.rfind("blocks.", 0) != 0) continue;
    const auto dot = k.find('.', 7);
    const std::string idx = k.substr(7, dot == std::string::npos ? std::string::npos : dot - 7);
    if (idx.empty() || idx.size() > 6 || idx.find_first_not_of("0123456789") != std::string::npos) continue;
    blocks.insert(std::stoll(idx));
  }
  if (blocks.empty()) not_timm(what, "no 'blocks.<i>.*' tensors, needed to infer depth");
  c.depth = *blocks.rbegin() + 1;
  if (int64_t(blocks.size()) != c.depth) {
    std::vector<std::string> gaps;
    for (int64_t i = 0; i < c.depth && gaps.size() < 8; ++i)
      if (!blocks.count(i)) gaps.push_back(fmt::format("blocks.{}", i));
    tensors_do_not_match(fmt::format("{}: blocks up to blocks.{} but no tensors for {}", what, c.depth - 1,
                                     emu::join_names(gaps)));
  }
  const at::Tensor& fc1 = need(t, "blocks.0.mlp.fc1.weight", 2, what, "mlp_ratio");
  if (fc1.size(0) < 1 || fc1.size(1) != c.embed_dim) {
    bad_timm_shape(what, fmt::format("blocks.0.mlp.fc1.weight has shape {}; expected [hidden, {}]",
                                     shape_str(fc1.sizes().vec()), c.embed_dim));
  }
  c.mlp_ratio = double(fc1.size(0)) / double(c.embed_dim);
  if (c.mlp_hidden() != fc1.size(0)) c.mlp_ratio = (double(fc1.size(0)) + 0.5) / double(c.embed_dim);
  c.qkv_bias = t.count("blocks.0.attn.qkv.bias") > 0;
  const at::Tensor& head = need(t, "head.weight", 2, what, "num_classes");
  if (head.size(0) < 1) bad_timm_shape(what, "head.weight has no rows");
  c.num_classes = head.size(0);
  if (o.num_heads > 0) c.num_heads = o.num_heads;
  if (o.preset.empty() && o.num_heads <= 0) {
    if (c.embed_dim % 64) {
      throw Error("IMP-014", fmt::format("{}: the number of heads is not stored in timm files and embed_dim {} is not "
                                         "a multiple of 64 (the default head width); give the number of heads or a "
                                         "preset",
                                         what, c.embed_dim));
    }
    c.num_heads = c.embed_dim / 64;
  }
  if (c.num_heads < 1 || c.embed_dim % c.num_heads) {
    throw Error("IMP-030", fmt::format("{}: {} heads do not divide embed_dim {}; give a number of heads that divides it",
                                       what, c.num_heads, c.embed_dim));
  }
  models::validate(c);
  return c;
}

models::VisionTransformer import_vit_from(const models::SafetensorsFile& f, const TimmImportOptions& o,
                                          const std::string& what) {
  bool native = false;
  for (const auto& kv : f.metadata) native |= kv.first == "axx.arch";
  const models::VitConfig c = native ? models::config_from_metadata(f.metadata) : infer_vit_config(f.tensors, o, what);
  // Names and shapes are checked before the model is built, so a file cannot make us allocate
  // a model its tensors do not fill.
  const auto expected = expected_tensors(c);
  std::vector<std::string> missing, unexpected;
  for (const auto& kv : expected)
    if (!f.tensors.count(kv.first)) missing.push_back(kv.first);
  for (const auto& kv : f.tensors)
    if (!expected.count(kv.first)) unexpected.push_back(kv.first);
  if (!missing.empty() || !unexpected.empty()) {
    std::string msg = fmt::format("{}: the tensors do not match a {} ViT (dim {}, depth {}, patch {}, {}x{}x{}):", what,
                                  native ? "transaxx" : "timm", c.embed_dim, c.depth, c.patch_size, c.in_chans,
                                  c.img_size, c.img_size);
    if (!missing.empty()) msg += fmt::format(" missing {}", emu::join_names(missing));
    if (!missing.empty() && !unexpected.empty()) msg += ";";
    if (!unexpected.empty()) msg += fmt::format(" unexpected {}", emu::join_names(unexpected));
    tensors_do_not_match(msg);
  }
  for (const auto& [name, shape] : expected) {
    const at::Tensor& t = f.tensors.at(name);
    if (!at::isFloatingType(t.scalar_type())) {
      throw Error("IMP-012", fmt::format("{}: tensor '{}' is {}, not a floating-point type (F32/F16/BF16/F64)", what,
                                         name, c10::toString(t.scalar_type())));
    }
    if (t.sizes().vec() != shape) {
      throw Error("IMP-013", fmt::format("{}: tensor '{}' has shape {}, the inferred model needs {}", what, name,
                                         shape_str(t.sizes().vec()), shape_str(shape)));
    }
  }
  models::VisionTransformer m(c);
  torch::NoGradGuard ng;
  for (auto& p : m->named_parameters()) p.value().copy_(f.tensors.at(p.key()).to(at::kFloat));
  return m;
}

models::VisionTransformer import_vit_safetensors(const std::string& path, const TimmImportOptions& o) {
  return import_vit_from(models::load_safetensors(path), o, path);
}

}  // namespace axx::imp
