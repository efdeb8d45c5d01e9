// TorchScript import: torchvision ViTs and a CNN saved by make_reference.py reproduce PyTorch's
// logits, every multiplication is an approximable layer (also nn.MultiheadAttention's fused fast
// path), and one layer's multiplier changes that layer's output and nothing before it.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fmt/format.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "common/json.hpp"
#include "emulation/config.hpp"
#include "emulation/import/torchscript.hpp"
#include "import_test_util.hpp"

using namespace axx;
using namespace axx::imp;
using namespace axx::imp::test;

namespace {

const std::vector<std::string> kModels = {"tv_vit_a", "tv_vit_b", "cnn"};

/// The exact signed product with the low `bits` bits of every product cleared: an approximate
/// multiplier that differs from the exact one on most operand pairs.
std::shared_ptr<const emu::Multiplier> truncated_multiplier(int bits) {
  at::Tensor a = at::arange(256, at::kInt).to(at::kChar).to(at::kInt);  // codes as int8 values
  at::Tensor lut = a.view({256, 1}) * a.view({1, 256});
  lut = at::bitwise_and(lut, ~((1 << bits) - 1));
  return emu::make_multiplier(fmt::format("trunc{}", bits), true, lut);
}

}  // namespace

TEST(TorchScriptImport, ReproducesPytorchLogitsInFp32) {
  for (const auto& name : kModels) {
    ImportedModel m = load_torchscript(ref_file(name + ".pt"));
    torch::NoGradGuard ng;
    at::Tensor y = m->forward(load_npy(ref_file(name + ".input.npy")));
    at::Tensor r = load_npy(ref_file(name + ".logits.npy"));
    ASSERT_EQ(y.sizes(), r.sizes()) << name;
    EXPECT_LT(rel_diff(y, r), 1e-4) << name;
  }
}

TEST(TorchScriptImport, ReproducesPytorchLogitsInTrainingModeGraph) {
  // Grad enabled + train(): nn.MultiheadAttention takes its decomposed path (dropout is 0 in
  // torchvision's ViT, so the logits are the same).
  for (const auto& name : {std::string("tv_vit_a"), std::string("tv_vit_b")}) {
    ImportedModel m = load_torchscript(ref_file(name + ".pt"));
    m->train(true);
    at::Tensor y = m->forward(load_npy(ref_file(name + ".input.npy")));
    EXPECT_TRUE(y.requires_grad());
    EXPECT_LT(rel_diff(y.detach(), load_npy(ref_file(name + ".logits.npy"))), 1e-4) << name;
  }
}

TEST(TorchScriptImport, Exact8BitEqualsTheFakeQuantizedReference) {
  // make_reference.py's FakeQuant computes the exact 8-bit scheme in float; the LUT path
  // accumulates in integers, so the two agree to float rounding — except where an activation
  // sits within that rounding of a code boundary and the two round to neighbouring codes.
  // These three small models have no activation that close to a boundary (measured: ~1e-7 of
  // the logits' range); FP32 is 1e-3..3e-2 away, so 1e-5 tells quantized from unquantized. In
  // larger models a few such flips are expected (tv_vit_bench: ~1e-2 after one flip in Q·Kᵀ);
  // EveryLayerEqualsItsFakeQuantizedProduct checks those layer by layer instead.
  for (const auto& name : {"tv_vit_a", "tv_vit_b", "cnn"}) {
    ImportedModel m = load_torchscript(ref_file(name + std::string(".pt")));
    const at::Tensor x = load_npy(ref_file(name + std::string(".input.npy")));
    torch::NoGradGuard ng;
    emu::ApproxConfig cfg;  // default: exact signed 8-bit, per-channel weights, max calibration
    emu::apply_config(*m, cfg, emu::MultiplierLibrary());
    emu::begin_calibration(*m);
    const at::Tensor y_fp32 = m->forward(x);
    emu::end_calibration(*m, cfg.calibration);
    const at::Tensor y = m->forward(x);
    const at::Tensor fq = load_npy(ref_file(name + std::string(".fq_logits.npy")));
    const double d = rel_diff(y, fq), d_fp32 = rel_diff(y_fp32, fq);
    std::cout << "  " << name << ": exact8 vs fake-quant " << d << ", fp32 vs fake-quant " << d_fp32 << "\n";
    EXPECT_LT(d, 1e-5) << name;
    EXPECT_GT(d_fp32, 1e-3) << name;
  }
}

