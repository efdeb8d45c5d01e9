// bench_compensation — issue 14's table: for every signed built-in multiplier, uniform over all
// layers of the shipped Fashion-MNIST ViT, top-1 on the same test images without and with
// control-variate compensation ("compensation": "mean" in the approximation config, see
// COMPENSATION.md / docs/compensation.md), and for a chosen few after fine-tuning with STE and
// with LUT gradients (arXiv 2509.10519); exact 8-bit on the same images in the same run. Prints JSON
// (and a Markdown table with --markdown FILE).
//
//   bench_compensation [--model examples/models/fmnist_vit.safetensors] [--images 3000]
//       [--multipliers all|m1,m2,...] [--finetune booth_s8_v9,bam_s8_v8,booth_s8_v7|none]
//       [--gradients ste,lut] [--steps 300] [--compensation 1] [--finetune-compensation none|mean]
//       [--calib-images 512] [--threads 2] [--seed 0] [--gradient-window W] [--work DIR]
//       [--markdown FILE]
//
// Tables come from the built-in reference models (multipliers_rtl, bit-exact to the Verilog), in a
// library folder written under --work. Calibration: percentile 99.99 on 512 training images, as the
// demo flow. A column that fails (e.g. compensation in a build without it) holds {"error": ...}.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/fs.hpp"
#include "common/json.hpp"
#include "common/npy.hpp"
#include "emulation/config.hpp"
#include "emulation/lut_grad.hpp"
#include "emulation/train/train.hpp"
#include "multipliers_rtl/catalog.hpp"
#include "multipliers_rtl/reference_models.hpp"

#ifndef AXX_RTL_DIR
#define AXX_RTL_DIR "multipliers_rtl"
#endif

using namespace axx;
using namespace axx::mult;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> v;
  std::stringstream ss(s);
  for (std::string t; std::getline(ss, t, ',');) {
    if (!t.empty()) v.push_back(t);
  }
  return v;
}

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string pct(const Json& j) {
  return j.is_object() && j.contains("top1") ? fmt::format("{:.1f}", 100 * j["top1"].get<double>()) : "-";
}

}  // namespace

