// transaxx — golden LUT-GEMM of the generated array (see golden.hpp).
#include "hwgen/golden.hpp"

#include <cstddef>

namespace axx::hwgen {

int32_t wrap_to_bits(int64_t v, int bits, bool is_signed) {
  const uint64_t mask = bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  uint64_t raw = static_cast<uint64_t>(v) & mask;
  if (is_signed && bits < 64 && ((raw >> (bits - 1)) & 1)) raw |= ~mask;
  return static_cast<int32_t>(static_cast<uint32_t>(raw));
}

std::vector<int32_t> lut_gemm(const std::vector<int32_t>& lut, const std::vector<uint8_t>& a,
                              const std::vector<uint8_t>& w, int m, int k, int n, int acc_bits, bool is_signed) {
  std::vector<int32_t> out(static_cast<std::size_t>(m) * static_cast<std::size_t>(n));
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      // Wrap-around addition in 32 bits, as the emulator's int32 accumulator does.
      uint32_t s = 0;
      for (int t = 0; t < k; ++t) {
        s += static_cast<uint32_t>(lut[static_cast<std::size_t>(a[static_cast<std::size_t>(i) * k + t]) * 256 +
                                       w[static_cast<std::size_t>(t) * n + j]]);
      }
      out[static_cast<std::size_t>(i) * n + j] = wrap_to_bits(static_cast<int32_t>(s), acc_bits, is_signed);
    }
  }
  return out;
}

}  // namespace axx::hwgen
