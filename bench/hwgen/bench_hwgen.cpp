// Benchmark of hwgen end to end. For each array size (default 8x8 and 16x16, weight-stationary,
// two modes: exact_s8 and bam_s8_v4, ViT-Tiny schedule) prints, as JSON: seconds to generate,
// lint (-Wall), build and run the Verilator testbench (every tile checked bit-exact, cycles =
// model), synthesize (Yosys + ABC, OSU 0.18 um) and estimate power; the total; Verilator
// simulation speed in MACs per second (tiles' MACs / simulation run time, single thread);
// area, per-mode power and energy per inference.
// Usage: bench_hwgen [--sizes 8,16] [--tiles-per-mode N] [--jobs J] [--dataflow ws|os] [--sim-opt 0..3]
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/json.hpp"
#include "hwgen/verify/hwgen_verify.hpp"
#include "hwgen/generator.hpp"
#include "tests/hwgen/hwgen_test_util.hpp"

namespace fs = std::filesystem;
using namespace axx;

int main(int argc, char** argv) {
  std::vector<int> sizes = {8, 16};
  int tiles_per_mode = 8, jobs = 2, sim_opt = 0;
  std::string dataflow = "ws";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--sizes")) {
      sizes.clear();
      for (char* t = std::strtok(argv[i + 1], ","); t; t = std::strtok(nullptr, ",")) sizes.push_back(std::atoi(t));
    } else if (!std::strcmp(argv[i], "--tiles-per-mode")) {
      tiles_per_mode = std::atoi(argv[i + 1]);
    } else if (!std::strcmp(argv[i], "--sim-opt")) {
      sim_opt = std::atoi(argv[i + 1]);
    } else if (!std::strcmp(argv[i], "--jobs")) {
      jobs = std::atoi(argv[i + 1]);
    } else if (!std::strcmp(argv[i], "--dataflow")) {
      dataflow = argv[i + 1];
    }
  }
  try {
    const fs::path root = fs::temp_directory_path() / ("axx-bench-hwgen-" + std::to_string(::getpid()));
    test::write_test_library(AXX_RTL_DIR, root / "lib", {"exact_s8", "bam_s8_v4"});
    Json out{{"benchmark", "hwgen"},
             {"modes", {"exact_s8", "bam_s8_v4"}},
             {"model", "vit_tiny_patch16_224"},
             {"runs", Json::array()}};
    for (int n : sizes) {
      hwgen::ArrayParams a;
      a.rows = a.cols = n;
      a.dataflow = hwgen::parse_dataflow(dataflow);
      a.stream_depth = 64;
      const Json cfg{{"version", 1},
                     {"default", "exact"},
                     {"layers", {{"blocks.0.mlp.fc1", "bam_s8_v4"}, {"blocks.5.mlp.fc2", "bam_s8_v4"}}}};
      const auto t0 = std::chrono::steady_clock::now();
      const hwgen::DesignSpec spec =
          hwgen::build_spec(cfg, root / "lib", a, hwgen::model_layers("vit_tiny_patch16_224"), "vit_tiny_patch16_224");
      hwgen::GenerateOptions g;
      g.tests_per_mode = tiles_per_mode;
      const hwgen::GeneratedDesign d = hwgen::generate_design(spec, g);
      const fs::path dir = root / fmt::format("{}x{}", n, n);
      hwgen::write_design(d, dir);
      const double gen_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      flows::HwVerifyOptions o;
      o.jobs = jobs;
      o.sim_opt_level = sim_opt;
      const flows::HwVerifyReport r = flows::verify_design(d, dir, o);
      Json run = r.to_json();
      run.erase("simulation");
      run["simulation"] = {{"tiles", r.sim.tiles.size()},
                           {"errors", r.sim.errors},
                           {"cycles_match_model", r.sim.cycles_match},
                           {"utilization", r.sim.utilization},
                           {"model_utilization", r.sim.model_utilization},
                           {"macs", r.sim.macs},
                           {"build_seconds", r.sim.build_seconds},
                           {"run_seconds", r.sim.run_seconds},
                           {"macs_per_second", r.sim.macs_per_second}};
      run["synthesis"].erase("cell_mix");
      run["simulation"]["gxx_opt_level"] = sim_opt;
      run["array"] = {
          {"rows", n}, {"cols", n}, {"dataflow", dataflow}, {"acc_bits", a.acc_bits}, {"stream_depth", a.stream_depth}};
      run["seconds"]["generate"] = gen_s;
      run["seconds"]["end_to_end"] = gen_s + r.seconds.at("total");
      run["inference"] = d.manifest["schedule"]["total"];
      out["runs"].push_back(run);
    }
    fs::remove_all(root);
    std::printf("%s\n", out.dump(2).c_str());
  } catch (const Error& e) {
    std::fprintf(stderr, "bench_hwgen: error %s: %s\n", e.code().c_str(), e.what());
    return 1;
  }
  return 0;
}
