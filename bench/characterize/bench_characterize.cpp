// Benchmark of the characterize flow. Prints JSON:
//  - seconds per stage (inspect, synthesis, simulation = RTL and gate level in one verilated
//    model, netlist check, power) for the exact unsigned multiplier, median of N runs;
//  - the same simulation done the usual way in the same run (Verilator's own --build, which
//    recompiles its runtime through make each time), and the ratio;
//  - a library build of the built-in multipliers with -j 2: seconds in total and per multiplier.
// Usage: bench_characterize [--runs N] [--skip-library]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/fs.hpp"
#include "common/json.hpp"
#include "common/subprocess.hpp"
#include "characterize/characterize.hpp"
#include "characterize/library.hpp"

namespace fs = std::filesystem;
using namespace axx;
using namespace axx::flows;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 3;
  bool library = true;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) runs = std::max(1, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--skip-library")) library = false;
  }
  const fs::path dir = fs::temp_directory_path() / ("axx-bench-characterize-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  try {
    CharacterizeOptions o;
    o.design.files = {fs::path(AXX_RTL_DIR) / "exact_u8.v"};
    o.out_dir = dir / "one";
    o.force = true;
    characterize(o);  // warm-up: compiles Verilator's runtime into the cache once
    std::vector<double> inspect, synth, sim, check, power, total, naive;
    for (int r = 0; r < runs; ++r) {
      const CharacterizeResult res = characterize(o);
      inspect.push_back(res.seconds.inspect);
      synth.push_back(res.seconds.synthesis);
      sim.push_back(res.seconds.simulation);
      check.push_back(res.seconds.netlist_check);
      power.push_back(res.seconds.power);
      total.push_back(res.seconds.total);
      // Baseline: the same harness built the usual way, `verilator --cc --exe --build -j 2`.
      const fs::path work = o.out_dir / "work" / "exact_u8";
      const fs::path nb = dir / "naive";
      fs::remove_all(nb);
      const double t0 = now_s();
      const int rc = run_process({"verilator", "--cc", "--exe", "--build", "-j", "2", "--prefix", "Vharness",
                                  "--top-module", "axx_harness", "-Mdir", nb.string(), "-Wno-fatal", "-Wno-lint",
                                  "-Wno-style", "-Wno-UNOPTFLAT", (work / "harness.v").string(),
                                  o.design.files.front().string(), (work / "gate_flat.v").string(),
                                  (work / "verilator" / "sim_main.cpp").string()},
                                 {{}, dir / "naive.log", {}});
      const int rc2 = rc == 0 ? run_process({(nb / "Vharness").string(), (dir / "naive.bin").string()}) : rc;
      if (rc2 != 0) throw Error("BENCH-001", "naive Verilator build failed; see " + (dir / "naive.log").string());
      naive.push_back(now_s() - t0);
    }
    Json out;
    out["benchmark"] = "characterize";
    out["runs"] = runs;
    out["exact_u8_seconds"] = {{"inspect", median(inspect)},   {"synthesis", median(synth)},
                               {"simulation_rtl_and_gate", median(sim)}, {"netlist_check", median(check)},
                               {"power", median(power)},       {"total", median(total)}};
    out["baseline_verilator_build_seconds"] = median(naive);
    out["simulation_speedup_vs_verilator_build"] = median(naive) / std::max(median(sim), 1e-9);
    if (library) {
      LibraryBuildOptions lb;
      lb.out_dir = dir / "lib";
      lb.jobs = 2;
      lb.tech.force = true;
      const double t0 = now_s();
      const LibraryBuildResult res = build_library(lb);
      const double secs = now_s() - t0;
      const size_t n = res.library["multipliers"].size();
      out["library_j2"] = {{"multipliers", n},
                           {"failed", res.failures.size()},
                           {"seconds", secs},
                           {"seconds_per_multiplier", n ? secs / static_cast<double>(n) : 0.0}};
    }
    std::printf("%s\n", out.dump(2).c_str());
  } catch (const Error& e) {
    std::fprintf(stderr, "bench_characterize: error %s: %s\n", e.code().c_str(), e.what());
    fs::remove_all(dir);
    return 1;
  }
  fs::remove_all(dir);
  return 0;
}
