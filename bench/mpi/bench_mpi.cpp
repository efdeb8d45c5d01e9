// bench_mpi — wall time of `library build` and `sensitivity` as plain commands and under
// `mpirun -np N --oversubscribe`, plus the terms of the scaling model (docs/mpi.md): time per
// multiplier and per sensitivity row, the fixed start-up of each command, the rank-0 merge
// (a library build with every record up to date) and the cost of launching N ranks.
//
//   bench_mpi [--ranks 2,3] [--mults a,b,c,d] [--rows-layers l1,l2,...] [--images 1000] [--work DIR]
//             [--threads 1]
//
// --mults: the library's multipliers (the first is the exact one; the others are the sensitivity
// table's columns); --images: test images per sensitivity row. The defaults are a quick run whose
// fixed costs (launch, model load, calibration, the two baselines, the merge) weigh heavily; the
// work of a real job (thousands of items) is dominated by the items: measure with more of them,
// e.g. 12 multipliers and 3,000 images (docs/mpi.md).
//
// Needs mpirun (openmpi-bin); as root set OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1.
// On a machine shared with other jobs the times are noisy: rerun on a quiet one.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "common/fs.hpp"
#include "common/json.hpp"
#include "common/subprocess.hpp"

namespace fs = std::filesystem;
using axx::Json;

namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string x; std::getline(ss, x, ',');)
    if (!x.empty()) out.push_back(x);
  return out;
}

/// Seconds the command took; exits when it fails.
double timed(std::vector<std::string> argv, int np, const fs::path& cwd) {
  if (np > 0) {
    std::vector<std::string> m = {"mpirun", "-np", std::to_string(np), "--oversubscribe"};
    argv.insert(argv.begin(), m.begin(), m.end());
  }
  const fs::path log = cwd / "last.log";
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = axx::run_process(argv, {cwd, log});
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (rc != 0) {
    std::fprintf(stderr, "bench_mpi: failed (%d): %s\n%s\n", rc, argv.back().c_str(), axx::read_file(log).c_str());
    std::exit(1);
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> ranks = {2, 3};
  std::vector<std::string> mults = {"exact_s8", "bam_s8_v8", "mitchell_s8_w3", "drum_s8_k4"};
  std::vector<std::string> layers = {"blocks.0.attn.qkv", "blocks.0.mlp.fc1", "blocks.0.mlp.fc2", "head"};
  fs::path work = fs::temp_directory_path() / ("axx-bench-mpi-" + std::to_string(::getpid()));
  std::string threads = "1";
  std::string images = "1000";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--ranks") {
      ranks.clear();
      for (const auto& r : split(v)) ranks.push_back(std::stoi(r));
    } else if (k == "--mults") {
      mults = split(v);
    } else if (k == "--rows-layers") {
      layers = split(v);
    } else if (k == "--work") {
      work = v;
    } else if (k == "--images") {
      images = v;
    } else if (k == "--threads") {
      threads = v;
    } else {
      std::fprintf(stderr, "bench_mpi: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  fs::remove_all(work);
  fs::create_directories(work);
  const std::string exe = AXX_TRANSAXX_EXE;
  const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  Json r = {{"bench", "mpi"}, {"cpus", cpus}, {"note", "wall seconds; rerun on a quiet machine for the targets"}};

  // Launch cost: a trivial command plain and under mpirun.
  Json launch = Json::object();
  launch["plain"] = timed({exe, "--version"}, 0, work);
  for (int np : ranks) launch[std::to_string(np)] = timed({exe, "--version"}, np, work);
  r["launch_s"] = launch;

  // Library build: one multiplier per rank at a time (-j 1), fresh folders.
  auto build = [&](const std::string& out) {
    std::vector<std::string> a = {exe, "library", "build", "--out", out, "--vectors", "10000", "--only"};
    a.insert(a.end(), mults.begin(), mults.end());
    return a;
  };
  Json lib = {{"items", mults.size()}};
  lib["plain_s"] = timed(build("lib_plain"), 0, work);
  lib["merge_s"] = timed(build("lib_plain"), 0, work);  // every record up to date: start-up + index
  Json lw = Json::object();
  for (int np : ranks) lw[std::to_string(np)] = timed(build("lib_np" + std::to_string(np)), np, work);
  lib["mpi_s"] = lw;
  lib["item_s"] = (lib["plain_s"].get<double>() - lib["merge_s"].get<double>()) / double(mults.size());
  Json sp = Json::object();
  for (int np : ranks) sp[std::to_string(np)] = lib["plain_s"].get<double>() / lw[std::to_string(np)].get<double>();
  lib["speedup"] = sp;
  r["library_build"] = lib;

  // Sensitivity: layers x (the approximate multipliers); the fixed part from a one-row run.
  const std::string model = std::string(AXX_SOURCE_DIR) + "/examples/models/fmnist_vit.safetensors";
  std::vector<std::string> approx(mults.begin() + 1, mults.end());
  auto sens = [&](const std::string& out, const std::vector<std::string>& ls, const std::vector<std::string>& ms) {
    std::vector<std::string> a = {exe, "sensitivity", "--model", model, "--library", "lib_plain", "--test-limit", images,
                                  "--calib-images", "128", "--threads", threads, "--no-progress", "--out", out,
                                  "--layers"};
    a.insert(a.end(), ls.begin(), ls.end());
    a.push_back("--multipliers");
    a.insert(a.end(), ms.begin(), ms.end());
    return a;
  };
  const size_t rows = layers.size() * approx.size();
  Json st = {{"items", rows}, {"images", std::stoi(images)}, {"threads_per_rank", std::stoi(threads)}};
  st["plain_s"] = timed(sens("s_plain", layers, approx), 0, work);
  st["one_row_s"] = timed(sens("s_one", {layers.front()}, {approx.front()}), 0, work);
  st["item_s"] = (st["plain_s"].get<double>() - st["one_row_s"].get<double>()) / double(rows - 1);
  st["setup_s"] = st["one_row_s"].get<double>() - st["item_s"].get<double>();
  Json sw = Json::object(), ss = Json::object();
  for (int np : ranks) {
    sw[std::to_string(np)] = timed(sens("s_np" + std::to_string(np), layers, approx), np, work);
    ss[std::to_string(np)] = st["plain_s"].get<double>() / sw[std::to_string(np)].get<double>();
  }
  st["mpi_s"] = sw;
  st["speedup"] = ss;
  r["sensitivity"] = st;
  std::printf("%s\n", r.dump(2).c_str());
  fs::remove_all(work);
  return 0;
}
