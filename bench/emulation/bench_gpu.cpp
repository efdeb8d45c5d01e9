// transaxx bench — the emulator on a GPU (issue 16), one JSON object on stdout.
//
//   bench_gpu [--quick] [--reps R] [--model-batch B] [--model-batches N] [--help]
//
// 1. LUT GEMM on the ViT-B shapes of bench_lut_gemm.cpp (Linear layers with M = batch·197 tokens,
//    attention products batched over batch·12 heads), batch 1 and 64: the CUDA kernels shared16
//    (automatic), global32 and the naive 16×16 tile kernel of TransAxx / TorchApprox, and FP32
//    cuBLAS (at::matmul on CUDA floats, TF32 off) in the same run; lookups per second and ratios,
//    and a bit-exactness check of every kernel against the CPU reference (first item, 64 rows).
// 2. Whole model: images/s of deit_small_patch16_224 (random weights, 224×224 random images) on
//    CUDA in fp32, exact 8-bit and with every layer approximate (a 4-bit-truncated product table).
// Targets (issue 16) are in "targets" with whether this run met them. Without a GPU (or in a
// build without the CUDA kernels or a CUDA LibTorch) it prints {"skipped": true, "reason": ...}
// and exits 0.
#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "emulation/config.hpp"
#include "emulation/device.hpp"
#include "emulation/int_matmul.hpp"
#include "emulation/lut_gemm.hpp"
#include "emulation/models/vit.hpp"
#if defined(AXX_HAVE_CUDA_KERNELS) && defined(AXX_TORCH_HAS_CUDA)
#include <ATen/Context.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/cuda.h>

#include "emulation/cuda/lut_gemm_cuda.hpp"
#define AXX_BENCH_GPU 1
#endif

using namespace axx::emu;
using axx::Json;

namespace {

const char* kUsage =
    "bench_gpu: CUDA LUT GEMM (shared16, global32, naive tile kernel) vs FP32 cuBLAS on ViT-B shapes,\n"
    "and DeiT-S images/s (fp32, exact 8-bit, every layer approximate). JSON on stdout.\n"
    "  --quick            batch 64 shapes only for the Linear layers, 2 repetitions, 2 model batches\n"
    "  --reps R           timed launches per kernel and shape (default 5)\n"
    "  --model-batch B    images per forward in the model rows (default 64)\n"
    "  --model-batches N  timed forwards per model mode (default 4)\n"
    "  --help             this text\n"
    "Without a GPU it prints {\"skipped\": true, \"reason\": ...} and exits 0.\n";

struct Options {
  bool quick = false;
  int reps = 5;
  int64_t model_batch = 64;
  int model_batches = 4;
};

#if defined(AXX_BENCH_GPU)

// An approximate signed multiplier: the exact product with its 4 low bits cleared.
std::shared_ptr<const Multiplier> truncated_multiplier() {
  std::vector<int32_t> v(65536);
  for (int a = 0; a < 256; ++a)
    for (int b = 0; b < 256; ++b) v[size_t(a * 256 + b)] = (int32_t(int8_t(a)) * int32_t(int8_t(b))) & ~15;
  return make_multiplier("trunc4_s8", true, at::from_blob(v.data(), {256, 256}, at::kInt).clone());
}

struct Shape {
  std::string name;
  int64_t M, K, N, batch;
};

std::vector<Shape> vit_b_shapes(int64_t images) {
  const int64_t T = images * 197;
  return {{"attn.proj/fc(768->768)", T, 768, 768, 1},
          {"mlp.fc1(768->3072)", T, 768, 3072, 1},
          {"mlp.fc2(3072->768)", T, 3072, 768, 1},
          {"attn.qk(197x64x197 x12 heads)", 197, 64, 197, 12 * images},
          {"attn.av(197x197x64 x12 heads)", 197, 197, 64, 12 * images}};
}

double seconds_of(const std::function<void()>& f, int reps) {
  f();  // warm-up
  torch::cuda::synchronize();
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) f();
  torch::cuda::synchronize();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
}