TEST(TorchScriptImport, EveryLayerEqualsItsFakeQuantizedProductInExact8Bit) {
  // Each layer call of the bench ViT (fused attention path included), on the inputs it really
  // got: output = the FP32 product of the fake-quantized operands (calibrated ranges,
  // per-channel weights), to float rounding of the dequantization.
  ImportedModel m = load_torchscript(ref_file("tv_vit_bench.pt"));
  const at::Tensor x = load_npy(ref_file("tv_vit_bench.input.npy"));
  torch::NoGradGuard ng;
  exact8_calibrated(m, x);
  m->record_calls(true);
  m->forward(x);
  auto layers = emu::approximable_layers(*m);
  size_t checked = 0;
  for (const auto& c : m->recorded()) {
    const emu::LayerState& s = layers.at(c.layer)->state();
    auto qp = [&](size_t i) { return emu::qparams_from_range(s.ranges.at(i).first, s.ranges.at(i).second, true); };
    at::Tensor ref;
    if (layers.at(c.layer)->kind() == emu::LayerKind::matmul) {
      ref = at::matmul(emu::fake_quantize(c.inputs[0], qp(0), true), emu::fake_quantize(c.inputs[1], qp(1), true));
    } else {
      const at::Tensor& w = c.inputs[1];
      const at::Tensor w2 = w.reshape({w.size(0), -1});
      const auto q = emu::quantize_weight(w2, true, emu::WeightGranularity::per_channel, c.layer);
      const at::Tensor wf = emu::fake_quantize_weight(w2, q, true).reshape(w.sizes());
      const at::Tensor xf = emu::fake_quantize(c.inputs[0], qp(0), true);
      const c10::optional<at::Tensor> b = c.inputs[2].defined() ? c10::optional<at::Tensor>(c.inputs[2]) : c10::nullopt;
      // The only conv2d of a ViT is the patch embedding: stride = kernel, no padding.
      ref = layers.at(c.layer)->kind() == emu::LayerKind::linear ? at::linear(xf, wf, b)
                                                                 : at::conv2d(xf, wf, b, {w.size(2), w.size(3)});
    }
    EXPECT_LT(rel_diff(c.output, ref), 1e-5) << c.layer;
    ++checked;
  }
  EXPECT_EQ(checked, layers.size());  // every layer ran once
}

TEST(TorchScriptImport, LayerListNamesEveryLinearConvAndMatmul) {
  for (const auto& name : kModels) {
    ImportedModel m = load_torchscript(ref_file(name + ".pt"));
    const Json info = read_json_file(ref_file(name + ".json"));
    std::set<std::string> expected;
    for (const auto& n : info["layers"]) expected.insert(n.get<std::string>());
    std::set<std::string> got;
    for (const auto& kv : emu::approximable_layers(*m)) got.insert(kv.first);
    EXPECT_EQ(got, expected) << name;
    const size_t count = info["num_linear"].get<size_t>() + info["num_conv2d"].get<size_t>() +
                         3 * info["num_mha"].get<size_t>();  // MHA: in_proj, qk, av (out_proj is a Linear)
    EXPECT_EQ(got.size(), count) << name;
  }
  // The module tree lists the layers in forward order (what `transaxx layers` prints).
  ImportedModel m = load_torchscript(ref_file("tv_vit_a.pt"));
  std::vector<std::string> order;
  const auto all = emu::approximable_layers(*m);
  for (const auto& item : m->named_modules("", false))
    if (all.count(item.key())) order.push_back(item.key());
  const std::string l0 = "encoder.layers.encoder_layer_0.";
  const std::vector<std::string> head = {"conv_proj", l0 + "self_attention.in_proj", l0 + "self_attention.qk",
                                         l0 + "self_attention.av", l0 + "self_attention.out_proj", l0 + "mlp.0",
                                         l0 + "mlp.3"};
  ASSERT_GE(order.size(), head.size());
  EXPECT_EQ(std::vector<std::string>(order.begin(), order.begin() + long(head.size())), head);
  EXPECT_EQ(order.back(), "heads.head");
}

