// transaxx bench — LUT GEMM throughput against exact FP32 torch::matmul (OpenBLAS), same run,
// ViT-Base shapes. Prints one JSON object to stdout.
//
//   bench_emulation [--batch B] [--reps R] [--threads T] [--cpu-time] [--quick]
//
// For each shape and multiplier: multiply-accumulates per second of the integer LUT GEMM on
// 8-bit codes (the emulator's inner op), of FP32 matmul on the same M×K×N, their ratio, and a
// bit-exactness check of the LUT result against the reference loop (on a row slice). "layer"
// rows time the whole approximate Linear (quantize + LUT GEMM + dequantize) against at::linear.
// "gemm_cuda" rows (only where this build has the CUDA kernels, LibTorch has CUDA and a device
// exists) time the CUDA LUT GEMM against FP32 cuBLAS (at::matmul on the device), same shapes.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_timing.hpp"
#include "common/json.hpp"
#include "emulation/int_matmul.hpp"
#include "emulation/ops.hpp"
#if defined(AXX_HAVE_CUDA_KERNELS) && defined(AXX_TORCH_HAS_CUDA)
#include <torch/cuda.h>
#define AXX_BENCH_CUDA 1
#endif

using namespace axx::emu;

namespace {

bool g_cpu_time = false;

// Seconds the LUT side runs untimed before each timing, until OpenBLAS's threads stop polling
// (see bench_timing.hpp); 0 for rows whose both sides are BLAS.
constexpr double kSettle = 0.15;

std::pair<double, double> best_of(int reps, const std::function<void()>& a, const std::function<void()>& b,
                                  double settle = 0) {
  return axx::bench::best_of(reps, a, b, g_cpu_time, settle);
}

bool bit_exact(const at::Tensor& a, const at::Tensor& b, const Multiplier& m, const at::Tensor& c) {
  const int64_t rows = std::min<int64_t>(a.size(0), 70);  // crosses a 64-row block edge
  std::vector<int32_t> ref(size_t(rows * b.size(0)));
  lut_gemm_reference(rows, b.size(0), a.size(1), a.data_ptr<uint8_t>(), a.size(1), b.data_ptr<uint8_t>(),
                     b.size(1), m.table->lut(), ref.data(), b.size(0));
  return std::memcmp(ref.data(), c.data_ptr<int32_t>(), ref.size() * sizeof(int32_t)) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  axx::bench::use_passive_openmp(argv);
  int64_t batch = 1;
  int reps = 5;
  int threads = int(std::thread::hardware_concurrency());
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    if (s == "--batch" && i + 1 < argc) batch = std::stoll(argv[++i]);
    else if (s == "--reps" && i + 1 < argc) reps = std::stoi(argv[++i]);
    else if (s == "--threads" && i + 1 < argc) threads = std::stoi(argv[++i]);
    else if (s == "--quick") quick = true;
    else if (s == "--cpu-time") g_cpu_time = true;
    else {
      std::fprintf(stderr, "usage: bench_emulation [--batch B] [--reps R] [--threads T] [--cpu-time] [--quick]\n");
      return 2;
    }
  }
  // LibTorch here starts with one intra-op thread while OpenBLAS uses every core; give the LUT
  // kernels the same cores so the comparison is fair.
  if (threads > 0) at::set_num_threads(threads);
  at::manual_seed(0);
  std::mt19937 rng(1);
  std::vector<int32_t> rv(65536);
  for (auto& v : rv) v = int32_t(rng() % 65536) - 32768;
  const auto random_s8 = make_multiplier("random_s8", true, at::from_blob(rv.data(), {256, 256}, at::kInt).clone());
  const auto exact_s8 = make_exact_multiplier(true);

  struct Shape {
    const char* name;
    int64_t M, K, N, heads;
  };
  const int64_t T = 197 * batch;
  std::vector<Shape> shapes = {{"attn.proj/fc(768->768)", T, 768, 768, 1},
                               {"mlp.fc1(768->3072)", T, 768, 3072, 1},
                               {"mlp.fc2(3072->768)", T, 3072, 768, 1},
                               {"attn.qk(197x64x197 x12 heads)", 197, 64, 197, 12 * batch},
                               {"attn.av(197x197x64 x12 heads)", 197, 197, 64, 12 * batch}};
  if (quick) shapes.resize(1);

