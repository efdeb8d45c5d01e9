// bench_import — eval images/s of an imported TorchScript ViT against the same architecture as a
// native ViT (weights imported from the timm-named safetensors of the same model), same run,
// same images, in fp32, exact 8-bit and with an approximate multiplier on every layer; prints
// JSON. The native model is the baseline: ratio = imported / native images/s.
//
//   bench_import [--ts M.pt --timm M.timm.safetensors --heads H] [--images 512] [--batch 64]
//                [--threads 2] [--reps 3] [--cpu-time 0|1]
// --cpu-time 1 times with the process CPU time instead of the wall clock: with --threads 1 on a
// machine shared with other jobs it measures the work, not the time slices the process got.
// Defaults: tv_vit_bench (32x32x3, patch 4, 4 layers, 4 heads, dim 128) that
// tests/import/make_reference.py writes into the build folder. Modes are timed round-robin
// (rep 1 of each, then rep 2...), so load from other processes hits them alike.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <torch/utils.h>

#include <chrono>
#include <ctime>
#include <functional>
#include <iostream>
#include <string>

#include "common/error.hpp"
#include "common/json.hpp"
#include "emulation/config.hpp"
#include "emulation/import/timm_vit.hpp"
#include "emulation/import/torchscript.hpp"

using namespace axx;

namespace {

std::shared_ptr<const emu::Multiplier> truncated(int bits) {
  at::Tensor a = at::arange(256, at::kInt).to(at::kChar).to(at::kInt);
  at::Tensor lut = at::bitwise_and(a.view({256, 1}) * a.view({1, 256}), ~((1 << bits) - 1));
  return emu::make_multiplier(fmt::format("trunc{}_s8", bits), true, lut);
}

void configure(torch::nn::Module& m, const std::string& mode, const at::Tensor& calib,
               const std::function<at::Tensor(const at::Tensor&)>& fwd) {
  emu::ApproxConfig c;
  c.default_multiplier = mode == "fp32" ? "fp32" : "exact";
  emu::apply_config(m, c, emu::MultiplierLibrary());
  if (mode == "fp32") return;
  emu::begin_calibration(m);
  fwd(calib);
  emu::end_calibration(m, c.calibration);
  if (mode == "approx") {
    auto t = truncated(4);
    for (auto& kv : emu::approximable_layers(m)) kv.second->state().mult = t;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = AXX_IMPORT_REF_DIR;
  std::string ts = dir + "/tv_vit_bench.pt", timm = dir + "/tv_vit_bench.timm.safetensors";
  int64_t heads = 4, images = 512, batch = 64;
  int threads = 2, reps = 3;
  bool cpu_time = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--ts") ts = v;
    else if (k == "--timm") timm = v;
    else if (k == "--heads") heads = std::stoll(v);
    else if (k == "--images") images = std::stoll(v);
    else if (k == "--batch") batch = std::stoll(v);
    else if (k == "--threads") threads = std::stoi(v);
    else if (k == "--reps") reps = std::stoi(v);
    else if (k == "--cpu-time") cpu_time = v != "0";
    else {
      std::cerr << "unknown option " << k << "\n";
      return 2;
    }
  }
  try {
    at::set_num_threads(threads);
    torch::NoGradGuard ng;
    imp::ImportedModel imported = imp::load_torchscript(ts);
    imp::TimmImportOptions o;
    o.num_heads = heads;
    models::VisionTransformer native = imp::import_vit_safetensors(timm, o);
    native->eval();
    const auto& spec = imported->input();
    at::manual_seed(0);
    const at::Tensor x = at::randn({images, spec.channels, spec.image_size, spec.image_size});
    const at::Tensor calib = x.narrow(0, 0, std::min<int64_t>(64, images));
    auto f_imp = [&](const at::Tensor& b) { return imported->forward(b); };
    auto f_nat = [&](const at::Tensor& b) { return native->forward(b); };
    auto now = [&] {
      return cpu_time ? double(std::clock()) / CLOCKS_PER_SEC
                      : std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    };
    auto run = [&](const std::function<at::Tensor(const at::Tensor&)>& f, at::Tensor* out) {
      const double t0 = now();
      std::vector<at::Tensor> ys;
      for (int64_t b = 0; b < images; b += batch) ys.push_back(f(x.narrow(0, b, std::min(batch, images - b))));
      if (out) *out = at::cat(ys);
      return now() - t0;
    };
    Json modes = Json::object();
    for (const std::string mode : {"fp32", "exact8", "approx"}) {
      configure(*imported, mode, calib, f_imp);
      configure(*native, mode, calib, f_nat);
      at::Tensor yi, yn;
      run(f_imp, &yi);  // warm-up (weight quantization caches), and the outputs compared below
      run(f_nat, &yn);
      double best_i = 1e30, best_n = 1e30;
      for (int r = 0; r < reps; ++r) {
        best_i = std::min(best_i, run(f_imp, nullptr));
        best_n = std::min(best_n, run(f_nat, nullptr));
      }
      const double rel = (yi - yn).abs().max().item<double>() / yn.abs().max().item<double>();
      modes[mode] = {{"native_images_per_s", double(images) / best_n},
                     {"imported_images_per_s", double(images) / best_i},
                     {"ratio_imported_vs_native", best_n / best_i},
                     // fp32: float rounding only; quantized modes: codes that round differently
                     // after it (see tests/import), a few per model
                     {"max_rel_diff_logits", rel}};
    }
    Json r = {{"benchmark", "import"},
              {"torchscript", ts},
              {"timm_safetensors", timm},
              {"layers", emu::approximable_layers(*imported).size()},
              {"images", images},
              {"batch", batch},
              {"threads", threads},
              {"reps", reps},
              {"timing", cpu_time ? "best of reps, process CPU time" : "best of reps, wall clock"},
              {"modes", modes}};
    std::cout << r.dump(2) << "\n";
  } catch (const Error& e) {
    std::cerr << "error " << e.code() << ": " << e.what() << "\n";
    return 1;
  }
  return 0;
}
