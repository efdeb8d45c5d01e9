#include "characterize/error_metrics.hpp"

#include <cmath>
#include <algorithm>
#include <cstdlib>
#include <vector>

namespace axx::flows {

ErrorMetrics compute_error_metrics(const std::vector<int32_t>& lut, bool is_signed) {
  ErrorMetrics m;
  double sum_abs = 0, sum_sq = 0, sum = 0, sum_rel = 0, max_rel = 0;
  std::vector<long> col_sum(256, 0);  // Σ_a e(a, b), exact in integers
  long max_abs = 0, wrong = 0, nonzero = 0;
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      const long exact = exact_product(a, b, is_signed);
      const long e = static_cast<long>(lut[static_cast<size_t>(a * 256 + b)]) - exact;
      const long ae = std::labs(e);
      sum_abs += static_cast<double>(ae);
      sum_sq += static_cast<double>(e) * static_cast<double>(e);
      sum += static_cast<double>(e);
      col_sum[static_cast<size_t>(b)] += e;
      if (ae > max_abs) max_abs = ae;
      if (e != 0) ++wrong;
      if (exact != 0) {
        const double rel = static_cast<double>(ae) / static_cast<double>(std::labs(exact));
        sum_rel += rel;
        if (rel > max_rel) max_rel = rel;
        ++nonzero;
      }
    }
  }
  const double n = 65536.0;
  m.mae = sum_abs / n;
  m.mae_pct = m.mae / 65536.0 * 100.0;
  m.wce = static_cast<double>(max_abs);
  m.wce_pct = m.wce / 65536.0 * 100.0;
  m.mre_pct = nonzero ? sum_rel / static_cast<double>(nonzero) * 100.0 : 0.0;
  m.wcre_pct = max_rel * 100.0;
  m.ep_pct = static_cast<double>(wrong) / n * 100.0;
  m.mse = sum_sq / n;
  m.mean_error = sum / n;
  m.error_std = std::sqrt(std::max(0.0, m.mse - m.mean_error * m.mean_error));
  double comp = 0;  // Σ_b (Σ_a e(a, b) − 256·t(b))
  for (int b = 0; b < 256; ++b) {
    const long s = col_sum[static_cast<size_t>(b)];
    comp += static_cast<double>(s - 256 * std::llround(static_cast<double>(s) / 256.0));
  }
  m.comp_mean_error = comp / n;
  return m;
}

std::vector<int32_t> lut_from_raw(const std::vector<uint16_t>& raw, bool is_signed) {
  std::vector<int32_t> lut(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    lut[i] = is_signed ? static_cast<int32_t>(static_cast<int16_t>(raw[i])) : static_cast<int32_t>(raw[i]);
  }
  return lut;
}

}  // namespace axx::flows