TEST(TorchScriptImport, FusedAttentionFastPathIsRewrittenAndRuns) {
  ImportedModel m = load_torchscript(ref_file("tv_vit_a.pt"));
  const std::string g = m->graph_text();
  EXPECT_EQ(g.find("aten::_native_multi_head_attention"), std::string::npos);
  EXPECT_EQ(g.find("aten::linear"), std::string::npos);
  EXPECT_EQ(g.find("aten::bmm"), std::string::npos);
  EXPECT_NE(g.find("axx::mha"), std::string::npos);
  int mha = 0;
  for (const auto& r : m->rewritten()) mha += r.op == "aten::_native_multi_head_attention";
  EXPECT_EQ(mha, 2);  // one per encoder layer

  // Inference (eval, no grad) takes the fast path; every attention layer must run there.
  emu::ApproxConfig cfg;  // all exact 8-bit
  emu::apply_config(*m, cfg, emu::MultiplierLibrary());
  m->record_calls(true);
  torch::NoGradGuard ng;
  m->forward(load_npy(ref_file("tv_vit_a.input.npy")));
  std::set<std::string> ran;
  for (const auto& c : m->recorded()) ran.insert(c.layer);
  for (const auto& kv : emu::approximable_layers(*m)) EXPECT_TRUE(ran.count(kv.first)) << kv.first << " did not run";
}

TEST(TorchScriptImport, OneLayersMultiplierChangesThatLayerOnward) {
  ImportedModel m = load_torchscript(ref_file("tv_vit_a.pt"));
  const at::Tensor x = load_npy(ref_file("tv_vit_a.input.npy"));
  torch::NoGradGuard ng;
  exact8_calibrated(m, x);

  m->record_calls(true);
  const at::Tensor y_exact = m->forward(x);
  const auto base = m->recorded();
  const std::string target = "encoder.layers.encoder_layer_1.self_attention.qk";
  auto layers = emu::approximable_layers(*m);
  ASSERT_TRUE(layers.count(target));
  layers.at(target)->state().mult = truncated_multiplier(6);
  m->record_calls(true);
  const at::Tensor y_approx = m->forward(x);
  const auto changed = m->recorded();
  ASSERT_EQ(base.size(), changed.size());
  size_t first = base.size();
  for (size_t i = 0; i < base.size(); ++i) {
    ASSERT_EQ(base[i].layer, changed[i].layer);
    if (base[i].layer == target && first == base.size()) first = i;
  }
  ASSERT_LT(first, base.size());
  for (size_t i = 0; i < first; ++i) EXPECT_TRUE(at::equal(base[i].output, changed[i].output)) << base[i].layer;
  // The target's inputs are unchanged, its output is not.
  EXPECT_TRUE(at::equal(base[first].inputs[0], changed[first].inputs[0]));
  EXPECT_TRUE(at::equal(base[first].inputs[1], changed[first].inputs[1]));
  EXPECT_FALSE(at::equal(base[first].output, changed[first].output)) << "the approximated layer itself";
  for (size_t i = first + 1; i < base.size(); ++i) {
    EXPECT_FALSE(at::equal(base[i].output, changed[i].output)) << base[i].layer << " (after " << target << ")";
  }
  EXPECT_FALSE(at::equal(y_exact, y_approx));
}

