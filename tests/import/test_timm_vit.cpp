// timm-format safetensors onto the native ViT: the architecture inferred from shapes, torchvision
// ViTs converted to timm names reproduce PyTorch's logits, missing/unexpected tensors named, and
// corrupted files (truncations, random byte flips, many seeds) give errors, never crashes.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <random>

#include "common/fs.hpp"
#include "common/json.hpp"
#include "emulation/config.hpp"
#include "emulation/import/timm_vit.hpp"
#include "import_test_util.hpp"

using namespace axx;
using namespace axx::imp;
using namespace axx::imp::test;

namespace {

TimmImportOptions heads(int64_t h) {
  TimmImportOptions o;
  o.num_heads = h;
  return o;
}

/// Error code of importing bytes ("" when it loads). Anything but axx::Error fails the test.
std::string import_code(const std::string& bytes, const TimmImportOptions& o) {
  try {
    import_vit_from(models::parse_safetensors(bytes, "fuzz"), o, "fuzz");
  } catch (const Error& e) {
    return e.code();
  }
  return "";
}

models::TensorMap timm_tensors(const std::string& name) {
  return models::load_safetensors(ref_file(name + ".timm.safetensors")).tensors;
}

}  // namespace

TEST(TimmImport, InfersTheArchitectureFromShapes) {
  const Json a = read_json_file(ref_file("tv_vit_a.json"));
  const models::VitConfig c = infer_vit_config(timm_tensors("tv_vit_a"), heads(4), "a");
  EXPECT_EQ(c.embed_dim, 64);
  EXPECT_EQ(c.depth, 2);
  EXPECT_EQ(c.num_heads, 4);
  EXPECT_EQ(c.patch_size, a["patch_size"].get<int64_t>());
  EXPECT_EQ(c.img_size, a["image_size"].get<int64_t>());
  EXPECT_EQ(c.in_chans, 3);
  EXPECT_EQ(c.num_classes, 10);
  EXPECT_EQ(c.mlp_hidden(), 128);
  EXPECT_TRUE(c.qkv_bias);
  EXPECT_FALSE(c.avg_pool);
  // The default head count is embed_dim / 64.
  EXPECT_EQ(infer_vit_config(timm_tensors("tv_vit_a"), {}, "a").num_heads, 1);
  const models::VitConfig b = infer_vit_config(timm_tensors("tv_vit_b"), heads(3), "b");
  EXPECT_EQ(b.embed_dim, 48);
  EXPECT_EQ(b.depth, 3);
  EXPECT_EQ(b.num_classes, 7);
  EXPECT_EQ(b.mlp_hidden(), 96);
}

TEST(TimmImport, NativeVitWithImportedWeightsReproducesTorchvision) {
  for (const auto& [name, h] : {std::make_pair(std::string("tv_vit_a"), 4), std::make_pair(std::string("tv_vit_b"), 3)}) {
    models::VisionTransformer m = import_vit_safetensors(ref_file(name + ".timm.safetensors"), heads(h));
    m->eval();
    torch::NoGradGuard ng;
    at::Tensor y = m->forward(load_npy(ref_file(name + ".input.npy")));
    EXPECT_LT(rel_diff(y, load_npy(ref_file(name + ".logits.npy"))), 1e-4) << name;
  }
}

TEST(TimmImport, NativeVitExact8BitEqualsTheFakeQuantizedReference) {
  // As TorchScriptImport.Exact8BitEqualsTheFakeQuantizedReference, through the native ViT.
  // (The small models only: see TorchScriptImport.Exact8BitEqualsTheFakeQuantizedReference.)
  for (const auto& [name, h] : {std::make_pair(std::string("tv_vit_a"), 4), std::make_pair(std::string("tv_vit_b"), 3)}) {
    models::VisionTransformer m = import_vit_safetensors(ref_file(name + ".timm.safetensors"), heads(h));
    m->eval();
    torch::NoGradGuard ng;
    const at::Tensor x = load_npy(ref_file(name + ".input.npy"));
    exact8_calibrated(m, x);
    const double d = rel_diff(m->forward(x), load_npy(ref_file(name + ".fq_logits.npy")));
    std::cout << "  " << name << ": native exact8 vs fake-quant " << d << "\n";
    EXPECT_LT(d, 1e-5) << name;
  }
}

TEST(TimmImport, WrongHeadCountChangesTheLogits) {
  // The head count is not in the file: a wrong one must be visible (this is why it is an option).
  models::VisionTransformer m = import_vit_safetensors(ref_file("tv_vit_a.timm.safetensors"), heads(2));
  torch::NoGradGuard ng;
  EXPECT_GT(rel_diff(m->forward(load_npy(ref_file("tv_vit_a.input.npy"))), load_npy(ref_file("tv_vit_a.logits.npy"))), 1e-3);
}

