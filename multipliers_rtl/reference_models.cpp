// transaxx — reference models of the built-in multiplier families (see reference_models.hpp).
//
// Conventions shared by the models:
//  * a is the activation, b the weight; for signed designs both are two's complement.
//  * "Partial product (i, j)" is a_i AND b_j at column i + j, row j: rows are the weight's bits.
//  * Signed array designs use the modified Baugh-Wooley form: the bits with exactly one of i, j
//    equal to 7 are complemented and 2^8 + 2^15 is added; the sum is taken mod 2^16.
//  * Signed designs whose paper describes an unsigned datapath (log, segment, rounding based)
//    run it on the magnitudes |a|, |b| (at most 128, which fits 8 bits) and negate the product
//    when the signs differ: sign-magnitude, with an exact two's-complement absolute value.
#include "multipliers_rtl/reference_models.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

#include "common/error.hpp"

namespace axx::mult {

int64_t Knobs::at(std::string_view name) const {
  for (const auto& [key, value] : params_) {
    if (key == name) return value;
  }
  throw_missing_parameter(name, nullptr);
}

namespace {

/// Position of the leading one (0..31), or -1 for zero: the leading-one detector.
int leading_one(uint32_t x) {
  int t = -1;
  while (x != 0) {
    ++t;
    x >>= 1;
  }
  return t;
}

int bit_of(uint32_t x, int i) { return static_cast<int>((x >> i) & 1u); }

int64_t signed_of(uint8_t v) { return static_cast<int8_t>(v); }

/// Operand value as the design reads it.
int64_t operand(bool is_signed, uint8_t v) { return is_signed ? signed_of(v) : int64_t{v}; }

/// Partial product (i, j) of the unsigned array, or of the modified Baugh-Wooley array.
int pp_bit(bool is_signed, uint8_t a, uint8_t b, int i, int j) {
  int v = bit_of(a, i) & bit_of(b, j);
  if (is_signed && ((i == 7) != (j == 7))) v ^= 1;
  return v;
}

/// The constant of the modified Baugh-Wooley array: 2^8 + 2^15 (mod 2^16).
int64_t bw_constant(bool is_signed) { return is_signed ? (int64_t{1} << 8) + (int64_t{1} << 15) : 0; }

using UnsignedCore = int64_t (*)(const Knobs&, uint32_t x, uint32_t y);

/// Runs an unsigned datapath on magnitudes for signed designs (see the file comment).
int64_t sign_magnitude(UnsignedCore core, const Knobs& k, bool is_signed, uint8_t a, uint8_t b) {
  if (!is_signed) return core(k, a, b);
  const int64_t sa = signed_of(a);
  const int64_t sb = signed_of(b);
  const int64_t p = core(k, static_cast<uint32_t>(std::llabs(sa)), static_cast<uint32_t>(std::llabs(sb)));
  return ((sa < 0) != (sb < 0)) ? -p : p;
}

/// v with its bits below column c cleared, v read as an (infinitely sign-extended) integer.
int64_t clear_below(int64_t v, int c) {
  const int64_t unit = int64_t{1} << c;
  int64_t q = v / unit;
  if (v % unit != 0 && v < 0) --q;  // floor, not truncation toward zero
  return q * unit;
}

// ---------------------------------------------------------------------------------------------
// exact: the baseline, o = a * b.
int64_t model_exact(const Knobs&, bool is_signed, uint8_t a, uint8_t b) {
  return operand(is_signed, a) * operand(is_signed, b);
}

// ---------------------------------------------------------------------------------------------
// bam — H. R. Mahdiani, A. Ahmadi, S. M. Fakhraie, C. Lucas, "Bio-Inspired Imprecise
// Computational Blocks for Efficient VLSI Implementation of Soft-Computing Applications",
// IEEE TCAS-I 57(4), 2010. The broken-array multiplier omits the carry-save cells of the
// partial products left of the vertical break level (columns < VBL) and above the horizontal
// break level (rows < HBL); the remaining partial products are summed exactly.
int64_t model_bam(const Knobs& k, bool is_signed, uint8_t a, uint8_t b) {
  const int64_t vbl = k.at("VBL");
  const int64_t hbl = k.at("HBL");
  int64_t sum = bw_constant(is_signed);
  for (int j = 0; j < 8; ++j) {
    for (int i = 0; i < 8; ++i) {
      if (i + j >= vbl && j >= hbl) sum += int64_t{pp_bit(is_signed, a, b, i, j)} << (i + j);
    }
  }
  return sum;
}

// ---------------------------------------------------------------------------------------------
// etm — K. Y. Kyaw, W. L. Goh, K. S. Yeo, "Low-Power High-Speed Multiplier for Error-Tolerant
// Application", IEEE EDSSC 2010. Each operand is split into an MSB part and an L-bit LSB part.
// If both MSB parts are zero the LSB parts are multiplied exactly. Otherwise the MSB parts are
// multiplied exactly, and the non-multiplication part scans the LSB parts from their top bit
// down: at the first position where either operand has a 1, that product bit and every bit
// below it are set to 1.
int64_t model_etm(const Knobs& k, bool, uint8_t a, uint8_t b) {
  const int l = static_cast<int>(k.at("L"));
  const uint32_t low = (1u << l) - 1;
  const uint32_t ah = a >> l, bh = b >> l, al = a & low, bl = b & low;
  if (ah == 0 && bh == 0) return int64_t{al} * bl;
  const int t = leading_one(al | bl);  // first position, from the top, with a 1 in either
  // LSB product bits l+t .. 0 are all ones (2l bits in all: t <= l-1).
  const int64_t non_mult = t < 0 ? 0 : (int64_t{1} << (l + t + 1)) - 1;
  return (int64_t{ah} * bh << (2 * l)) + non_mult;
}

// ---------------------------------------------------------------------------------------------
// kulkarni — P. Kulkarni, P. Gupta, M. Ercegovac, "Trading Accuracy for Power with an
// Underdesigned Multiplier Architecture", VLSI Design 2011. The 2x2 building block is exact
// except 3 x 3 = 7 (binary 111, three output bits instead of four); larger multipliers add the
// 2x2 sub-products exactly. Viewing a and b as four radix-4 digits each, the sub-product of
// digits p and q has weight 4^(p+q); here blocks with p + q < D are the approximate block.
int64_t model_kulkarni(const Knobs& k, bool, uint8_t a, uint8_t b) {
  const int64_t d = k.at("D");
  int64_t sum = 0;
  for (int p = 0; p < 4; ++p) {
    for (int q = 0; q < 4; ++q) {
      const int64_t x = (a >> (2 * p)) & 3;
      const int64_t y = (b >> (2 * q)) & 3;
      const int64_t block = (p + q < d && x == 3 && y == 3) ? 7 : x * y;
      sum += block << (2 * (p + q));
    }
  }
  return sum;
}

// ---------------------------------------------------------------------------------------------
// mitchell — J. N. Mitchell, "Computer Multiplication and Division Using Binary Logarithms",
// IRE Transactions on Electronic Computers EC-11(4), 1962. log2(2^k (1 + f)) ~ k + f; the
// characteristics and mantissas are added and the sum is decoded with the same piecewise-linear
// antilogarithm: 2^(k1+k2) (1 + f1 + f2) if f1 + f2 < 1, else 2^(k1+k2+1) (f1 + f2). Knob W
// keeps the W leading fraction bits of each logarithm (7: Mitchell's exact 8-bit form); the
// integer result is the antilogarithm rounded down.
int64_t mitchell_core(const Knobs& k, uint32_t x, uint32_t y) {
  if (x == 0 || y == 0) return 0;  // log2(0) does not exist: the zero flag forces 0
  const int w = static_cast<int>(k.at("W"));
  const int k1 = leading_one(x), k2 = leading_one(y);
  // Fractions as 7-bit fixed point: f = F / 128.
  const uint32_t keep = ~((1u << (7 - w)) - 1);
  const uint32_t f1 = ((x - (1u << k1)) << (7 - k1)) & keep;
  const uint32_t f2 = ((y - (1u << k2)) << (7 - k2)) & keep;
  const uint64_t f = f1 + f2;
  const uint64_t antilog_times_128 = f < 128 ? (128 + f) << (k1 + k2) : f << (k1 + k2 + 1);
  return static_cast<int64_t>(antilog_times_128 >> 7);
}
int64_t model_mitchell(const Knobs& k, bool is_signed, uint8_t a, uint8_t b) {
  return sign_magnitude(mitchell_core, k, is_signed, a, b);
}

// ---------------------------------------------------------------------------------------------
// ilm — Z. Babic, A. Avramovic, P. Bulic, "An Iterative Logarithmic Multiplier",
// Microprocessors and Microsystems 35(1), 2011. With x = 2^k1 + r1 and y = 2^k2 + r2,
// x y = 2^(k1+k2) + r1 2^k2 + r2 2^k1 + r1 r2. One basic block computes the first three terms
// (Mitchell's approximation without its antilogarithm case split); every further block applies
// the same step to the residues r1, r2 and adds it (ITER = 2 is the paper's one-correction-term
// design). ITER blocks; the product is exact once a residue is zero.
int64_t ilm_core(const Knobs& k, uint32_t x, uint32_t y) {
  const int64_t blocks = k.at("ITER");
  int64_t p = 0;
  for (int64_t n = 0; n < blocks && x != 0 && y != 0; ++n) {
    const int k1 = leading_one(x), k2 = leading_one(y);
    const uint32_t r1 = x - (1u << k1), r2 = y - (1u << k2);
    p += (int64_t{1} << (k1 + k2)) + (int64_t{r1} << k2) + (int64_t{r2} << k1);
    x = r1;
    y = r2;
  }
  return p;
}
int64_t model_ilm(const Knobs& k, bool is_signed, uint8_t a, uint8_t b) {
  return sign_magnitude(ilm_core, k, is_signed, a, b);
}

// ---------------------------------------------------------------------------------------------
// drum — S. Hashemi, R. I. Bahar, S. Reda, "DRUM: A Dynamic Range Unbiased Multiplier for
// Approximate Applications", ICCAD 2015. A leading-one detector finds each operand's top bit
// t. Operands below 2^K are used as they are; otherwise the K bits from the leading one down
// are kept, the lowest kept bit is forced to 1 (which makes the expected truncation error
// zero), and the K x K product is shifted back by the two truncation amounts.
int64_t drum_core(const Knobs& k, uint32_t x, uint32_t y) {
  const int kk = static_cast<int>(k.at("K"));
  auto segment = [kk](uint32_t v, int& shift) -> uint32_t {
    const int t = leading_one(v);
    if (t < kk) {
      shift = 0;
      return v;
    }
    shift = t - kk + 1;
    return (v >> shift) | 1u;  // unbiasing bit
  };
  int sx = 0, sy = 0;
  const uint32_t mx = segment(x, sx), my = segment(y, sy);
  return int64_t{mx} * my << (sx + sy);
}
int64_t model_drum(const Knobs& k, bool is_signed, uint8_t a, uint8_t b) {
  return sign_magnitude(drum_core, k, is_signed, a, b);
}

// ---------------------------------------------------------------------------------------------
// ssm — S. Narayanamoorthy, H. A. Moghaddam, Z. Liu, T. Park, N. S. Kim, "Energy-Efficient
// Approximate Multiplication for Digital Signal Processing and Classification Applications",
// IEEE TVLSI 23(6), 2015. Static segment method: from each n = 8-bit operand an M-bit segment
// is taken, the low M bits when the top 8 - M bits are all zero, else the top M bits; the
// segments are multiplied exactly and the product is shifted back.
int64_t ssm_core(const Knobs& k, uint32_t x, uint32_t y) {
  const int m = static_cast<int>(k.at("M"));
  auto segment = [m](uint32_t v, int& shift) -> uint32_t {
    shift = (v >> m) == 0 ? 0 : 8 - m;
    return v >> shift;
  };
  int sx = 0, sy = 0;
  const uint32_t mx = segment(x, sx), my = segment(y, sy);
  return int64_t{mx} * my << (sx + sy);
}
int64_t model_ssm(const Knobs& k, bool is_signed, uint8_t a, uint8_t b) {
  return sign_magnitude(ssm_core, k, is_signed, a, b);
}

// ---------------------------------------------------------------------------------------------
// perf — G. Zervakis, K. Tsoumanis, S. Xydis, D. Soudris, K. Pekmestzi, "Design-Efficient
// Approximate Multiplication Circuits Through Partial Product Perforation", IEEE TVLSI 24(10),
// 2016. The K partial products a * b_j * 2^j for j = J .. J+K-1 are not generated; the others
// are accumulated exactly. For signed operands these are the partial products of the
// two's-complement expansion b = -b_7 2^7 + sum b_j 2^j.
int64_t model_perf(const Knobs& k, bool is_signed, uint8_t a, uint8_t b) {
  const int64_t j = k.at("J");
  const int64_t kk = k.at("K");
  int64_t sum = 0;
  for (int row = 0; row < 8; ++row) {
    if (row >= j && row < j + kk) continue;  // perforated
    const int64_t weight = (is_signed && row == 7) ? -(int64_t{1} << 7) : (int64_t{1} << row);
    sum += operand(is_signed, a) * bit_of(b, row) * weight;
  }
  return sum;
}
std::string check_perf(const Knobs& k) {
  if (k.at("J") + k.at("K") > 8) {
    return fmt::format(
        "J + K = {} exceeds 8: the perforated partial products J .. J+K-1 must "
        "be among the 8 rows 0..7",
        k.at("J") + k.at("K"));
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// cmp42 — approximate 4:2 compressor after D. Ha, S. Lee, "Multipliers With Approximate 4-2
// Compressors and Error Recovery Modules", IEEE Embedded Systems Letters 10(1), 2018 (the
// error-recovery module is not used). The compressor drops carry-in and carry-out:
//   carry = x1 x2 + x3 x4,  sum = (x1 xor x2) + (x3 xor x4),
// which is exact except for one 1 in each pair (gives 1 instead of 2) and four ones (gives 2).
// In the first reduction stage every column c < C groups its partial products four at a time,
// in row order (leftovers pass through), and each group goes through the compressor; every
// other bit is accumulated exactly.
int approx_compressor_value(int x1, int x2, int x3, int x4) {
  const int carry = (x1 & x2) | (x3 & x4);
  const int sum = (x1 ^ x2) | (x3 ^ x4);
  return 2 * carry + sum;
}
int64_t model_cmp42(const Knobs& k, bool is_signed, uint8_t a, uint8_t b) {
  const int64_t c_approx = k.at("C");
  int64_t total = bw_constant(is_signed);
  for (int c = 0; c <= 14; ++c) {
    std::vector<int> bits;  // column c, rows ascending
    for (int j = 0; j < 8; ++j) {
      const int i = c - j;
      if (i >= 0 && i < 8) bits.push_back(pp_bit(is_signed, a, b, i, j));
    }
    size_t n = 0;
    if (c < c_approx) {
      for (; n + 4 <= bits.size(); n += 4) {
        total += int64_t{approx_compressor_value(bits[n], bits[n + 1], bits[n + 2], bits[n + 3])} << c;
      }
    }
    for (; n < bits.size(); ++n) total += int64_t{bits[n]} << c;
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// roba — R. Zendegani, M. Kamal, M. Bahadori, A. Afzali-Kusha, M. Pedram, "RoBA Multiplier: A
// Rounding-Based Approximate Multiplier for High-Speed yet Energy-Efficient Digital Signal
// Processing", IEEE TVLSI 25(2), 2017. Each operand is rounded to the nearest power of two
// (for the ties 3 * 2^(p-2) the larger one, 2^p); then
//   a b ~ ar b + br a - ar br,
// which needs only shifts and adds, and drops the term (a - ar)(b - br).
uint32_t round_to_power_of_two(uint32_t x) {
  if (x == 0) return 0;
  const int t = leading_one(x);
  // x in [2^t, 2^(t+1)): nearest is 2^(t+1) when x >= 1.5 * 2^t (ties up).
  return 2 * x >= 3u << t ? 2u << t : 1u << t;
}
int64_t roba_core(const Knobs&, uint32_t x, uint32_t y) {
  const int64_t xr = round_to_power_of_two(x), yr = round_to_power_of_two(y);
  return xr * y + yr * x - xr * yr;
}
int64_t model_roba(const Knobs& k, bool is_signed, uint8_t a, uint8_t b) {
  return sign_magnitude(roba_core, k, is_signed, a, b);
}

// ---------------------------------------------------------------------------------------------
// booth — broken-Booth multiplier, F. Farshchi, M. S. Abrishami, S. M. Fakhraie, "New
// Approximate Multiplier for Low Power Digital Signal Processing", CADS 2013. Radix-4 modified
// Booth: the weight is recoded into digits d_j = -2 b_(2j+1) + b_(2j) + b_(2j-1) in {-2..2}
// (b_(-1) = 0), partial product j is |d_j| a, inverted when d_j < 0 with a 1 (the negation bit)
// added at column 2j. The broken version removes every partial-product bit, negation bits
// included, in the columns below VBL. Signed only (see booth.v).
int64_t model_booth(const Knobs& k, bool is_signed, uint8_t a, uint8_t b) {
  const int vbl = static_cast<int>(k.at("VBL"));
  const int64_t x = operand(is_signed, a);
  // The weight's value in two's complement is the sum of d_j 4^j over four digits (an unsigned
  // weight, zero-extended, would need a fifth: bits 8, 9 read as 0).
  const int digits = is_signed ? 4 : 5;
  int64_t sum = 0;
  for (int j = 0; j < digits; ++j) {
    const int b_hi = bit_of(b, 2 * j + 1);
    const int b_mid = bit_of(b, 2 * j);
    const int b_lo = j == 0 ? 0 : bit_of(b, 2 * j - 1);
    const int d = -2 * b_hi + b_mid + b_lo;
    const bool negate = d < 0;
    const int64_t multiple = std::abs(d) * x;
    const int64_t row = negate ? ~multiple : multiple;  // ~m = -m - 1: one's complement
    sum += clear_below(row * (int64_t{1} << (2 * j)), vbl);
    if (negate && 2 * j >= vbl) sum += int64_t{1} << (2 * j);
  }
  return sum;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
const std::vector<FamilySpec>& family_table() {
  static const std::vector<FamilySpec> table = {
      {"exact",
       "exact multiplier",
       "baseline (a * b)",
       {"exact_u8.v", "exact_u8"},
       {"exact_s8.v", "exact_s8"},
       {},
       model_exact,
       nullptr},
      {"bam",
       "broken-array multiplier",
       "H. R. Mahdiani, A. Ahmadi, S. M. Fakhraie, C. Lucas, \"Bio-Inspired Imprecise "
       "Computational Blocks for Efficient VLSI Implementation of Soft-Computing Applications\", "
       "IEEE TCAS-I, 2010",
       {"bam.v", "bam_u8"},
       {"bam.v", "bam_s8"},
       {{"VBL", 0, 15, "vertical break level; partial-product columns below it are removed (columns)"},
        {"HBL", 0, 7, "horizontal break level; partial-product rows (weight bits) below it are removed (rows)"}},
       model_bam,
       nullptr},
      {"etm",
       "error-tolerant multiplier",
       "K. Y. Kyaw, W. L. Goh, K. S. Yeo, \"Low-Power High-Speed Multiplier for Error-Tolerant "
       "Application\", IEEE EDSSC, 2010",
       {"etm.v", "etm_u8"},
       {},
       {{"L", 1, 4, "width of the non-multiplication (LSB) part of each operand (bits)"}},
       model_etm,
       nullptr},
      {"kulkarni",
       "underdesigned 2x2-block multiplier",
       "P. Kulkarni, P. Gupta, M. Ercegovac, \"Trading Accuracy for Power with an Underdesigned "
       "Multiplier Architecture\", VLSI Design, 2011",
       {"kulkarni.v", "kulkarni_u8"},
       {},
       {{"D", 0, 7, "2x2 blocks of digit weight p+q < D are approximate (0: none, 7: all 16)"}},
       model_kulkarni,
       nullptr},
      {"mitchell",
       "Mitchell logarithmic multiplier",
       "J. N. Mitchell, \"Computer Multiplication and Division Using Binary Logarithms\", IRE "
       "Transactions on Electronic Computers, 1962",
       {"mitchell.v", "mitchell_u8"},
       {"mitchell.v", "mitchell_s8"},
       {{"W", 1, 7, "fraction bits of each logarithm kept (bits; 7: no truncation)"}},
       model_mitchell,
       nullptr},
      {"ilm",
       "iterative logarithmic multiplier",
       "Z. Babic, A. Avramovic, P. Bulic, \"An Iterative Logarithmic Multiplier\", "
       "Microprocessors and Microsystems, 2011",
       {"ilm.v", "ilm_u8"},
       {"ilm.v", "ilm_s8"},
       {{"ITER", 1, 8, "number of basic blocks; 1 is the one-stage approximation, each more corrects the residue"}},
       model_ilm,
       nullptr},
      {"drum",
       "dynamic-range unbiased multiplier",
       "S. Hashemi, R. I. Bahar, S. Reda, \"DRUM: A Dynamic Range Unbiased Multiplier for "
       "Approximate Applications\", ICCAD, 2015",
       {"drum.v", "drum_u8"},
       {"drum.v", "drum_s8"},
       {{"K", 3, 8, "segment width kept from the leading one (bits; 8: exact)"}},
       model_drum,
       nullptr},
      {"ssm",
       "static segment multiplier",
       "S. Narayanamoorthy, H. A. Moghaddam, Z. Liu, T. Park, N. S. Kim, \"Energy-Efficient "
       "Approximate Multiplication for Digital Signal Processing and Classification "
       "Applications\", IEEE TVLSI, 2015",
       {"ssm.v", "ssm_u8"},
       {"ssm.v", "ssm_s8"},
       {{"M", 4, 8, "segment width (bits; 8: exact)"}},
       model_ssm,
       nullptr},
      {"perf",
       "partial-product perforation",
       "G. Zervakis, K. Tsoumanis, S. Xydis, D. Soudris, K. Pekmestzi, \"Design-Efficient "
       "Approximate Multiplication Circuits Through Partial Product Perforation\", IEEE TVLSI, "
       "2016",
       {"perf.v", "perf_u8"},
       {"perf.v", "perf_s8"},
       {{"J", 0, 7, "first perforated partial product (weight bit)"},
        {"K", 1, 8, "number of consecutive perforated partial products (J + K <= 8)"}},
       model_perf,
       check_perf},
      {"cmp42",
       "approximate 4:2 compressor multiplier",
       "D. Ha, S. Lee, \"Multipliers With Approximate 4-2 Compressors and Error Recovery "
       "Modules\", IEEE Embedded Systems Letters, 2018",
       {"cmp42.v", "cmp42_u8"},
       {"cmp42.v", "cmp42_s8"},
       {{"C", 0, 12,
         "columns 0..C-1 of the first reduction stage use approximate compressors (columns; <= 3 is exact)"}},
       model_cmp42,
       nullptr},
      {"roba",
       "rounding-based approximate multiplier",
       "R. Zendegani, M. Kamal, M. Bahadori, A. Afzali-Kusha, M. Pedram, \"RoBA Multiplier: A "
       "Rounding-Based Approximate Multiplier for High-Speed yet Energy-Efficient Digital Signal "
       "Processing\", IEEE TVLSI, 2017",
       {"roba.v", "roba_u8"},
       {"roba.v", "roba_s8"},
       {},
       model_roba,
       nullptr},
      {"booth",
       "broken-Booth multiplier (radix-4)",
       "F. Farshchi, M. S. Abrishami, S. M. Fakhraie, \"New Approximate Multiplier for Low Power "
       "Digital Signal Processing\", CADS, 2013",
       {},
       {"booth.v", "booth_s8"},
       {{"VBL", 0, 15, "partial-product bits (negation bits included) of columns below it are removed (columns)"}},
       model_booth,
       nullptr},
  };
  return table;
}

const FamilySpec* find_family(std::string_view name) {
  for (const auto& f : family_table()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

namespace {

int32_t to_output(int64_t value, bool is_signed) {
  // o is 16 bits wide: the family arithmetic is taken mod 2^16, as the hardware does.
  const auto o = static_cast<uint16_t>(static_cast<uint64_t>(value) & 0xFFFFu);
  return is_signed ? int32_t{static_cast<int16_t>(o)} : int32_t{o};
}

}  // namespace

int32_t reference_product(const CatalogEntry& e, uint8_t a, uint8_t b) {
  const FamilySpec& f = family_or_throw(e.family);
  return to_output(f.model(Knobs(e.params), e.is_signed, a, b), e.is_signed);
}

std::vector<int32_t> reference_lut(const CatalogEntry& e) {
  validate_params(e.family, e.params);
  const FamilySpec& f = family_or_throw(e.family);
  const Knobs knobs(e.params);
  std::vector<int32_t> lut(256 * 256);
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      lut[a * 256 + b] =
          to_output(f.model(knobs, e.is_signed, static_cast<uint8_t>(a), static_cast<uint8_t>(b)), e.is_signed);
    }
  }
  return lut;
}

ErrorSummary summarize_error(const std::vector<int32_t>& lut, bool is_signed) {
  if (lut.size() != 256 * 256) {
    throw Error("CAT-019", fmt::format("a LUT has 65536 entries (256 x 256); got {}", lut.size()));
  }
  ErrorSummary s;
  double abs_sum = 0, signed_sum = 0;
  int64_t wrong = 0;
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      const int64_t exact = operand(is_signed, static_cast<uint8_t>(a)) * operand(is_signed, static_cast<uint8_t>(b));
      const int64_t err = int64_t{lut[a * 256 + b]} - exact;
      abs_sum += static_cast<double>(std::llabs(err));
      signed_sum += static_cast<double>(err);
      s.wce = std::max<int64_t>(s.wce, std::llabs(err));
      wrong += err != 0;
    }
  }
  constexpr double kPairs = 65536.0;
  s.mae = abs_sum / kPairs;
  s.mae_pct = s.mae / 65536.0 * 100.0;
  s.wce_pct = static_cast<double>(s.wce) / 65536.0 * 100.0;
  s.mean_error = signed_sum / kPairs;
  s.ep_pct = static_cast<double>(wrong) / kPairs * 100.0;
  return s;
}

}  // namespace axx::mult
