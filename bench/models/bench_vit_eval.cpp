// bench_models — images/s of ViT evaluation in fp32, exact 8-bit and approximate configs, same run,
// same images; prints JSON. The figure that matters is approx/fp32 (issue target: ≥ 0.5).
//
//   bench_models [--model file.safetensors | --preset vit_fmnist] [--images 1000] [--batch 256]
//                [--threads 2] [--reps 3] [--modes fp32,exact8,approx_s8_all_layers,...]
//                [--cpu-time 1]
// --cpu-time 1 times with the process CPU time instead of the wall clock: with --threads 1 (and
// OPENBLAS_NUM_THREADS=1) on a machine shared with other jobs it measures the work, not the
// time slices the process got. Modes are timed round-robin (rep 1 of every mode, then rep 2...),
// so that load from other processes hits them alike.
// Without --model a randomly initialized model of the preset is used (speed does not depend on
// the weights). Images: the Fashion-MNIST test set when the preset takes 28×28×1, else random.
#include <ATen/ATen.h>
#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "bench/bench_timing.hpp"
#include "common/json.hpp"
#include "common/npy.hpp"
#include "emulation/train/engine.hpp"

using namespace axx;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
  axx::bench::use_passive_openmp(argv);
  std::string model, preset = "vit_fmnist";
  int64_t images = 1000, batch = 256;
  int threads = 2, reps = 3;
  bool cpu_time = false;
  std::string only;  // comma-separated mode names; "" = all (fp32 always runs: it is the baseline)
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--model") model = v;
    else if (k == "--preset") preset = v;
    else if (k == "--images") images = std::stoll(v);
    else if (k == "--batch") batch = std::stoll(v);
    else if (k == "--threads") threads = std::stoi(v);
    else if (k == "--reps") reps = std::stoi(v);
    else if (k == "--modes") only = "," + v + ",";
    else if (k == "--cpu-time") cpu_time = v != "0";
    else {
      std::cerr << "unknown option " << k << "\n";
      return 2;
    }
  }
  try {
    train::set_threads(threads);
    models::VisionTransformer m = model.empty() ? models::make_vit(models::find_preset(preset).config, 0)
                                                : train::load_model(model, "");
    const auto& c = m->config();
    data::Dataset test, calib;
    if (c.in_chans == 1 && c.img_size == 28 && fs::exists("/usr/share/datasets/fashion-mnist")) {
      data::DatasetSpec s;
      s.limit = images;
      test = data::load_dataset(s);
      calib = train::load_calibration_set(s, 256, 0);
    } else {
      test.name = "random";
      test.images = at::randn({images, c.in_chans, c.img_size, c.img_size});
      test.labels = at::randint(0, c.num_classes, {images}, at::kLong);
      test.classes.assign(size_t(c.num_classes), "c");
      calib = data::slice(test, 0, 64);
    }
    // Approximate multipliers generated here: the exact product's LUT forced through the LUT
    // kernel would be detected as exact, so use tables with error (truncated low bits).
    const fs::path lib = fs::temp_directory_path() / "axx_bench_models_lib";
    fs::create_directories(lib);
    std::vector<int32_t> lut(65536);
    for (int a = 0; a < 256; ++a)
      for (int b = 0; b < 256; ++b) lut[size_t(a * 256 + b)] = (int32_t(int8_t(a)) * int32_t(int8_t(b))) & ~int32_t(0xf);
    write_npy_i32(lib / "trunc4_s8.npy", lut, {256, 256});
    for (int a = 0; a < 256; ++a)
      for (int b = 0; b < 256; ++b) lut[size_t(a * 256 + b)] = (a * b) & ~0xf;
    write_npy_i32(lib / "trunc4_u8.npy", lut, {256, 256});
    std::ofstream(lib / "library.json") << R"([{"name": "trunc4_s8", "signed": true, "lut": "trunc4_s8.npy"},
                                               {"name": "trunc4_u8", "signed": false, "lut": "trunc4_u8.npy"}])";
    for (const char* n : {"trunc4_s8", "trunc4_u8"}) {
      std::ofstream(lib / (std::string(n) + ".cfg.json")) << fmt::format(R"({{"version": 1, "library": ".", "default": "{}"}})", n);
    }
    struct Mode {
      std::string name, mode, config;
    };
    const std::vector<Mode> modes = {{"fp32", "fp32", ""},
                                     {"exact8", "exact8", ""},
                                     {"approx_s8_all_layers", "config", (lib / "trunc4_s8.cfg.json").string()},
                                     {"approx_u8_all_layers", "config", (lib / "trunc4_u8.cfg.json").string()}};
    Json out = {{"model", model.empty() ? preset + " (random weights)" : model},
                {"images", test.size()},
                {"batch", batch},
                {"threads", threads},
                {"reps", reps}};
    // One model per mode (same seed or file: same weights), each quantized and calibrated once,
    // then timed round-robin.
    std::vector<const Mode*> run;
    for (const auto& md : modes) {
      if (only.empty() || md.mode == "fp32" || only.find("," + md.name + ",") != std::string::npos) run.push_back(&md);
    }
    std::vector<models::VisionTransformer> nets;
    for (const Mode* md : run) {
      nets.push_back(model.empty() ? models::make_vit(models::find_preset(preset).config, 0) : train::load_model(model, ""));
      train::QuantOptions q;
      q.mode = md->mode;
      q.config = md->config;
      train::quantize_model(nets.back(), q, calib, batch);
      train::evaluate(nets.back(), test, batch, "", false);  // warm-up (weight quantization cached)
    }
    auto cpu_seconds = axx::bench::process_cpu_seconds;
    std::vector<double> best(run.size(), 1e300);
    std::vector<train::Accuracy> acc(run.size());
    for (int r = 0; r < reps; ++r) {
      for (size_t i = 0; i < run.size(); ++i) {
        const double c0 = cpu_seconds();
        acc[i] = train::evaluate(nets[i], test, batch, "", false);
        const double secs = cpu_time ? cpu_seconds() - c0 : acc[i].seconds;
        best[i] = std::min(best[i], secs);
      }
    }
    const double fp32_rate = double(test.size()) / best[0];
    Json results = Json::array();
    for (size_t i = 0; i < run.size(); ++i) {
      const double rate = double(test.size()) / best[i];
      results.push_back({{"mode", run[i]->name}, {"images_per_s", rate}, {"top1", acc[i].top1},
                         {"ratio_to_fp32", rate / fp32_rate}});
    }
    out["timing"] = cpu_time ? "process CPU time" : "wall time";
    out["results"] = results;
    std::cout << out.dump(2) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "bench_models: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
