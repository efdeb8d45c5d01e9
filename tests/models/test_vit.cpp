// Native ViT: presets' forward shapes and layer names, exact-LUT path bit-exactness.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "common/error.hpp"
#include "common/npy.hpp"
#include "emulation/config.hpp"
#include "emulation/models/vit.hpp"

using namespace axx;
using namespace axx::models;

namespace {

std::vector<std::string> expected_layers(int64_t depth) {
  std::vector<std::string> n = {"patch_embed.proj", "head"};
  for (int64_t i = 0; i < depth; ++i)
    for (const char* l : {"attn.qkv", "attn.qk", "attn.av", "attn.proj", "mlp.fc1", "mlp.fc2"})
      n.push_back("blocks." + std::to_string(i) + "." + l);
  std::sort(n.begin(), n.end());
  return n;
}

}  // namespace

class VitPresets : public ::testing::TestWithParam<std::string> {};

TEST_P(VitPresets, ForwardShapeAndLayerNames) {
  torch::NoGradGuard ng;
  at::set_num_threads(2);
  const VitConfig c = find_preset(GetParam()).config;
  VisionTransformer m = make_vit(c, 1);
  at::Tensor x = torch::randn({2, c.in_chans, c.img_size, c.img_size});
  at::Tensor y = m->forward(x);
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{2, c.num_classes}));
  std::vector<std::string> names;
  for (const auto& kv : emu::approximable_layers(*m)) names.push_back(kv.first);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, expected_layers(c.depth));
  // timm parameter names.
  auto p = m->named_parameters();
  for (const char* n : {"cls_token", "pos_embed", "patch_embed.proj.weight", "blocks.0.norm1.weight",
                        "blocks.0.attn.qkv.weight", "blocks.0.attn.proj.bias", "blocks.0.mlp.fc1.weight", "norm.bias",
                        "head.weight"})
    EXPECT_TRUE(p.contains(n)) << n;
}

INSTANTIATE_TEST_SUITE_P(All, VitPresets, ::testing::ValuesIn(preset_names()));

TEST(Vit, UnknownPresetThrowsVit001) {
  try {
    find_preset("vit_huge_nonsense");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), "VIT-001");
  }
}

TEST(Vit, WrongInputSizeThrowsVit003) {
  VisionTransformer m = make_vit(find_preset("vit_fmnist_micro").config);
  try {
    m->forward(torch::zeros({1, 1, 32, 32}));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), "VIT-003");
  }
}

TEST(Vit, SaveLoadRoundTripIsExact) {
  torch::NoGradGuard ng;
  VisionTransformer m = make_vit(find_preset("vit_fmnist_micro").config, 3);
  const auto path = std::filesystem::temp_directory_path() / "axx_vit_roundtrip.safetensors";
  save_vit(m, path.string());
  VisionTransformer r = load_vit(path.string());
  at::Tensor x = torch::randn({3, 1, 28, 28});
  EXPECT_TRUE(torch::equal(m->forward(x), r->forward(x)));
}

// With an exact multiplier's LUT loaded from a library (.npy), every layer's approximate path must
// equal the built-in exact 8-bit path bit for bit, and be close to the fake-quantized float model.
TEST(Vit, ExactLutPathEqualsExactQuantizedPathBitForBit) {
  torch::NoGradGuard ng;
  at::set_num_threads(2);
  const auto dir = std::filesystem::temp_directory_path() / "axx_vit_exactlib";
  std::filesystem::create_directories(dir);
  std::vector<int32_t> lut(65536);
  for (int a = 0; a < 256; ++a)
    for (int b = 0; b < 256; ++b) lut[size_t(a * 256 + b)] = int32_t(int8_t(a)) * int32_t(int8_t(b));
  write_npy_i32(dir / "my_exact.npy", lut, {256, 256});
  std::ofstream(dir / "library.json") << R"([{"name": "my_exact", "signed": true, "lut": "my_exact.npy"}])";
  const emu::MultiplierLibrary lib = emu::MultiplierLibrary::load(dir);

  VisionTransformer m = make_vit(find_preset("vit_fmnist_micro").config, 5);
  at::Tensor x = torch::randn({4, 1, 28, 28});
  const at::Tensor fp32 = m->forward(x);
  emu::ApproxConfig builtin;
  emu::apply_config(*m, builtin, lib);
  emu::begin_calibration(*m);
  m->forward(x);
  emu::end_calibration(*m, builtin.calibration);
  const at::Tensor exact = m->forward(x);
  emu::ApproxConfig custom;
  custom.default_multiplier = "my_exact";
  emu::apply_config(*m, custom, lib);  // keeps the calibrated ranges
  const at::Tensor approx = m->forward(x);
  EXPECT_TRUE(torch::equal(exact, approx));
  EXPECT_FALSE(torch::equal(exact, fp32));  // it really was quantized
  EXPECT_LT((exact - fp32).abs().max().item<double>(), 0.1 * fp32.abs().max().item<double>() + 0.05);
}
