// transaxx emulation — LUT gradients (arXiv 2509.10519): derivative tables and the gather kernel.
#include "emulation/lut_grad.hpp"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "common/error.hpp"

namespace axx::emu {

namespace {
thread_local GradientMode t_mode = GradientMode::ste;
}  // namespace

const char* gradient_mode_name(GradientMode m) { return m == GradientMode::lut ? "lut" : "ste"; }

GradientMode parse_gradient_mode(const std::string& s, const std::string& what) {
  if (s == "ste") return GradientMode::ste;
  if (s == "lut") return GradientMode::lut;
  throw Error("EMU-090", fmt::format("{}: unknown gradient '{}'; expected 'ste' (straight-through) or 'lut' "
                                     "(the multiplier table's finite differences)",
                                     what, s));
}

GradientMode gradient_mode() { return t_mode; }

GradientModeGuard::GradientModeGuard(GradientMode m) : prev_(t_mode) { t_mode = m; }
GradientModeGuard::~GradientModeGuard() { t_mode = prev_; }

namespace {

// The code value of a byte and the byte of a value (signed: two's complement).
inline int value_of(int byte, bool sgn) { return sgn ? int(int8_t(uint8_t(byte))) : byte; }
inline int byte_of(int value) { return int(uint8_t(value & 0xFF)); }

std::atomic<int> g_window{kDefaultLutGradientWindow};

/// In place: each d[i] (i = value − lo, 256 of them) becomes the mean of d over [i − h, i + h]
/// with h = min(window, i, 255 − i): symmetric, so a constant slope stays exact up to the ends.
void smooth_by_value(std::array<double, 256>& d, int window) {
  if (window <= 0) return;
  std::array<double, 257> prefix{};
  for (int i = 0; i < 256; ++i) prefix[size_t(i + 1)] = prefix[size_t(i)] + d[size_t(i)];
  std::array<double, 256> out{};
  for (int i = 0; i < 256; ++i) {
    const int h = std::min({window, i, 255 - i});
    out[size_t(i)] = (prefix[size_t(i + h + 1)] - prefix[size_t(i - h)]) / double(2 * h + 1);
  }
  d = out;
}

/// d/dv f(v) at every value of the code range (index v − lo): central inside, one-sided at the
/// ends, then averaged over ±window values (smooth_by_value).
template <class F>
std::array<double, 256> derivative_by_value(bool sgn, int window, F f) {
  const int lo = sgn ? -128 : 0, hi = lo + 255;
  std::array<double, 256> d{};
  for (int v = lo; v <= hi; ++v) {
    d[size_t(v - lo)] = v == lo ? f(v + 1) - f(v) : v == hi ? f(v) - f(v - 1) : (f(v + 1) - f(v - 1)) / 2;
  }
  smooth_by_value(d, window);
  return d;
}

at::Tensor make_tables(const Multiplier& mult, int window) {
  const int32_t* lut = mult.table->lut();
  const bool sgn = mult.is_signed;
  const int lo = sgn ? -128 : 0, hi = lo + 255;
  at::Tensor t = at::empty({2, 256, 256}, at::kFloat);
  float* da = t.data_ptr<float>();
  float* dbt = da + 65536;
  auto at_ = [&](int va, int vb) { return double(lut[byte_of(va) * 256 + byte_of(vb)]); };
  // Along each line of the table, by value: Da along a for each b, Db along b for each a.
  for (int vb = lo; vb <= hi; ++vb) {
    const auto line = derivative_by_value(sgn, window, [&](int v) { return at_(v, vb); });
    for (int va = lo; va <= hi; ++va) da[byte_of(va) * 256 + byte_of(vb)] = float(line[size_t(va - lo)]);
  }
  for (int va = lo; va <= hi; ++va) {
    const auto line = derivative_by_value(sgn, window, [&](int v) { return at_(va, v); });
    for (int vb = lo; vb <= hi; ++vb) dbt[byte_of(vb) * 256 + byte_of(va)] = float(line[size_t(vb - lo)]);
  }
  return t;
}

}  // namespace

int lut_gradient_window() { return g_window.load(); }

void set_lut_gradient_window(int window) {
  if (window < 0 || window > kMaxLutGradientWindow) {
    throw UsageError("EMU-091", fmt::format("LUT-gradient smoothing window {}: expected 0 (raw central "
                                            "differences) to {} codes on each side",
                                            window, kMaxLutGradientWindow));
  }
  g_window.store(window);
}

at::Tensor lut_derivative_tables(const Multiplier& mult) {
  static std::mutex mu;
  using Key = std::pair<const PreparedLut*, int>;  // table, smoothing window
  static std::map<Key, std::pair<std::weak_ptr<const PreparedLut>, at::Tensor>> cache[2];
  const int window = lut_gradient_window();
  std::lock_guard<std::mutex> lock(mu);
  auto& c = cache[mult.is_signed ? 1 : 0];
  // Drop the entries of tables that are gone (their address may be reused).
  for (auto it = c.begin(); it != c.end();) it = it->second.first.expired() ? c.erase(it) : std::next(it);
  const Key key{mult.table.get(), window};
  auto it = c.find(key);
  if (it != c.end()) return it->second.second;
  at::Tensor t = make_tables(mult, window);
  c[key] = {mult.table, t};
  return t;
}

at::Tensor compensated_derivative_tables(const at::Tensor& tables, const std::array<int32_t, 256>& t,
                                         bool is_signed) {
  at::Tensor out = tables.clone();
  const int lo = is_signed ? -128 : 0;
  // Dt by value, smoothed like the table's differences.
  const auto dt = derivative_by_value(is_signed, lut_gradient_window(),
                                      [&](int v) { return double(t[size_t(byte_of(v))]); });
  float* dbt = out.data_ptr<float>() + 65536;
  for (int v = lo; v <= lo + 255; ++v) {
    float* row = dbt + byte_of(v) * 256;  // Db(·, b), transposed: one row per b
    for (int a = 0; a < 256; ++a) row[a] = float(double(row[a]) - dt[size_t(v - lo)]);
  }
  return out;
}

std::pair<at::Tensor, at::Tensor> lut_product_grads(const at::Tensor& g_in, const at::Tensor& qa_in, float sa,
                                                    int32_t za, const at::Tensor& qb_in, const at::Tensor& sb_in,
                                                    const at::Tensor& zb_in, const at::Tensor& tables,
                                                    bool want_a, bool want_b) {
  const at::Tensor g = g_in.to(at::kFloat).contiguous();
  const at::Tensor qa = qa_in.contiguous(), qb = qb_in.contiguous();
  const at::Tensor sb = sb_in.to(at::kFloat).contiguous();
  const at::Tensor zb = zb_in.to(at::kInt).contiguous();
  const int64_t Bt = qa.size(0), M = qa.size(1), K = qa.size(2), N = qb.size(1);
  const float* da = tables.data_ptr<float>();
  const float* dbt = da + 65536;
  const float* pg = g.data_ptr<float>();
  const float* psb = sb.data_ptr<float>();
  const int32_t* pzb = zb.data_ptr<int32_t>();
  at::Tensor ga, gb;
  if (want_a) {
    const at::Tensor qbt = qb.transpose(1, 2).contiguous();  // [Bt, K, N]
    const uint8_t* pa = qa.data_ptr<uint8_t>();
    const uint8_t* pbt = qbt.data_ptr<uint8_t>();
    ga = at::empty({Bt, M, K}, at::kFloat);
    float* out = ga.data_ptr<float>();
    const int64_t grain = std::max<int64_t>(1, (int64_t(1) << 16) / std::max<int64_t>(1, N * K));
    at::parallel_for(0, Bt * M, grain, [&](int64_t r0, int64_t r1) {
      std::vector<float> gs(static_cast<size_t>(N));
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t i = r / M;
        const float* gr = pg + r * N;
        float zsum = 0.f;
        for (int64_t n = 0; n < N; ++n) {
          gs[size_t(n)] = gr[n] * psb[n];
          zsum += gs[size_t(n)] * float(pzb[n]);
        }
        const uint8_t* ar = pa + r * K;
        const uint8_t* bi = pbt + i * K * N;
        float* o = out + r * K;
        for (int64_t k = 0; k < K; ++k) {
          const float* drow = da + int64_t(ar[k]) * 256;
          const uint8_t* bk = bi + k * N;
          float s = 0.f;
          for (int64_t n = 0; n < N; ++n) s += gs[size_t(n)] * drow[bk[n]];
          o[k] = s - zsum;
        }
      }
    });
  }
  if (want_b) {
    const at::Tensor qat = qa.transpose(1, 2).contiguous();  // [Bt, K, M]
    const at::Tensor gt = g.transpose(1, 2).contiguous();    // [Bt, N, M]
    const uint8_t* pat = qat.data_ptr<uint8_t>();
    const uint8_t* pb = qb.data_ptr<uint8_t>();
    const float* pgt = gt.data_ptr<float>();
    gb = at::empty({Bt, N, K}, at::kFloat);
    float* out = gb.data_ptr<float>();
    const int64_t grain = std::max<int64_t>(1, (int64_t(1) << 16) / std::max<int64_t>(1, M * K));
    at::parallel_for(0, Bt * N, grain, [&](int64_t r0, int64_t r1) {
      std::vector<float> gs(static_cast<size_t>(M));
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t i = r / N;
        const float* gr = pgt + r * M;
        float gsum = 0.f;
        for (int64_t m = 0; m < M; ++m) {
          gs[size_t(m)] = gr[m] * sa;
          gsum += gs[size_t(m)];
        }
        const float zterm = gsum * float(za);
        const uint8_t* br = pb + r * K;
        const uint8_t* ai = pat + i * K * M;
        float* o = out + r * K;
        for (int64_t k = 0; k < K; ++k) {
          const float* dcol = dbt + int64_t(br[k]) * 256;
          const uint8_t* ak = ai + k * M;
          float s = 0.f;
          for (int64_t m = 0; m < M; ++m) s += gs[size_t(m)] * dcol[ak[m]];
          o[k] = s - zterm;
        }
      }
    });
  }
  return {ga, gb};
}

}  // namespace axx::emu