TEST(TorchScriptImport, BadInputsHaveTheirCodes) {
  expect_error("IMP-001", [] { load_torchscript(ref_file("does_not_exist.pt")); });
  // A torch.save'd state dict: a zip archive without a graph.
  expect_error("IMP-002", [] { load_torchscript(ref_file("state_dict.pt"), {{3, 32, 10}, ""}); });
  // A scripted function saved with torch.jit.save: loads as a module, but is no classifier.
  expect_error("IMP-020", [] { load_torchscript(ref_file("not_a_module.pt"), {{3, 32, 10}, ""}); });
  // A safetensors file under a .pt name.
  expect_error("IMP-002", [] { load_torchscript(ref_file("tv_vit_a.timm.safetensors"), {{3, 32, 10}, ""}); });
  // A module whose forward multiplies with einsum: refused, not left exact.
  expect_error("IMP-005", [] { load_torchscript(ref_file("einsum.pt"), {{3, 8, 4}, ""}); });
  // A sidecar named in the options that does not exist.
  expect_error("IMP-025", [] { load_torchscript(ref_file("tv_vit_a.pt"), {{0, 0, 0}, ref_file("no_such_spec.json")}); });
  // No input spec at all (einsum.pt has no sidecar): the message says what to give, naming no flag.
  const std::string msg = expect_error("IMP-006", [] { load_torchscript(ref_file("einsum.pt")); });
  EXPECT_NE(msg.find("input size"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("--"), std::string::npos) << msg;
  ImportedModel m = load_torchscript(ref_file("cnn.pt"));
  expect_error("IMP-007", [&] { m->forward(at::zeros({1, 3, 8, 8})); });
}

// Archives are loaded first in a forked child (a damaged one must not crash this process): that
// child must also work after this process ran parallel work (its OpenMP threads are not in the
// child), and a file whose content is no archive is refused with the child's message.
TEST(TorchScriptImport, LoadsInAChildAfterParallelWorkAndRefusesGarbage) {
  const int threads = at::get_num_threads();
  at::set_num_threads(2);
  const at::Tensor big = at::randn({384, 384});
  EXPECT_GT(at::mm(big, big).abs().sum().item<double>(), 0.0);             // BLAS threads
  EXPECT_GT(at::exp(big.repeat({4, 1})).sum().item<double>(), 0.0);        // at::parallel_for (OpenMP)
  ImportedModel m = load_torchscript(ref_file("cnn.pt"));
  EXPECT_FALSE(m->rewritten().empty());
  at::set_num_threads(threads);
  namespace fs = std::filesystem;
  const fs::path junk = fs::temp_directory_path() / ("axx-junk-" + std::to_string(::getpid()) + ".pt");
  {
    std::ofstream f(junk, std::ios::binary);
    f << "PK\x03\x04 this is not a zip archive";
  }
  const std::string msg = expect_error("IMP-002", [&] { load_torchscript(junk.string(), {{3, 16, 10}, ""}); });
  EXPECT_NE(msg.find(junk.string()), std::string::npos) << msg;
  fs::remove(junk);
}

TEST(TorchScriptImport, StraightThroughFineTuningReachesTheScriptedWeights) {
  ImportedModel m = load_torchscript(ref_file("tv_vit_a.pt"));
  const at::Tensor x = load_npy(ref_file("tv_vit_a.input.npy"));
  exact8_calibrated(m, x);
  auto params = m->named_parameters();
  ASSERT_TRUE(params.contains("encoder.layers.encoder_layer_0.self_attention.in_proj_weight"));
  ASSERT_TRUE(params.contains("heads.head.weight"));
  m->train(true);
  torch::optim::SGD opt(m->parameters(), torch::optim::SGDOptions(0.05));
  const at::Tensor target = at::tensor({1, 2, 3, 4}, at::kLong);
  at::Tensor loss0 = at::cross_entropy_loss(m->forward(x), target);
  opt.zero_grad();
  loss0.backward();
  for (const char* p : {"conv_proj.weight", "encoder.layers.encoder_layer_0.self_attention.in_proj_weight",
                        "encoder.layers.encoder_layer_1.mlp.0.weight", "heads.head.weight"}) {
    ASSERT_TRUE(params[p].grad().defined()) << p;
    EXPECT_GT(params[p].grad().abs().sum().item<double>(), 0) << p;
  }
  opt.step();
  m->eval();
  torch::NoGradGuard ng;
  const at::Tensor loss1 = at::cross_entropy_loss(m->forward(x), target);
  EXPECT_LT(loss1.item<double>(), loss0.item<double>());
}