int main(int argc, char** argv) {
  std::string model = "examples/models/fmnist_vit.safetensors", mults = "all",
              tune = "booth_s8_v9,bam_s8_v8,booth_s8_v7", gradients = "ste,lut", work = "", markdown,
              tune_comp = "none";
  int64_t images = 3000, steps = 300, calib_images = 512;
  int threads = 2;
  uint64_t seed = 0;
  bool compensation = true;
  const char* usage =
      "usage: bench_compensation [--model FILE] [--images N] [--multipliers all|m1,m2,...]\n"
      "         [--finetune m1,m2,...|none] [--gradients ste,lut] [--steps N] [--compensation 0|1]\n"
      "         [--finetune-compensation none|mean] [--calib-images N] [--threads N] [--seed N]\n"
      "         [--gradient-window W] [--work DIR] [--markdown FILE]\n";
  if (argc % 2 == 0) {  // an option without its value, or --help
    std::cerr << usage;
    return std::string(argv[argc - 1]) == "--help" || std::string(argv[argc - 1]) == "-h" ? 0 : 2;
  }
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--model") model = v;
    else if (k == "--images") images = std::stoll(v);
    else if (k == "--multipliers") mults = v;
    else if (k == "--finetune") tune = v == "none" ? "" : v;
    else if (k == "--gradients") gradients = v;
    else if (k == "--steps") steps = std::stoll(v);
    else if (k == "--compensation") compensation = v != "0";
    else if (k == "--finetune-compensation") tune_comp = v;
    else if (k == "--calib-images") calib_images = std::stoll(v);
    else if (k == "--threads") threads = std::stoi(v);
    else if (k == "--seed") seed = std::stoull(v);
    else if (k == "--work") work = v;
    else if (k == "--markdown") markdown = v;
    else if (k == "--gradient-window") emu::set_lut_gradient_window(std::stoi(v));
    else {
      std::cerr << "bench_compensation: unknown option " << k << "\n" << usage;
      return 2;
    }
  }
  try {
    const auto t_all = std::chrono::steady_clock::now();
    const fs::path dir = work.empty() ? fs::temp_directory_path() / "axx_bench_compensation" : fs::path(work);
    const fs::path lib = dir / "lib";
    fs::create_directories(lib);
    const std::vector<CatalogEntry> catalog = load_catalog(fs::path(AXX_RTL_DIR) / "catalog.csv");
    std::vector<const CatalogEntry*> chosen;
    const std::vector<std::string> wanted = mults == "all" ? std::vector<std::string>{} : split(mults);
    for (const auto& e : catalog) {
      if (!e.is_signed || e.name == "exact_s8") continue;
      if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), e.name) == wanted.end()) continue;
      chosen.push_back(&e);
    }
    const std::vector<std::string> tuned = split(tune), grads = split(gradients);
    Json index = Json::array();
    for (const CatalogEntry* e : chosen) {
      write_npy_i32(lib / (e->name + ".npy"), reference_lut(*e), {256, 256});
      index.push_back({{"name", e->name}, {"family", e->family}, {"signed", true}, {"lut", e->name + ".npy"}});
    }
    write_json_atomic(lib / "library.json", Json{{"multipliers", index}});

    train::EvalOptions base;
    base.model = model;
    base.run.threads = threads;
    base.run.seed = seed;
    base.run.progress = false;
    base.data.limit = images;
    base.quant.calibration = "percentile";
    base.quant.percentile = 99.99;
    base.quant.calib_images = calib_images;
    auto config = [&](const std::string& m, bool comp) {
      Json c = {{"version", 1}, {"library", fs::absolute(lib).string()}, {"default", m}};
      if (comp) c["compensation"] = "mean";  // COMPENSATION.md: the default of every layer
      const fs::path p = dir / fmt::format("{}{}.json", m, comp ? ".comp" : "");
      write_json_atomic(p, c);
      return p.string();
    };
    // A build without compensation ignores the key: say so instead of reporting "none" as "mean".
    auto has_compensation = [&](const std::string& cfg) {
      const Json j = emu::to_json(emu::load_config(cfg));
      return j.contains("compensation") && j["compensation"] == "mean";
    };
    auto eval = [&](const std::string& mode, const std::string& cfg) -> Json {
      if (cfg.find(".comp.json") != std::string::npos && !has_compensation(cfg)) {
        return {{"error", "this build has no error compensation (config key 'compensation')"}};
      }
      train::EvalOptions o = base;
      o.quant.mode = mode;
      o.quant.config = cfg;
      const auto t0 = std::chrono::steady_clock::now();
      try {
        const Json r = train::evaluate_model(o);
        return {{"top1", r["top1"]}, {"seconds", since(t0)}};
      } catch (const Error& err) {
        return {{"error", fmt::format("{} {}", err.code(), err.what())}};
      }
    };
    auto finetune = [&](const std::string& cfg, const std::string& gradient) -> Json {
      if (cfg.find(".comp.json") != std::string::npos && !has_compensation(cfg)) {
        return {{"error", "this build has no error compensation (config key 'compensation')"}};
      }
      train::FinetuneOptions o;
      o.eval = base;
      o.eval.quant.mode = "config";
      o.eval.quant.config = cfg;
      o.train_data = base.data;
      o.train_data.split = "train";
      o.train_data.limit = 0;
      o.max_steps = steps;
      o.gradient = gradient;
      const auto t0 = std::chrono::steady_clock::now();
      try {
        const Json r = train::finetune_model(o);
        return {{"top1", r["after"]["top1"]}, {"before_top1", r["before"]["top1"]}, {"steps", r["steps"]},
                {"seconds", since(t0)}};
      } catch (const Error& err) {
        return {{"error", fmt::format("{} {}", err.code(), err.what())}};
      }
    };

    const Json exact8 = eval("exact8", "");
    std::cerr << fmt::format("exact8: {}\n", pct(exact8));
    Json rows = Json::array();
    for (const CatalogEntry* e : chosen) {
      Json row = {{"multiplier", e->name}};
      row["none"] = eval("config", config(e->name, false));
      if (compensation) row["mean"] = eval("config", config(e->name, true));
      if (std::find(tuned.begin(), tuned.end(), e->name) != tuned.end()) {
        const std::string cfg = config(e->name, tune_comp == "mean");
        for (const auto& g : grads) row["finetune_" + g] = finetune(cfg, g);
      }
      std::cerr << fmt::format("{}: {}\n", e->name, row.dump());
      rows.push_back(row);
    }
    Json out = {{"model", model},
                {"images", images},
                {"calibration", "percentile 99.99"},
                {"calib_images", calib_images},
                {"threads", threads},
                {"finetune_steps", steps},
                {"gradient_window", emu::lut_gradient_window()},
                {"finetune_compensation", tune_comp},
                {"exact8", exact8},
                {"rows", rows},
                {"seconds", since(t_all)}};
    std::cout << out.dump(2) << "\n";
    if (!markdown.empty()) {
      std::string md = fmt::format(
          "| multiplier | top-1 % | with compensation | fine-tuned, STE | fine-tuned, LUT gradients |\n"
          "|---|---|---|---|---|\n| exact 8-bit | {} | | | |\n",
          pct(exact8));
      for (const auto& r : rows) {
        md += fmt::format("| {} | {} | {} | {} | {} |\n", r["multiplier"].get<std::string>(), pct(r.value("none", Json())),
                          pct(r.value("mean", Json())), pct(r.value("finetune_ste", Json())),
                          pct(r.value("finetune_lut", Json())));
      }
      write_file_atomic(markdown, md);
    }
  } catch (const std::exception& e) {
    std::cerr << "bench_compensation: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
