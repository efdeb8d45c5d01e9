// Model-level API: configure a module tree by dotted layer name, calibrate, save/restore.
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>

#include "common/json.hpp"
#include "common/npy.hpp"
#include "emulation/config.hpp"
#include "test_util.hpp"

namespace axx::emu {
namespace {

struct AttentionImpl : torch::nn::Module {
  AttentionImpl()
      : qkv(register_module("qkv", ApproxLinear(16, 48))),
        qk(register_module("qk", ApproxMatmul())),
        av(register_module("av", ApproxMatmul())),
        proj(register_module("proj", ApproxLinear(16, 16))) {}
  at::Tensor forward(const at::Tensor& x) {
    auto parts = qkv->forward(x).chunk(3, -1);
    at::Tensor attn = at::softmax(qk->forward(parts[0], parts[1].transpose(-1, -2)) * 0.25, -1);
    return proj->forward(av->forward(attn, parts[2]));
  }
  ApproxLinear qkv;
  ApproxMatmul qk, av;
  ApproxLinear proj;
};
TORCH_MODULE(Attention);

struct PatchEmbedImpl : torch::nn::Module {
  PatchEmbedImpl() : proj(register_module("proj", ApproxConv2d(3, 16, std::array<int64_t, 2>{4, 4}, Conv2dGeometry{{4, 4}, {0, 0}, {1, 1}, 1}))) {}
  ApproxConv2d proj;
};
TORCH_MODULE(PatchEmbed);

// A ViT-shaped toy: patch embedding, one attention block, a plain (non-approximable) head.
struct TinyVitImpl : torch::nn::Module {
  TinyVitImpl() {
    patch_embed = register_module("patch_embed", PatchEmbed());
    blocks = register_module("blocks", torch::nn::ModuleList());
    auto block = std::make_shared<torch::nn::Module>();
    attn = block->register_module("attn", Attention());
    blocks->push_back(block);
    head = register_module("head", torch::nn::Linear(16, 4));
  }
  at::Tensor forward(const at::Tensor& img) {
    at::Tensor t = patch_embed->proj->forward(img).flatten(2).transpose(1, 2);  // [B, 16, 16]
    t = t + attn->forward(t);
    return head->forward(t.mean(1));
  }
  PatchEmbed patch_embed{nullptr};
  torch::nn::ModuleList blocks{nullptr};
  Attention attn{nullptr};
  torch::nn::Linear head{nullptr};
};
TORCH_MODULE(TinyVit);

void copy_params(torch::nn::Module& dst, torch::nn::Module& src) {
  const auto from = src.named_parameters();
  at::NoGradGuard ng;
  for (auto& p : dst.named_parameters()) p.value().copy_(from[p.key()]);
}

const std::vector<std::string> kLayers = {"blocks.0.attn.av", "blocks.0.attn.proj", "blocks.0.attn.qk",
                                          "blocks.0.attn.qkv", "patch_embed.proj"};

class ModelApi : public ::testing::Test {
 protected:
  void SetUp() override {
    at::manual_seed(11);
    dir_ = test::temp_dir("api");
    auto lut = make_exact_multiplier(true)->lut_tensor() + at::randint(-64, 64, {256, 256}, at::kInt);
    std::vector<int32_t> v(lut.data_ptr<int32_t>(), lut.data_ptr<int32_t>() + 65536);
    write_npy_i32(dir_ / "approx_s8.npy", v, {256, 256});
    write_json_atomic(dir_ / "library.json",
                      Json::array({Json{{"name", "approx_s8"}, {"signed", true}, {"lut", "approx_s8.npy"}}}));
    lib_ = MultiplierLibrary::load(dir_);
    images_ = at::randn({2, 3, 16, 16});
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  ApproxConfig config(std::map<std::string, std::string> layers, std::string def = "exact") {
    ApproxConfig c;
    c.library = dir_.string();
    c.default_multiplier = std::move(def);
    c.layers = std::move(layers);
    return c;
  }
  std::filesystem::path dir_;
  MultiplierLibrary lib_;
  at::Tensor images_;
};

TEST_F(ModelApi, FindsApproximableLayersByDottedName) {
  TinyVit net;
  std::vector<std::string> names;
  for (const auto& [n, l] : approximable_layers(*net)) names.push_back(n);
  EXPECT_EQ(names, kLayers);
}

TEST_F(ModelApi, AppliesMultiplierPerLayer) {
  TinyVit net;
  apply_config(*net, config({{"blocks.0.attn.qkv", "approx_s8"}, {"blocks.0.attn.proj", "fp32"}}), lib_);
  auto layers = approximable_layers(*net);
  EXPECT_EQ(layers["blocks.0.attn.qkv"]->state().mult->name, "approx_s8");
  EXPECT_EQ(layers["blocks.0.attn.proj"]->state().mult, nullptr);
  EXPECT_EQ(layers["patch_embed.proj"]->state().mult->name, "exact_s8");
  EXPECT_EQ(layers["blocks.0.attn.qk"]->state().name, "blocks.0.attn.qk");
  at::NoGradGuard ng;
  at::Tensor x = at::randn({3, 16});
  EXPECT_TRUE(at::equal(net->attn->proj->forward(x), at::linear(x, net->attn->proj->weight, net->attn->proj->bias)));
  EXPECT_FALSE(at::equal(net->attn->qkv->forward(x), at::linear(x, net->attn->qkv->weight, net->attn->qkv->bias)));
}

TEST_F(ModelApi, WeightCacheFollowsInPlaceUpdates) {
  ApproxLinear fc(8, 4);
  apply_config(*fc, config({}, "approx_s8"), lib_);
  at::NoGradGuard ng;
  const at::Tensor x = at::randn({3, 8});
  const QParams act = qparams_from_range(x.min().item<double>(), x.max().item<double>(), true);
  auto direct = [&] {
    return approx_linear(x, fc->weight, fc->bias, *lib_.get("approx_s8"), act, WeightGranularity::per_channel, "fc");
  };
  EXPECT_TRUE(at::equal(fc->forward(x), direct()));
  fc->weight.mul_(-2);  // an optimizer step: in place, version counter bumps
  EXPECT_TRUE(at::equal(fc->forward(x), direct()));
}

TEST_F(ModelApi, UnknownLayerListsValidNames) {
  TinyVit net;
  auto msg = test::expect_error("EMU-051", [&] { apply_config(*net, config({{"blocks.9.mlp.fc1", "exact"}}), lib_); });
  for (const auto& n : kLayers) EXPECT_NE(msg.find(n), std::string::npos) << n;
  msg = test::expect_error("EMU-051", [&] { apply_config(*net, config({{"head", "exact"}}), lib_); });
  EXPECT_NE(msg.find("not approximable"), std::string::npos);
}

TEST_F(ModelApi, UnknownMultiplierListsLibrary) {
  TinyVit net;
  auto msg = test::expect_error("EMU-011", [&] { apply_config(*net, config({{"blocks.0.attn.qk", "bam_s8_v9"}}), lib_); });
  EXPECT_NE(msg.find("approx_s8"), std::string::npos);
  EXPECT_NE(msg.find("fp32"), std::string::npos);
  test::expect_error("EMU-011", [&] { apply_config(*net, config({}, "nope"), lib_); });
}

TEST_F(ModelApi, CalibrateSaveAndRestoreReproducesOutputs) {
  TinyVit net;
  apply_config(*net, config({{"blocks.0.attn.qkv", "approx_s8"}, {"blocks.0.attn.av", "exact_u8"}}), lib_);
  at::NoGradGuard ng;
  const at::Tensor fp32 = [&] {
    ApproxConfig all_fp32 = config({}, "fp32");
    TinyVit ref;
    copy_params(*ref, *net);  // same weights
    apply_config(*ref, all_fp32, lib_);
    return ref->forward(images_);
  }();
  begin_calibration(*net);
  for (int i = 0; i < 3; ++i) net->forward(at::randn({2, 3, 16, 16}));
  CalibrationSettings s;
  s.method = CalibrationMethod::percentile;
  s.percentile = 99.9;
  const CalibrationResult cal = end_calibration(*net, s);
  EXPECT_EQ(cal.ranges.size(), kLayers.size());
  EXPECT_EQ(cal.ranges.at("blocks.0.attn.qk").size(), 2u);
  const at::Tensor y = net->forward(images_);
  EXPECT_TRUE(at::allclose(y, fp32, 0.1, 0.1));  // 8-bit + small LUT error stays close to FP32
  save_calibration(dir_ / "cal.json", cal);
  TinyVit other;
  copy_params(*other, *net);
  apply_config(*other, config({{"blocks.0.attn.qkv", "approx_s8"}, {"blocks.0.attn.av", "exact_u8"}}), lib_);
  apply_calibration(*other, load_calibration(dir_ / "cal.json"));
  EXPECT_TRUE(at::equal(other->forward(images_), y));
}

TEST_F(ModelApi, EmptyCalibrationIsAnError) {
  TinyVit net;
  apply_config(*net, config({}), lib_);
  begin_calibration(*net);
  test::expect_error("EMU-040", [&] { end_calibration(*net, CalibrationSettings{}); });
}

TEST_F(ModelApi, CalibrationForAnotherModelIsAnError) {
  TinyVit net;
  CalibrationResult r;
  r.ranges["blocks.3.attn.qkv"] = {{-1, 1}};
  test::expect_error("EMU-052", [&] { apply_calibration(*net, r); });
  r.ranges.clear();
  r.ranges["blocks.0.attn.qk"] = {{-1, 1}};  // a matmul needs two ranges
  test::expect_error("EMU-053", [&] { apply_calibration(*net, r); });
}

TEST(ApproxConfigParse, ReadsAllFieldsAndRejectsBadOnes) {
  const Json j = {{"version", 1}, {"library", "lib"}, {"default", "exact"},
                  {"layers", {{"head", "fp32"}}},
                  {"quant", {{"weights", "per_tensor"}, {"calibration", "mse"}, {"percentile", 99.5}}}};
  const ApproxConfig c = parse_config(j);
  EXPECT_EQ(c.library, "lib");
  EXPECT_EQ(c.layers.at("head"), "fp32");
  EXPECT_EQ(c.weights, WeightGranularity::per_tensor);
  EXPECT_EQ(c.calibration.method, CalibrationMethod::mse);
  EXPECT_EQ(parse_config(to_json(c)).layers, c.layers);
  auto with = [&](const char* key, Json v) {
    Json k = j;
    k[key] = std::move(v);
    return k;
  };
  test::expect_error("EMU-050", [&] { parse_config(with("version", 2)); });
  test::expect_error("EMU-050", [&] { parse_config(with("layers", Json{{"head", 3}})); });
  test::expect_error("EMU-050", [&] { parse_config(with("quant", Json{{"weights", "per_row"}})); });
  test::expect_error("EMU-041", [&] { parse_config(with("quant", Json{{"calibration", "kl"}})); });
  test::expect_error("EMU-050", [&] { parse_config(with("quant", Json{{"percentile", 10}})); });
  const auto dir = test::temp_dir("cfg");
  write_json_atomic(dir / "c.json", j);
  EXPECT_EQ(load_config(dir / "c.json").library, (dir / "lib").string());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace axx::emu