Json gemm_rows(const Options& o, Json& targets_met) {
  const auto mult = truncated_multiplier();
  const PreparedLut& table = *mult->table;
  const auto lut = cuda::upload_lut(table.lut(), 0);
  void* stream = c10::cuda::getCurrentCUDAStream(0).stream();
  Json rows = Json::array();
  double worst_t = 1e300, worst_vs_naive = 1e300;
  for (int64_t images : o.quick ? std::vector<int64_t>{64} : std::vector<int64_t>{1, 64}) {
    for (const Shape& s : vit_b_shapes(images)) {
      const at::Tensor a = at::randint(0, 256, {s.batch, s.M, s.K}, at::kByte).cuda();
      const at::Tensor b = at::randint(0, 256, {s.batch, s.N, s.K}, at::kByte).cuda();
      at::Tensor c = at::empty({s.batch, s.M, s.N}, a.options().dtype(at::kInt));
      cuda::GemmArgs g;
      g.batch = s.batch;
      g.M = s.M;
      g.N = s.N;
      g.K = s.K;
      g.A = a.data_ptr<uint8_t>();
      g.lda = s.K;
      g.stride_a = s.M * s.K;
      g.B = b.data_ptr<uint8_t>();
      g.ldb = s.K;
      g.stride_b = s.N * s.K;
      g.C = c.data_ptr<int32_t>();
      g.ldc = s.N;
      g.stride_c = s.M * s.N;
      const double lookups = double(s.batch) * double(s.M) * double(s.N) * double(s.K);
      // The CPU reference on the first item's first 64 rows.
      const int64_t rows_checked = std::min<int64_t>(64, s.M);
      const at::Tensor a0 = a[0].narrow(0, 0, rows_checked).cpu().contiguous(), b0 = b[0].cpu().contiguous();
      std::vector<int32_t> ref(size_t(rows_checked * s.N));
      lut_gemm_reference(rows_checked, s.N, s.K, a0.data_ptr<uint8_t>(), s.K, b0.data_ptr<uint8_t>(), s.K,
                         table.lut(), ref.data(), s.N);
      Json row = {{"shape", s.name}, {"images", images}, {"M", s.M}, {"K", s.K}, {"N", s.N}, {"batch_of", s.batch}};
      double t_auto = 0, t_naive = 0;
      for (CudaKernel k : {CudaKernel::automatic, CudaKernel::global32, CudaKernel::naive}) {
        c.fill_(0x5a5a5a5a);
        const double ms = cuda::time_lut_gemm_ms(g, *lut, stream, k, o.reps);
        const at::Tensor c0 = c[0].narrow(0, 0, rows_checked).cpu().contiguous();
        const bool exact = std::equal(ref.begin(), ref.end(), c0.data_ptr<int32_t>());
        const std::string name = k == CudaKernel::automatic ? to_string(cuda::choose_kernel(*lut)) : to_string(k);
        row["kernels"][name] = {{"ms", ms}, {"tlookups_per_s", lookups / (ms * 1e-3) / 1e12}, {"bit_exact", exact}};
        if (!exact) targets_met["bit_exact"] = false;
        if (k == CudaKernel::automatic) t_auto = ms;
        if (k == CudaKernel::naive) t_naive = ms;
      }
      const at::Tensor af = at::randn({s.batch, s.M, s.K}).cuda(), bf = at::randn({s.batch, s.K, s.N}).cuda();
      const double t_blas = seconds_of([&] { (void)at::matmul(af, bf); }, o.reps) * 1e3;
      row["cublas_fp32"] = {{"ms", t_blas}, {"tflops_equiv", 2 * lookups / (t_blas * 1e-3) / 1e12}};
      row["speedup_vs_naive"] = t_naive / t_auto;
      row["lut_time_vs_cublas_fp32"] = t_auto / t_blas;
      if (images == 64 && s.batch == 1) {  // the Linear shapes at batch 64: the targets' cases
        worst_t = std::min(worst_t, lookups / (t_auto * 1e-3) / 1e12);
        worst_vs_naive = std::min(worst_vs_naive, t_naive / t_auto);
      }
      rows.push_back(row);
    }
  }
  targets_met["tlookups_per_s_linear_batch64_min"] = worst_t;
  targets_met["speedup_vs_naive_linear_batch64_min"] = worst_vs_naive;
  targets_met["lut_gemm_2t_lookups_per_s"] = worst_t >= 2.0;
  targets_met["lut_gemm_5x_naive"] = worst_vs_naive >= 5.0;
  return rows;
}