TEST(TimmImport, ExpectedTensorNamesEqualTheNativeModelsParameters) {
  for (const auto& p : models::vit_presets()) {
    models::VitConfig c = p.config;
    if (c.embed_dim > 128) continue;  // the small ones are enough and quick
    models::VisionTransformer m(c);
    models::TensorMap t;
    for (const auto& kv : m->named_parameters()) t[kv.key()] = kv.value().detach();
    TimmImportOptions o;
    o.preset = p.name;
    // Strip the transaxx metadata: the import infers everything from the tensors.
    models::VisionTransformer back = import_vit_from(models::SafetensorsFile{t, {}}, o, p.name);
    EXPECT_EQ(back->config().embed_dim, c.embed_dim) << p.name;
    EXPECT_EQ(back->config().depth, c.depth) << p.name;
    EXPECT_EQ(back->config().img_size, c.img_size) << p.name;
    EXPECT_EQ(back->config().mlp_hidden(), c.mlp_hidden()) << p.name;
    for (const auto& kv : back->named_parameters()) EXPECT_TRUE(at::equal(kv.value(), t.at(kv.key()))) << kv.key();
  }
}

TEST(TimmImport, NamesMissingAndUnexpectedTensors) {
  models::TensorMap t = timm_tensors("tv_vit_a");
  t.erase("blocks.1.mlp.fc2.bias");
  t.erase("norm.weight");
  t["head_dist.weight"] = at::zeros({10, 64});
  const std::string msg = expect_error("IMP-011", [&] { import_vit_from({t, {}}, heads(4), "x"); });
  EXPECT_NE(msg.find("missing blocks.1.mlp.fc2.bias, norm.weight"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unexpected head_dist.weight"), std::string::npos) << msg;
}

TEST(TimmImport, BadInputsHaveTheirCodes) {
  const std::string good = read_file(ref_file("tv_vit_a.timm.safetensors"));
  // Truncated: the header length points past the end, or tensors' data is cut off.
  EXPECT_EQ(import_code(good.substr(0, 5), heads(4)), "SFT-001");
  EXPECT_EQ(import_code(good.substr(0, 100), heads(4)), "SFT-001");
  EXPECT_EQ(import_code(good.substr(0, good.size() - 4), heads(4)), "SFT-004");
  // Header offsets out of range.
  models::TensorMap t = timm_tensors("tv_vit_a");
  std::string bytes = models::safetensors_bytes(t);
  const std::string key = "\"data_offsets\":[0,";
  const size_t at0 = bytes.find(key);
  ASSERT_NE(at0, std::string::npos);
  std::string bad = bytes;
  bad.replace(at0 + key.size(), 1, "9");  // [0, 9...] — end beyond the data or wrong size
  EXPECT_EQ(import_code(bad, heads(4)), "SFT-004");
  // Unsupported dtype string, and an integer tensor where weights are floats.
  std::string f8 = bytes;
  f8.replace(f8.find("\"F32\""), 5, "\"F8X\"");
  EXPECT_EQ(import_code(f8, heads(4)), "SFT-003");
  models::TensorMap ti = t;
  ti["norm.bias"] = at::zeros({64}, at::kInt);
  EXPECT_EQ(import_code(models::safetensors_bytes(ti), heads(4)), "IMP-012");
  // Unknown tensor names.
  models::TensorMap tu = t;
  tu["blocks.0.attn.q_norm.weight"] = at::ones({16});
  EXPECT_EQ(import_code(models::safetensors_bytes(tu), heads(4)), "IMP-011");
  // Heads that do not divide the width; no default for a width that is not a multiple of 64.
  EXPECT_EQ(import_code(bytes, heads(5)), "IMP-030");
  EXPECT_EQ(import_code(models::safetensors_bytes(timm_tensors("tv_vit_b")), {}), "IMP-014");
  // Not a ViT at all.
  models::TensorMap other{{"fc.weight", at::zeros({2, 2})}};
  EXPECT_EQ(import_code(models::safetensors_bytes(other), {}), "IMP-010");
  // A mis-shaped tensor.
  models::TensorMap ts = t;
  ts["blocks.0.attn.proj.weight"] = at::zeros({64, 63});
  EXPECT_EQ(import_code(models::safetensors_bytes(ts), heads(4)), "IMP-013");
}

TEST(TimmImport, CorruptedFilesNeverCrash) {
  // Random byte flips over a valid file (header and data), truncations at random points: every
  // outcome is either a model or an axx::Error. 2000 seeds; run under -DAXX_SANITIZE=ON too.
  const std::string good = read_file(ref_file("tv_vit_b.timm.safetensors"));
  uint64_t header = 0;
  for (int i = 7; i >= 0; --i) header = (header << 8) | uint8_t(good[size_t(i)]);
  std::map<std::string, int> codes;
  for (uint32_t seed = 0; seed < 2000; ++seed) {
    std::mt19937 rng(seed);
    std::string b = good;
    // Most flips go into the 8-byte length and the JSON header, where the parser's decisions are.
    const size_t span = (seed % 4 == 0) ? b.size() : size_t(8 + header);
    const int flips = 1 + int(rng() % 4);
    for (int f = 0; f < flips; ++f) b[rng() % span] ^= char(1 + rng() % 255);
    if (seed % 5 == 0) b.resize(rng() % b.size());
    std::string code;
    try {
      import_vit_from(models::parse_safetensors(b, "fuzz"), heads(3), "fuzz");
      code = "ok";
    } catch (const Error& e) {
      code = e.code();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "seed " << seed << ": not an axx::Error: " << e.what();
    }
    ++codes[code];
  }
  EXPECT_GT(codes.size(), 2u);  // the corruptions reach several checks
  for (const auto& [c, n] : codes) std::cout << "  " << c << ": " << n << "\n";
}
