// transaxx train — shared pieces (see engine.hpp).
#include "emulation/train/engine.hpp"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <torch/optim/adamw.h>
#include <torch/utils.h>

#include <chrono>
#include <cmath>

#include "common/error.hpp"
#include "common/progress.hpp"
#include "emulation/device.hpp"

namespace axx::train {

namespace {

[[noreturn]] void no_model_file(const std::string& what) {
  throw UsageError("TRN-008", fmt::format("no model file given; give {}", what));
}

}  // namespace

void check_batch_size(int64_t batch) {
  if (batch < 1) throw UsageError("TRN-001", fmt::format("the batch size is {}; it must be >= 1", batch));
}

void set_threads(int threads) {
  if (threads < 1) throw UsageError("TRN-005", fmt::format("the thread count is {}; it must be >= 1", threads));
  at::set_num_threads(threads);
}

void check_fits(const imp::InputSpec& c, const data::Dataset& d) {
  if (d.size() == 0) throw Error("TRN-006", fmt::format("dataset {} is empty", d.name));
  const auto s = d.images.sizes();
  if (s[1] != c.channels || s[2] != c.image_size || s[3] != c.image_size) {
    throw Error("TRN-002", fmt::format("dataset {} has {}x{}x{} images (CxHxW) but the model takes {}x{}x{}; pick a "
                                       "preset for this image size (the presets are listed in `transaxx train`'s help)",
                                       d.name, s[1], s[2], s[3], c.channels, c.image_size, c.image_size));
  }
  if (int64_t(d.classes.size()) > c.num_classes) {
    throw Error("TRN-007", fmt::format("dataset {} has {} classes but the model only {}", d.name, d.classes.size(),
                                       c.num_classes));
  }
}

void check_fits(const models::VitConfig& c, const data::Dataset& d) {
  check_fits(imp::InputSpec{c.in_chans, c.img_size, c.num_classes}, d);
}

Accuracy evaluate(const Model& m, const data::Dataset& d, int64_t batch, const std::string& label, bool progress) {
  check_fits(m.input(), d);
  check_batch_size(batch);
  torch::NoGradGuard ng;
  m->eval();
  const auto t0 = std::chrono::steady_clock::now();
  std::unique_ptr<Progress> bar;
  if (progress) bar = std::make_unique<Progress>(label, size_t(d.size()), "images");
  int64_t c1 = 0, c5 = 0;
  const int64_t k = std::min<int64_t>(5, m.input().num_classes);
  for (int64_t b = 0; b < d.size(); b += batch) {
    const int64_t n = std::min(batch, d.size() - b);
    at::Tensor logits = m.forward(d.images.narrow(0, b, n));
    at::Tensor y = d.labels.narrow(0, b, n);
    at::Tensor topk = std::get<1>(logits.topk(k, 1)).cpu();  // the labels stay on the CPU
    at::Tensor hit = topk.eq(y.unsqueeze(1));
    c1 += hit.select(1, 0).sum().item<int64_t>();
    c5 += hit.any(1).sum().item<int64_t>();
    if (bar) bar->advance(size_t(n));
  }
  if (bar) bar->finish();
  Accuracy a;
  a.images = d.size();
  a.top1 = double(c1) / double(d.size());
  a.top5 = double(c5) / double(d.size());
  a.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return a;
}

models::VisionTransformer load_model(const std::string& path, const std::string& preset) {
  if (path.empty()) no_model_file("a .safetensors file from `transaxx train`");
  if (preset.empty()) return models::load_vit(path);
  const models::VitConfig c = models::find_preset(preset).config;
  return models::load_vit(path, &c);
}

Model load_any_model(const std::string& path, const imp::ModelFileOptions& o) {
  if (path.empty()) no_model_file(".safetensors from `transaxx train` or timm, or TorchScript .pt");
  return imp::load_model_file(path, o);
}

Model load_any_model(const EvalOptions& o) {
  const c10::Device device = emu::resolve_device(o.run.device);  // before the file: a bad device fails fast
  imp::ModelFileOptions f;
  f.preset = o.preset;
  f.num_heads = o.heads;
  f.input = {o.channels, o.image_size, o.num_classes};
  Model m = load_any_model(o.model, f);
  m.to(device);
  return m;
}

data::Dataset load_calibration_set(const data::DatasetSpec& test_spec, int64_t n, uint64_t seed) {
  if (n < 1) throw UsageError("TRN-009", fmt::format("{} calibration images: give at least 1", n));
  data::DatasetSpec s = test_spec;
  s.split = "train";
  s.limit = 0;
  if (s.kind == "folder") s.split = test_spec.split;  // a folder may have no train split
  data::Dataset d = data::load_dataset(s);
  // A fixed seed offset keeps the calibration images apart from any test-limit choice.
  return data::random_subset(d, n, seed + 7919);
}

namespace {

/// The model in evaluation mode over every calibration image (inference only).
void forward_all(const Model& m, const data::Dataset& calib, int64_t batch) {
  for (int64_t b = 0; b < calib.size(); b += batch) m.forward(calib.images.narrow(0, b, std::min(batch, calib.size() - b)));
}

/// The calibration observation pass: every approximable layer records its FP32 operands.
void observe(const Model& m, const data::Dataset& calib, int64_t batch) {
  check_fits(m.input(), calib);
  m->eval();
  emu::begin_calibration(*m);
  forward_all(m, calib, batch);
}

}  // namespace

void reset_to_fp32(const Model& m) {
  emu::ApproxConfig c;
  c.default_multiplier = "fp32";
  emu::apply_config(*m, c, emu::MultiplierLibrary());
  for (auto& kv : emu::approximable_layers(*m)) kv.second->state().ranges.clear();
}

void calibrate(const Model& m, const data::Dataset& calib, const emu::CalibrationSettings& s, int64_t batch,
               const std::string& save_path) {
  torch::NoGradGuard ng;
  observe(m, calib, batch);
  emu::CalibrationResult r = emu::end_calibration(*m, s);
  // Second pass, ranges fixed: the operand-A code histograms ("mean" compensation), with every
  // layer on the exact multiplier of its signedness (same codes and ranges): the histograms of
  // the network compensation aims at, not of an uncompensated one whose biased layers distort
  // every layer downstream (measured: bam_s8_v8 82.3 % with the latter, see the README table).
  std::map<std::string, std::shared_ptr<const emu::Multiplier>> configured;
  for (auto& [name, l] : emu::approximable_layers(*m)) {
    auto& s = l->state();
    configured[name] = s.mult;
    if (s.mult) s.mult = emu::make_exact_multiplier(s.mult->is_signed);
  }
  emu::begin_histograms(*m);
  forward_all(m, calib, batch);
  emu::end_histograms(*m, r);
  for (auto& [name, l] : emu::approximable_layers(*m)) l->state().mult = configured.at(name);
  if (!save_path.empty()) emu::save_calibration(save_path, r);
}

NoiseAwareTable noise_aware_table(const Model& m, const data::Dataset& calib, const emu::CalibrationSettings& s,
                                  emu::Compensation compensation, const std::string& library,
                                  const emu::MultiplierLibrary& lib, const std::vector<std::string>& multipliers,
                                  int64_t batch) {
  torch::NoGradGuard ng;
  observe(m, calib, batch);  // every layer FP32: the observations do not depend on the config
  NoiseAwareTable table;
  for (const auto& name : multipliers) {
    if (name == "fp32" || lib.get(name)->is_exact()) continue;
    emu::ApproxConfig cfg;
    cfg.library = library;
    cfg.default_multiplier = name;
    cfg.compensation = compensation;
    cfg.calibration = s;
    emu::apply_config(*m, cfg, lib);
    emu::end_calibration(*m, s, /*keep_observers=*/true);
    for (auto& [layer, l] : emu::approximable_layers(*m)) table[name][layer] = {l->state().ranges, l->state().hist_a};
  }
  for (auto& [layer, l] : emu::approximable_layers(*m)) l->state().observers.clear();
  return table;
}

emu::ApproxConfig quantize_model(const Model& m, const QuantOptions& q, const data::Dataset& calib,
                                 int64_t batch) {
  emu::ApproxConfig cfg;
  emu::MultiplierLibrary lib;
  if (q.mode == "fp32") {
    reset_to_fp32(m);
    cfg.default_multiplier = "fp32";
    return cfg;
  } else if (q.mode == "exact8") {
    cfg.default_multiplier = "exact";
  } else if (q.mode == "config") {
    if (q.config.empty()) throw UsageError("TRN-010", "mode 'config' needs an approximation config JSON file");
    cfg = emu::load_config(q.config);
    lib = cfg.library.empty() ? emu::MultiplierLibrary() : emu::MultiplierLibrary::load(cfg.library);
  } else {
    throw UsageError("TRN-011", fmt::format("unknown quantization mode '{}'; valid: fp32, exact8, config", q.mode));
  }
  if (!q.calibration.empty()) cfg.calibration.method = emu::parse_calibration_method(q.calibration);
  if (q.percentile > 0) cfg.calibration.percentile = q.percentile;
  if (!q.compensation.empty()) cfg.compensation = emu::parse_compensation(q.compensation, "compensation option");
  emu::apply_config(*m, cfg, lib);
  calibrate(m, calib, cfg.calibration, batch, q.save_calibration);
  return cfg;
}

double schedule_lr(int64_t step, int64_t total, double peak, double floor, int64_t warmup_steps) {
  if (step < warmup_steps) return peak * double(step + 1) / double(warmup_steps);
  const double t = total > warmup_steps ? double(step - warmup_steps) / double(total - warmup_steps) : 1.0;
  return floor + 0.5 * (peak - floor) * (1.0 + std::cos(M_PI * std::min(1.0, t)));
}

void set_lr(torch::optim::Optimizer& opt, double lr) {
  for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
}

at::Tensor augment_batch(const at::Tensor& x, bool flip, at::Generator& g) {
  const int64_t B = x.size(0), H = x.size(2), W = x.size(3);
  const double bg = x.min().item<double>();  // the background after normalization
  at::Tensor shifts = at::randint(-2, 3, {2}, g, at::kLong);
  const int64_t dy = shifts[0].item<int64_t>(), dx = shifts[1].item<int64_t>();
  at::Tensor padded = at::constant_pad_nd(x, {2, 2, 2, 2}, bg);
  at::Tensor out = padded.narrow(2, 2 + dy, H).narrow(3, 2 + dx, W);
  if (flip) {
    at::Tensor mask = at::rand({B, 1, 1, 1}, g) < 0.5;
    out = at::where(mask, out.flip({3}), out);
  }
  return out.contiguous();
}

}  // namespace axx::train
