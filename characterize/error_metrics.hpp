// transaxx — error metrics of an 8×8 multiplier's table, with EvoApproxLib's definitions
// (Mrazek et al., "EvoApprox8b: Library of approximate adders and multipliers for circuit design
// and benchmarking of approximation methods", DATE 2017):
//   e = lut[a][b] - a·b over all 65,536 pairs (signed or unsigned operands);
//   MAE% = mean|e| / 2^16 · 100 and WCE% = max|e| / 2^16 · 100 for signed and unsigned alike;
//   MRE% and WCRE% = mean and max of |e| / |a·b| · 100 over pairs with a·b ≠ 0;
//   EP% = share of pairs with e ≠ 0; MSE = mean e²; mean_error = mean e (the bias).
// And for compensation (docs/compensation.md, Zervakis et al., DAC 2021):
//   error_std = the standard deviation of e over the 65,536 pairs, sqrt(MSE − mean_error²);
//   comp_mean_error = the bias left after mean compensation under uniform operands:
//     mean over (a, b) of e(a, b) − t(b), t(b) = llround(mu(b)), mu(b) = mean over a of e(a, b)
//   (|comp_mean_error| ≤ 0.5: what compensation cannot remove is the rounding of t).
#pragma once

#include <cstdint>
#include <vector>

namespace axx::flows {

struct ErrorMetrics {
  double mae = 0, mae_pct = 0, wce = 0, wce_pct = 0, mre_pct = 0, wcre_pct = 0, ep_pct = 0, mse = 0,
         mean_error = 0, error_std = 0, comp_mean_error = 0;
};

/// The exact product of the raw 8-bit patterns a and b.
inline int32_t exact_product(int a, int b, bool is_signed) {
  if (is_signed) return static_cast<int32_t>(static_cast<int8_t>(a)) * static_cast<int8_t>(b);
  return a * b;
}

/// lut: 65,536 values, lut[a*256+b], as stored in the LUT file.
ErrorMetrics compute_error_metrics(const std::vector<int32_t>& lut, bool is_signed);

/// Converts raw 16-bit outputs to the stored value: sign-extended for signed designs.
std::vector<int32_t> lut_from_raw(const std::vector<uint16_t>& raw, bool is_signed);

}  // namespace axx::flows
