// transaxx — the golden model of the generated array: an integer LUT-GEMM.
//
// out[m][n] = Σ_k lut[a[m][k]][w[k][n]], each product the LUT entry for the raw 8-bit patterns
// (row = activation, column = weight; docs/architecture.md LUT contract), summed in two's complement and
// wrapped to the accumulator width the array is generated with. For acc_bits = 32 this is the
// emulator's int32 LUT-GEMM bit for bit; for narrower accumulators it is that sum modulo 2^acc_bits
// (sign-extended back to int32 for signed arrays, zero-extended for unsigned ones).
#pragma once

#include <cstdint>
#include <vector>

namespace axx::hwgen {

/// a: M×K raw activation bytes (row-major), w: K×N raw weight bytes (row-major), lut: 65,536
/// entries lut[a * 256 + b]. Returns M×N sums (row-major). acc_bits in 1..32.
std::vector<int32_t> lut_gemm(const std::vector<int32_t>& lut, const std::vector<uint8_t>& a,
                              const std::vector<uint8_t>& w, int m, int k, int n, int acc_bits, bool is_signed);

/// `v` wrapped to `bits` bits: the raw pattern, sign-extended when is_signed.
int32_t wrap_to_bits(int64_t v, int bits, bool is_signed);

}  // namespace axx::hwgen
