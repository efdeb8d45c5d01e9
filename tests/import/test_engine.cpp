// The commands' engine (emulation/train) on imported models: `transaxx eval`, `finetune` and
// `layers` take the TorchScript version of the trained Fashion-MNIST ViT as they take the native
// file, with the same results.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "emulation/train/engine.hpp"
#include "emulation/train/layer_stats.hpp"
#include "import_test_util.hpp"

using namespace axx;
using namespace axx::imp::test;

namespace {

const std::string kNative = std::string(AXX_SOURCE_DIR) + "/examples/models/fmnist_vit.safetensors";

train::EvalOptions eval_options(const std::string& model, const std::string& mode) {
  train::EvalOptions o;
  o.model = model;
  o.data.limit = 500;
  o.quant.mode = mode;
  o.quant.calib_images = 128;
  o.run.progress = false;
  return o;
}

}  // namespace

TEST(ImportEngine, EvalScoresTheTorchScriptModelAsTheNativeOne) {
  for (const std::string mode : {"fp32", "exact8"}) {
    const Json ts = train::evaluate_model(eval_options(ref_file("fmnist_vit_ts.pt"), mode));
    const Json nat = train::evaluate_model(eval_options(kNative, mode));
    // fp32: the logits agree to 1e-6, so do the decisions. exact8: an activation may round to the
    // neighbouring code in one model and not the other; allow 2 of 500 decisions to differ.
    const double tol = mode == "fp32" ? 0.0 : 2.0 / 500;
    EXPECT_NEAR(ts["top1"].get<double>(), nat["top1"].get<double>(), tol + 1e-12) << mode;
    EXPECT_GT(ts["top1"].get<double>(), 0.8) << mode;
    ASSERT_EQ(ts["layers"].size(), nat["layers"].size());
    for (const auto& [name, l] : nat["layers"].items()) {
      ASSERT_TRUE(ts["layers"].contains(name)) << name;
      EXPECT_EQ(ts["layers"][name]["macs_per_image"], l["macs_per_image"]) << name;
      EXPECT_EQ(ts["layers"][name]["multiplier"], l["multiplier"]) << name;
    }
  }
}

TEST(ImportEngine, LayersOfTheTorchScriptModelEqualTheNativeOnes) {
  train::LayerStatsOptions o;
  o.run.progress = false;
  o.images = 16;
  o.histograms = false;
  o.model = ref_file("fmnist_vit_ts.pt");
  const Json ts = train::compute_layer_stats(o);
  o.model = kNative;
  const Json nat = train::compute_layer_stats(o);
  ASSERT_EQ(ts["layers"].size(), nat["layers"].size());
  for (size_t i = 0; i < nat["layers"].size(); ++i) {  // same order (forward order), names, counts
    EXPECT_EQ(ts["layers"][i]["name"], nat["layers"][i]["name"]);
    EXPECT_EQ(ts["layers"][i]["kind"], nat["layers"][i]["kind"]);
    EXPECT_EQ(ts["layers"][i]["macs"], nat["layers"][i]["macs"]);
  }
  EXPECT_EQ(ts["macs_per_image"], nat["macs_per_image"]);
}

TEST(ImportEngine, FinetuneWritesTheTorchScriptModelBack) {
  const auto dir = std::filesystem::temp_directory_path() / "axx_import_finetune_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  train::FinetuneOptions o;
  o.eval = eval_options(ref_file("fmnist_vit_ts.pt"), "exact8");
  o.eval.data.limit = 200;
  o.train_data.limit = 256;
  o.train_batch = 64;
  o.max_steps = 2;
  o.lr = 1e-3;
  o.out = (dir / "tuned.pt").string();
  const Json r = train::finetune_model(o);
  EXPECT_EQ(r["steps"].get<int64_t>(), 2);
  imp::TorchScriptOptions so;
  so.sidecar = ref_file("fmnist_vit_ts.json");
  imp::ImportedModel tuned = imp::load_torchscript(o.out, so);
  imp::ImportedModel orig = imp::load_torchscript(ref_file("fmnist_vit_ts.pt"));
  const at::Tensor x = at::randn({2, 1, 28, 28});
  torch::NoGradGuard ng;
  EXPECT_FALSE(at::equal(tuned->forward(x), orig->forward(x)));  // the weights moved and were saved
  std::filesystem::remove_all(dir);
}
