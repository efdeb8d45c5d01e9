// The model handle the commands use: any model file, one interface; TorchScript saved back.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <set>

#include "emulation/config.hpp"
#include "emulation/data/dataset.hpp"
#include "emulation/import/model_file.hpp"
#include "import_test_util.hpp"

using namespace axx;
using namespace axx::imp;
using namespace axx::imp::test;

TEST(ModelFile, LoadsEveryKindBehindOneHandle) {
  torch::NoGradGuard ng;
  const at::Tensor x = load_npy(ref_file("tv_vit_a.input.npy")), r = load_npy(ref_file("tv_vit_a.logits.npy"));
  ModelFileOptions o;
  o.num_heads = 4;
  ModelHandle ts = load_model_file(ref_file("tv_vit_a.pt"), o);
  ModelHandle vit = load_model_file(ref_file("tv_vit_a.timm.safetensors"), o);
  EXPECT_STREQ(ts.kind(), "torchscript");
  EXPECT_STREQ(vit.kind(), "vit");
  EXPECT_NE(vit.native(), nullptr);
  EXPECT_EQ(ts.native(), nullptr);
  for (const ModelHandle* m : {&ts, &vit}) {
    EXPECT_EQ(m->input().channels, 3);
    EXPECT_EQ(m->input().image_size, 32);
    EXPECT_EQ(m->input().num_classes, 10);
    (*m)->eval();
    EXPECT_LT(rel_diff(m->forward(x), r), 1e-4) << m->kind();
    EXPECT_FALSE(emu::approximable_layers(**m).empty());
  }
  // A native model converts implicitly (callers written for models::VisionTransformer).
  models::VisionTransformer native = import_vit_safetensors(ref_file("tv_vit_a.timm.safetensors"), {4, "", false, 1e-6});
  ModelHandle h = native;
  EXPECT_EQ(h.module().get(), native.ptr().get());
}

TEST(ModelFile, SavedTorchScriptKeepsUpdatedWeights) {
  ModelHandle m = load_model_file(ref_file("cnn.pt"));
  torch::NoGradGuard ng;
  for (auto& p : m->parameters()) p.mul_(0.5);  // as an optimizer step would, in place
  const at::Tensor x = load_npy(ref_file("cnn.input.npy"));
  const at::Tensor y = m.forward(x);
  const auto dir = std::filesystem::temp_directory_path() / "axx_import_save_test";
  std::filesystem::create_directories(dir);
  const std::string out = (dir / "cnn_half.pt").string();
  TorchScriptOptions o;
  o.sidecar = ref_file("cnn.json");
  m.save(out);
  ImportedModel back = load_torchscript(out, o);
  EXPECT_TRUE(at::equal(back->forward(x), y));
  EXPECT_FALSE(at::equal(y, load_npy(ref_file("cnn.logits.npy"))));
  std::filesystem::remove_all(dir);
}

TEST(ModelFile, UnknownExtensionsAndMissingFiles) {
  expect_error("IMP-016", [] { load_model_file(ref_file("cnn.json")); });
  expect_error("SFT-005", [] { load_model_file(ref_file("nope.safetensors")); });
  expect_error("IMP-001", [] { load_model_file(ref_file("nope.pt")); });
  expect_error("IMP-015", [] { load_model_file(""); });
}

TEST(ModelFile, ImportedAndNativeViTCountTheSameMultiplicationsPerLayer) {
  // The TorchScript model (fused attention decomposed) against the native ViT with the same
  // weights: per layer, the same multiply count, from last_macs() and from the operand recorder.
  ModelFileOptions o;
  o.num_heads = 4;
  ModelHandle ts = load_model_file(ref_file("tv_vit_a.pt"), o);
  ModelHandle vit = load_model_file(ref_file("tv_vit_a.timm.safetensors"), o);
  const at::Tensor x = load_npy(ref_file("tv_vit_a.input.npy"));
  torch::NoGradGuard ng;
  for (const ModelHandle* m : {&ts, &vit}) {
    (*m)->eval();
    emu::apply_config(**m, emu::ApproxConfig(), emu::MultiplierLibrary());
    for (auto& kv : emu::approximable_layers(**m)) kv.second->state().recorder = std::make_shared<emu::OperandRecorder>();
    m->forward(x);
  }
  std::map<std::string, std::string> to_native = {{"conv_proj", "patch_embed.proj"}, {"heads.head", "head"}};
  for (int i = 0; i < 2; ++i) {
    const std::string t = fmt::format("encoder.layers.encoder_layer_{}.", i), n = fmt::format("blocks.{}.", i);
    for (const auto& [a, b] : std::map<std::string, std::string>{{"self_attention.in_proj", "attn.qkv"},
                                                                 {"self_attention.qk", "attn.qk"},
                                                                 {"self_attention.av", "attn.av"},
                                                                 {"self_attention.out_proj", "attn.proj"},
                                                                 {"mlp.0", "mlp.fc1"},
                                                                 {"mlp.3", "mlp.fc2"}})
      to_native[t + a] = n + b;
  }
  auto lt = emu::approximable_layers(*ts), ln = emu::approximable_layers(*vit);
  ASSERT_EQ(lt.size(), to_native.size());
  ASSERT_EQ(ln.size(), to_native.size());
  for (const auto& [a, b] : to_native) {
    ASSERT_TRUE(lt.count(a) && ln.count(b)) << a << " / " << b;
    EXPECT_GT(lt[a]->last_macs(), 0) << a;
    EXPECT_EQ(lt[a]->last_macs(), ln[b]->last_macs()) << a;
    EXPECT_EQ(lt[a]->state().recorder->macs, ln[b]->state().recorder->macs) << a;
  }
}

TEST(ModelFile, TrainedVitAsTorchScriptEqualsTheNativeOneOnFashionMnist) {
  // examples/models/fmnist_vit.safetensors, scripted as a timm-style module by make_reference.py:
  // the same layer names as the native ViT (one config addresses both) and the same logits on
  // real test images.
  const std::string native_path = std::string(AXX_SOURCE_DIR) + "/examples/models/fmnist_vit.safetensors";
  ModelHandle ts = load_model_file(ref_file("fmnist_vit_ts.pt"));
  ModelHandle vit = load_model_file(native_path);
  std::set<std::string> nt, nv;
  for (const auto& kv : emu::approximable_layers(*ts)) nt.insert(kv.first);
  for (const auto& kv : emu::approximable_layers(*vit)) nv.insert(kv.first);
  EXPECT_EQ(nt, nv);
  data::DatasetSpec spec;
  spec.limit = 256;
  const data::Dataset d = data::load_dataset(spec);
  torch::NoGradGuard ng;
  vit->eval();
  const at::Tensor yv = vit.forward(d.images), yt = ts.forward(d.images);
  EXPECT_LT(rel_diff(yt, yv), 1e-4);
  EXPECT_TRUE(at::equal(yt.argmax(1), yv.argmax(1)));
}