Json model_rows(const Options& o, Json& targets_met) {
  auto m = axx::models::make_vit(axx::models::find_preset("deit_small_patch16_224").config, 0);
  m->to(at::kCUDA);
  torch::NoGradGuard ng;
  m->eval();
  const at::Tensor images = at::randn({o.model_batch, 3, 224, 224}).cuda();
  Json rows = Json::array();
  const auto approx = truncated_multiplier();
  for (const std::string mode : {"fp32", "exact8", "approximate_all"}) {
    ApproxConfig cfg;
    cfg.default_multiplier = mode == "fp32" ? "fp32" : "exact";
    apply_config(*m, cfg, MultiplierLibrary());
    if (mode != "fp32") {
      begin_calibration(*m);
      m->forward(images);
      end_calibration(*m, cfg.calibration);
      if (mode == "approximate_all") {
        for (auto& [name, l] : approximable_layers(*m)) l->state().mult = approx;
      }
    }
    const double s = seconds_of([&] { (void)m->forward(images); }, o.model_batches);
    const double ips = double(o.model_batch) / s;
    rows.push_back({{"mode", mode}, {"batch", o.model_batch}, {"images_per_s", ips}});
    if (mode == "approximate_all") {
      targets_met["deit_s_approximate_images_per_s"] = ips;
      targets_met["deit_s_approximate_400_images_per_s"] = ips >= 400;
    }
  }
  return rows;
}

#endif

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* what) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench_gpu: %s needs a value\n%s", what, kUsage);
        std::exit(2);
      }
      return std::string(argv[++i]);
    };
    if (a == "--help" || a == "-h") {
      std::printf("%s", kUsage);
      return 0;
    } else if (a == "--quick") {
      o.quick = true;
      o.reps = 2;
      o.model_batches = 2;
    } else if (a == "--reps") {
      o.reps = std::max(1, std::stoi(value("--reps")));
    } else if (a == "--model-batch") {
      o.model_batch = std::max<int64_t>(1, std::stoll(value("--model-batch")));
    } else if (a == "--model-batches") {
      o.model_batches = std::max(1, std::stoi(value("--model-batches")));
    } else {
      std::fprintf(stderr, "bench_gpu: unknown argument '%s'\n%s", a.c_str(), kUsage);
      return 2;
    }
  }
  Json out = {{"bench", "bench_gpu"}};
  if (!cuda_usable()) {
    out["skipped"] = true;
    out["reason"] = cuda_unusable_reason();
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
#if defined(AXX_BENCH_GPU)
  at::globalContext().setAllowTF32CuBLAS(false);  // FP32 means FP32
  const auto info = cuda::device_info(0);
  out["skipped"] = false;
  out["device"] = {{"name", info.name},
                   {"sm_count", info.sm_count},
                   {"compute_capability", std::to_string(info.cc_major) + "." + std::to_string(info.cc_minor)},
                   {"shared_optin_bytes", info.shared_optin_bytes}};
  Json met = {{"bit_exact", true}};
  out["gemm"] = gemm_rows(o, met);
  out["model"] = model_rows(o, met);
  out["targets"] = {{"lut_gemm_tlookups_per_s", 2.0},
                    {"lut_gemm_vs_naive", 5.0},
                    {"deit_s_approximate_images_per_s", 400.0}};
  out["results_vs_targets"] = met;
#endif
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}
