// transaxx bench — whole approximate ops (quantize → LUT GEMM → dequantize) at the shapes of a
// small ViT, against the FP32 op on the same inputs, same run. Prints one JSON object.
//
//   bench_ops [--tokens 50] [--batch 256] [--dim 64] [--heads 4] [--mlp 128] [--reps 5] [--threads 2] [--cpu-time 1]
//
// Defaults are vit_fmnist at batch 256 (T = 50 tokens, D = 64, 4 heads of 16, MLP 128). Where
// bench_emulation measures the GEMM kernel on ViT-Base shapes, this one shows the per-op
// overhead that dominates small models (quantization passes, zero-point terms, per-head setup).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <map>
#include <random>
#include <string>

#include "bench/bench_timing.hpp"
#include "common/json.hpp"
#include "emulation/ops.hpp"

using namespace axx::emu;

namespace {

bool g_cpu_time = false;

std::pair<double, double> best_of(int reps, const std::function<void()>& a, const std::function<void()>& b) {
  return axx::bench::best_of(reps, a, b, g_cpu_time);
}

std::shared_ptr<const Multiplier> truncated(bool is_signed) {
  std::vector<int32_t> lut(65536);
  for (int a = 0; a < 256; ++a)
    for (int b = 0; b < 256; ++b)
      lut[size_t(a * 256 + b)] =
          (is_signed ? int32_t(int8_t(a)) * int32_t(int8_t(b)) : a * b) & ~int32_t(0xf);
  return make_multiplier(is_signed ? "trunc4_s8" : "trunc4_u8", is_signed,
                         at::from_blob(lut.data(), {256, 256}, at::kInt).clone());
}

}  // namespace

int main(int argc, char** argv) {
  int64_t T = 50, batch = 256, D = 64, H = 4, hidden = 128;
  int reps = 5, threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const int64_t v = std::stoll(argv[i + 1]);
    if (k == "--tokens") T = v;
    else if (k == "--batch") batch = v;
    else if (k == "--dim") D = v;
    else if (k == "--heads") H = v;
    else if (k == "--mlp") hidden = v;
    else if (k == "--reps") reps = int(v);
    else if (k == "--threads") threads = int(v);
    else if (k == "--cpu-time") g_cpu_time = v != 0;
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  at::set_num_threads(threads);
  at::manual_seed(0);
  at::NoGradGuard ng;
  const int64_t hd = D / H;
  axx::Json out = {{"bench", "emulation.ops"}, {"tokens", T}, {"batch", batch}, {"dim", D},
                   {"heads", H}, {"mlp", hidden}, {"threads", at::get_num_threads()}};
  out["results"] = axx::Json::array();
  struct Lin {
    const char* name;
    int64_t K, N;
  };
  const std::vector<Lin> lins = {{"qkv", D, 3 * D}, {"proj", D, D}, {"fc1", D, hidden}, {"fc2", hidden, D}};
  double total_fp = 0;
  std::map<std::string, double> total_ax;
  for (bool is_signed : {true, false}) {
    const auto mult = truncated(is_signed);
    const auto exact = make_exact_multiplier(is_signed);
    for (const auto* m : {mult.get(), exact.get()}) {
      for (const auto& l : lins) {
        const at::Tensor x = at::randn({batch, T, l.K}), w = at::randn({l.N, l.K}) * 0.1, b = at::randn({l.N});
        const QParams act = qparams_from_range(-3, 4, is_signed);
        const auto qw = quantize_weight(w, is_signed, WeightGranularity::per_channel, "bench");
        const auto [ta, tf] = best_of(
            reps, [&] { approx_linear(x, w, b, *m, act, WeightGranularity::per_channel, l.name, &qw); },
            [&] { at::linear(x, w, b); });
        if (is_signed && m == mult.get()) total_fp += tf;
        total_ax[m->name] += ta;
        // The integer GEMM alone (codes in, int32 out), to tell kernel time from overhead.
        const at::Tensor qa = quantize(x.reshape({-1, l.K}), act, is_signed, "bench");
        const double tk = best_of(reps, [&] { lut_matmul(qa, qw.codes, *m, MatmulPath::lut); }, [] {}).first;
        out["results"].push_back({{"op", l.name}, {"multiplier", m->name}, {"approx_ms", ta * 1e3},
                                  {"gemm_ms", tk * 1e3}, {"fp32_ms", tf * 1e3}, {"ratio", tf / ta}});
      }
      for (const char* op : {"qk", "av"}) {
        const bool qk = op[1] == 'k';
        const at::Tensor a = qk ? at::randn({batch, H, T, hd}) : at::softmax(at::randn({batch, H, T, T}), -1);
        const at::Tensor bb = qk ? at::randn({batch, H, hd, T}) : at::randn({batch, H, T, hd});
        const QParams qa = qk ? qparams_from_range(-4, 4, is_signed) : qparams_from_range(0, 1, is_signed);
        const QParams qb = qparams_from_range(-4, 4, is_signed);
        const auto [ta, tf] = best_of(reps, [&] { approx_matmul(a, bb, *m, qa, qb, op); },
                                      [&] { at::matmul(a, bb); });
        if (is_signed && m == mult.get()) total_fp += tf;
        total_ax[m->name] += ta;
        const at::Tensor ca = quantize(a, qa, is_signed, "a").reshape({-1, a.size(-2), a.size(-1)});
        const at::Tensor cb = quantize(bb, qb, is_signed, "b").reshape({-1, bb.size(-2), bb.size(-1)}).transpose(1, 2).contiguous();
        const double tk = best_of(reps, [&] { lut_bmm(ca, cb, *m, MatmulPath::lut); }, [] {}).first;
        out["results"].push_back({{"op", op}, {"multiplier", m->name}, {"approx_ms", ta * 1e3},
                                  {"gemm_ms", tk * 1e3}, {"fp32_ms", tf * 1e3}, {"ratio", tf / ta}});
      }
    }
  }
  axx::Json totals = axx::Json::object();
  for (const auto& [name, t] : total_ax) totals[name] = {{"approx_ms", t * 1e3}, {"fp32_ms", total_fp * 1e3}, {"ratio", total_fp / t}};
  out["block_totals"] = totals;
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}
