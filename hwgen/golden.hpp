// transaxx — the golden model of the generated array: an integer LUT-GEMM.
//
// out[m][n] = Σ_k lut[a[m][k]][w[k][n]], each product the LUT entry for the raw 8-bit patterns
// (row = activation, column = weight; docs/architecture.md LUT contract), summed in two's complement and
// wrapped to the accumulator width the array is generated with. For acc_bits = 32 this is the
// emulator's int32 LUT-GEMM bit for bit; for narrower accumulators it is that sum modulo 2^acc_bits
// (sign-extended back to int32 for signed arrays, zero-extended for unsigned ones).
//
// With control-variate compensation (COMPENSATION.md) the array subtracts, per output column,
// the integer table t of the layer looked up at every weight code of that column:
//   out[m][n] = wrap_acc( Σ_k lut[a[m][k]][w[k][n]] − Σ_k t[w[k][n]] ).
// The correction is linear in K, so K-tiles' partial results add up to the whole layer's.
#pragma once

#include <cstdint>
#include <vector>

namespace axx::hwgen {

/// a: M×K raw activation bytes (row-major), w: K×N raw weight bytes (row-major), lut: 65,536
/// entries lut[a * 256 + b]. Returns M×N sums (row-major). acc_bits in 1..32.
std::vector<int32_t> lut_gemm(const std::vector<int32_t>& lut, const std::vector<uint8_t>& a,
                              const std::vector<uint8_t>& w, int m, int k, int n, int acc_bits, bool is_signed);

/// The compensation table t of COMPENSATION.md: t(b) = llround(Σ_a p(a)·(lut[a][b] − exact(a, b))),
/// p the activation-code histogram `hist_a` (256 counts) normalized to sum 1, exact(a, b) the
/// product of the codes with the multiplier's signedness. An all-zero histogram gives t = 0.
std::vector<int32_t> compensation_table(const std::vector<int32_t>& lut, const std::vector<double>& hist_a,
                                        bool is_signed);

/// Throws "HWG-030" when `t` does not have 256 entries, "HWG-031" when an entry is outside the
/// 17-bit two's complement range the hardware's table holds (-65536..65535).
void check_compensation_table(const std::vector<int32_t>& t);

/// corr[n] = −Σ_k t[w[k][n]] for a K×N weight (B) tile: the value the array's correction
/// register of column n holds after the tile's weights went by (before wrapping).
std::vector<int64_t> compensation_correction(const std::vector<int32_t>& t, const std::vector<uint8_t>& w, int k,
                                             int n);

/// lut_gemm with the correction: out[m][n] = wrap_acc(Σ_k lut[a][w] − Σ_k t[w[k][n]]). An empty `t`
/// is lut_gemm itself; otherwise check_compensation_table applies.
std::vector<int32_t> lut_gemm_compensated(const std::vector<int32_t>& lut, const std::vector<int32_t>& t,
                                          const std::vector<uint8_t>& a, const std::vector<uint8_t>& w, int m, int k,
                                          int n, int acc_bits, bool is_signed);

/// `v` wrapped to `bits` bits: the raw pattern, sign-extended when is_signed.
int32_t wrap_to_bits(int64_t v, int bits, bool is_signed);

}  // namespace axx::hwgen
