// transaxx emulation — control-variate error compensation (Zervakis et al., DAC 2021), the
// contract of docs/architecture.md "Error compensation":
//
//   eps(a, b) = lut[a][b] − exact(a, b);   mu(b) = Σ_a p(a)·eps(a, b)   (p: the layer's operand-A
//   code histogram, normalized);   t(b) = llround(mu(b))   (int32, half away from zero);
//   corr[n] = −Σ_k t(b[k][n]), added to the int32 LUT sum of output column n with wrap-around.
//
// Integer t on purpose: the correction is linear in K, so any tiling or summation order gives
// the same integer. Light header (no LibTorch): hwgen tests and benchmarks call it too.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace axx::emu {

struct Multiplier;

/// Per-layer compensation mode: none (results as without compensation) or mean (control variate).
enum class Compensation { none, mean };

/// "none" / "mean".
const char* to_string(Compensation c);
/// Throws EMU-070 for anything but "none" / "mean", naming `where` (file and field) and the valid values.
Compensation parse_compensation(const std::string& s, const std::string& where);

/// The 256-entry compensation table t(b) of a multiplier for a layer whose operand-A codes have
/// the histogram `hist_a` (counts or probabilities, indexed by the raw 8-bit code; normalized
/// here). lut: 65,536 entries lut[a * 256 + b]; `is_signed` gives exact(a, b). An exact table gives
/// zeros. Throws EMU-071 when the histogram is empty (all zero) or has a negative or non-finite
/// entry.
std::array<int32_t, 256> compensation_table(const int32_t* lut, bool is_signed,
                                            const std::array<double, 256>& hist_a);
std::array<int32_t, 256> compensation_table(const Multiplier& m, const std::array<double, 256>& hist_a);

/// corr[n] = −Σ_k t[b[n * ldb + k]] for n in [0, N): B codes stored N×K (a weight's layout),
/// as the int32 value it adds modulo 2^32 (the int64 sum wrapped).
void compensation_columns(const std::array<int32_t, 256>& t, int64_t N, int64_t K, const uint8_t* b,
                          int64_t ldb, int32_t* corr);

/// c[n] += corr[n] with int32 wrap-around (two's complement, modulo 2^32), n in [0, N).
inline void add_compensation(int32_t* c, int64_t N, const int32_t* corr) {
  for (int64_t n = 0; n < N; ++n) c[n] = int32_t(uint32_t(c[n]) + uint32_t(corr[n]));
}

}  // namespace axx::emu
