// transaxx emulation — control-variate compensation tables (see compensation.hpp).
#include "emulation/compensation.hpp"

#include <fmt/format.h>

#include <cmath>

#include "common/error.hpp"
#include "emulation/lut.hpp"

namespace axx::emu {

const char* to_string(Compensation c) { return c == Compensation::mean ? "mean" : "none"; }

Compensation parse_compensation(const std::string& s, const std::string& where) {
  if (s == "none") return Compensation::none;
  if (s == "mean") return Compensation::mean;
  throw Error("EMU-070", fmt::format("{}: compensation '{}' is not a compensation mode; valid: none, mean",
                                     where, s));
}

namespace {

[[noreturn]] void bad_histogram(const char* what) {
  throw Error("EMU-071", fmt::format("compensation: the operand-A histogram {}; recalibrate the model "
                                     "on a non-empty calibration set", what));
}

}  // namespace

std::array<int32_t, 256> compensation_table(const int32_t* lut, bool is_signed,
                                            const std::array<double, 256>& hist_a) {
  double total = 0;
  for (double h : hist_a) {
    if (!(h >= 0) || !std::isfinite(h)) bad_histogram("has a negative or non-finite entry");
    total += h;
  }
  if (!(total > 0)) bad_histogram("is empty");
  std::array<int32_t, 256> t{};
  for (int b = 0; b < 256; ++b) {
    const int vb = is_signed ? int(int8_t(uint8_t(b))) : b;
    double mu = 0;
    for (int a = 0; a < 256; ++a) {
      if (hist_a[size_t(a)] == 0) continue;
      const int va = is_signed ? int(int8_t(uint8_t(a))) : a;
      const int eps = lut[a * 256 + b] - va * vb;
      mu += hist_a[size_t(a)] / total * double(eps);
    }
    t[size_t(b)] = int32_t(std::llround(mu));
  }
  return t;
}

std::array<int32_t, 256> compensation_table(const Multiplier& m, const std::array<double, 256>& hist_a) {
  return compensation_table(m.table->lut(), m.is_signed, hist_a);
}

void compensation_columns(const std::array<int32_t, 256>& t, int64_t N, int64_t K, const uint8_t* b,
                          int64_t ldb, int32_t* corr) {
  for (int64_t n = 0; n < N; ++n) {
    const uint8_t* row = b + n * ldb;
    int64_t s = 0;
    for (int64_t k = 0; k < K; ++k) s += t[row[k]];
    corr[n] = int32_t(uint32_t(uint64_t(-s)));
  }
}

}  // namespace axx::emu
