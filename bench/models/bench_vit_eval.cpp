// bench_models — images/s of ViT evaluation in fp32, exact 8-bit and approximate configs, same run,
// same images; prints JSON. The figure that matters is approx/fp32 (issue target: ≥ 0.5).
//
//   bench_models [--model file.safetensors | --preset vit_fmnist] [--images 1000] [--batch 256]
//                [--threads 2] [--reps 3]
// Without --model a randomly initialized model of the preset is used (speed does not depend on
// the weights). Images: the Fashion-MNIST test set when the preset takes 28×28×1, else random.
#include <ATen/ATen.h>
#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "common/json.hpp"
#include "common/npy.hpp"
#include "emulation/train/engine.hpp"

using namespace axx;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
  std::string model, preset = "vit_fmnist";
  int64_t images = 1000, batch = 256;
  int threads = 2, reps = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--model") model = v;
    else if (k == "--preset") preset = v;
    else if (k == "--images") images = std::stoll(v);
    else if (k == "--batch") batch = std::stoll(v);
    else if (k == "--threads") threads = std::stoi(v);
    else if (k == "--reps") reps = std::stoi(v);
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
    double fp32_rate = 0;
    Json results = Json::array();
    for (const auto& md : modes) {
      train::QuantOptions q;
      q.mode = md.mode;
      q.config = md.config;
      train::quantize_model(m, q, calib, batch);
      double best = 1e300;
      train::Accuracy a;
      train::evaluate(m, test, batch, "", false);  // warm-up (weight quantization cached)
      for (int r = 0; r < reps; ++r) {
        a = train::evaluate(m, test, batch, "", false);
        best = std::min(best, a.seconds);
      }
      const double rate = double(test.size()) / best;
      if (md.mode == "fp32") fp32_rate = rate;
      results.push_back({{"mode", md.name}, {"images_per_s", rate}, {"top1", a.top1},
                         {"ratio_to_fp32", fp32_rate > 0 ? rate / fp32_rate : 0.0}});
    }
    out["results"] = results;
    std::cout << out.dump(2) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "bench_models: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