  axx::Json out;
  out["bench"] = "emulation.lut_gemm";
  {
    std::FILE* f = std::fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && std::fgets(line, sizeof line, f)) {
      if (std::strncmp(line, "model name", 10) == 0) {
        std::string m = std::strchr(line, ':') ? std::strchr(line, ':') + 2 : line;
        if (!m.empty() && m.back() == '\n') m.pop_back();
        out["cpu"] = m;
        break;
      }
    }
    if (f) std::fclose(f);
  }
  out["threads"] = at::get_num_threads();
  out["batch"] = batch;
  out["timing"] = g_cpu_time ? "process CPU time" : "wall time";
  out["lut_timing"] = "best of --reps rounds x 3 back-to-back calls; in each round the LUT kernel first runs untimed for 0.15 s "
                      "so OpenBLAS's polling threads are idle (as inside an approximate model), FP32 after one untimed call";
  out["avx512_kernel"] = cpu_supports(CpuKernel::avx512);
  // random_s8 stands for every catalog multiplier: the kernels' speed depends on the table only
  // through fits_16bit() (max − min < 2^16), which holds for every multiplier with a 16-bit
  // product (docs/architecture.md "Operands"); exact tables are detected and go through BLAS.
  out["table_independence"] = "LUT kernel speed is the same for every table with max-min < 2^16 (all 8x8->16-bit multipliers)";
  out["results"] = axx::Json::array();

  struct Variant {
    const char* multiplier;
    const Multiplier* m;
    MatmulPath path;
    const char* note;
  };
  const std::vector<Variant> variants = {
      {"random_s8", random_s8.get(), MatmulPath::automatic, "general LUT kernel (any table)"},
      {"exact_s8", exact_s8.get(), MatmulPath::automatic, "exact table: float BLAS, K split"},
  };
  for (const auto& s : shapes) {
    at::Tensor a = at::randint(0, 256, {s.heads, s.M, s.K}, at::kByte);
    at::Tensor b = at::randint(0, 256, {s.heads, s.N, s.K}, at::kByte);
    at::Tensor af = at::randn({s.heads, s.M, s.K}), bf = at::randn({s.heads, s.K, s.N});
    const double macs = double(s.heads) * s.M * s.N * s.K;
    for (const auto& v : variants) {
      at::Tensor c;
      auto run_lut = [&] {
        c = s.heads == 1 ? lut_matmul(a[0], b[0], *v.m, v.path) : lut_bmm(a, b, *v.m, v.path)[s.heads - 1];
      };
      auto run_fp32 = [&] { at::Tensor y = at::matmul(af, bf); };
      const auto [tl, tf] = best_of(reps, run_lut, run_fp32, v.path == MatmulPath::automatic && v.m == random_s8.get() ? kSettle : 0);
      const bool exact = bit_exact(a[s.heads - 1], b[s.heads - 1], *v.m, c);
      out["results"].push_back({{"op", "gemm"},
                                {"shape", s.name},
                                {"M", s.M},
                                {"K", s.K},
                                {"N", s.N},
                                {"batch_of", s.heads},
                                {"multiplier", v.multiplier},
                                {"path", v.note},
                                {"lut_gmacs", macs / tl / 1e9},
                                {"fp32_gmacs", macs / tf / 1e9},
                                {"ratio", tf / tl},
                                {"bit_exact", exact}});
    }
    if (s.heads == 1) {  // whole layer: quantize + GEMM + dequantize vs at::linear
      at::Tensor x = at::randn({s.M, s.K}), w = at::randn({s.N, s.K}) * 0.05, bias = at::randn({s.N});
      const QParams act = qparams_from_range(-4, 4, true);
      const auto qw = quantize_weight(w, true, WeightGranularity::per_channel, "bench");
      for (const auto& v : variants) {
        at::NoGradGuard ng;
        const auto [tl, tf] = best_of(
            reps, [&] { approx_linear(x, w, bias, *v.m, act, WeightGranularity::per_channel, "bench", &qw); },
            [&] { at::linear(x, w, bias); }, v.m == random_s8.get() ? kSettle : 0);
        out["results"].push_back({{"op", "linear_layer"},
                                  {"shape", s.name},
                                  {"M", s.M},
                                  {"K", s.K},
                                  {"N", s.N},
                                  {"multiplier", v.multiplier},
                                  {"lut_gmacs", macs / tl / 1e9},
                                  {"fp32_gmacs", macs / tf / 1e9},
                                  {"ratio", tf / tl}});
      }
    }
  }
#if defined(AXX_BENCH_CUDA)
  if (at::hasCUDA()) {
    auto sync = [] { torch::cuda::synchronize(); };
    for (const auto& s : shapes) {
      const at::Tensor a = at::randint(0, 256, {s.heads, s.M, s.K}, at::kByte).cuda();
      const at::Tensor b = at::randint(0, 256, {s.heads, s.N, s.K}, at::kByte).cuda();
      const at::Tensor af = at::randn({s.heads, s.M, s.K}).cuda(), bf = at::randn({s.heads, s.K, s.N}).cuda();
      const double macs = double(s.heads) * s.M * s.N * s.K;
      at::Tensor c;
      const auto [tl, tf] = best_of(
          reps,
          [&] {
            c = s.heads == 1 ? lut_matmul(a[0], b[0], *random_s8) : lut_bmm(a, b, *random_s8)[s.heads - 1];
            sync();
          },
          [&] {
            at::Tensor y = at::matmul(af, bf);
            sync();
          });
      const at::Tensor ah = a[s.heads - 1].cpu(), bh = b[s.heads - 1].cpu(), ch = c.cpu();
      out["results"].push_back({{"op", "gemm_cuda"},
                                {"shape", s.name},
                                {"M", s.M},
                                {"K", s.K},
                                {"N", s.N},
                                {"batch_of", s.heads},
                                {"multiplier", "random_s8"},
                                {"lut_gmacs", macs / tl / 1e9},
                                {"cublas_fp32_gmacs", macs / tf / 1e9},
                                {"ratio", tf / tl},
                                {"bit_exact", bit_exact(ah, bh, *random_s8, ch)}});
    }
  } else {
    out["cuda"] = "LibTorch has CUDA but no device was found; CUDA rows skipped";
  }
#else
  out["cuda"] = "this build has no CUDA LUT kernels or LibTorch is CPU-only; CUDA rows skipped";
#endif
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}
