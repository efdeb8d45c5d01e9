// transaxx — golden LUT-GEMM of the generated array (see golden.hpp).
#include "hwgen/golden.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstddef>

#include "common/error.hpp"

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

std::vector<int32_t> compensation_table(const std::vector<int32_t>& lut, const std::vector<double>& hist_a,
                                        bool is_signed) {
  double total = 0;
  for (size_t a = 0; a < 256 && a < hist_a.size(); ++a) total += hist_a[a];
  std::vector<int32_t> t(256, 0);
  if (!(total > 0)) return t;
  std::vector<double> p(256, 0.0);
  for (size_t a = 0; a < 256 && a < hist_a.size(); ++a) p[a] = hist_a[a] / total;
  for (int b = 0; b < 256; ++b) {
    double mu = 0;
    for (int a = 0; a < 256; ++a) {
      const int64_t exact = is_signed ? int64_t{static_cast<int8_t>(a)} * static_cast<int8_t>(b) : int64_t{a} * b;
      mu += p[static_cast<size_t>(a)] * static_cast<double>(lut[static_cast<size_t>(a) * 256 + b] - exact);
    }
    t[static_cast<size_t>(b)] = static_cast<int32_t>(std::llround(mu));
  }
  return t;
}

void check_compensation_table(const std::vector<int32_t>& t) {
  if (t.size() != 256) {
    throw Error("HWG-030", fmt::format("compensation table of {} entries: it must hold one entry per weight code "
                                       "(256)",
                                       t.size()));
  }
  for (size_t b = 0; b < t.size(); ++b) {
    if (t[b] < -65536 || t[b] > 65535) {
      throw Error("HWG-031", fmt::format("compensation table entry t[{}] = {} is outside -65536..65535, the 17-bit "
                                         "range the array's table holds; a table computed from an 8x8 -> 16-bit "
                                         "multiplier's errors always fits",
                                         b, t[b]));
    }
  }
}

std::vector<int64_t> compensation_correction(const std::vector<int32_t>& t, const std::vector<uint8_t>& w, int k,
                                             int n) {
  std::vector<int64_t> corr(static_cast<size_t>(n), 0);
  for (int i = 0; i < k; ++i)
    for (int j = 0; j < n; ++j) corr[static_cast<size_t>(j)] -= t[w[static_cast<size_t>(i) * n + j]];
  return corr;
}

std::vector<int32_t> lut_gemm_compensated(const std::vector<int32_t>& lut, const std::vector<int32_t>& t,
                                          const std::vector<uint8_t>& a, const std::vector<uint8_t>& w, int m, int k,
                                          int n, int acc_bits, bool is_signed) {
  if (t.empty()) return lut_gemm(lut, a, w, m, k, n, acc_bits, is_signed);
  check_compensation_table(t);
  // The raw int32 sums (wrapping), then the correction, then the accumulator's width.
  const std::vector<int32_t> raw = lut_gemm(lut, a, w, m, k, n, 32, is_signed);
  const std::vector<int64_t> corr = compensation_correction(t, w, k, n);
  std::vector<int32_t> out(raw.size());
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      const size_t o = static_cast<size_t>(i) * n + j;
      const uint32_t s = static_cast<uint32_t>(raw[o]) + static_cast<uint32_t>(corr[static_cast<size_t>(j)]);
      out[o] = wrap_to_bits(static_cast<int32_t>(s), acc_bits, is_signed);
    }
  }
  return out;
}

}  // namespace axx::hwgen
