// transaxx emulation — AVX-512 VBMI LUT GEMM kernel (compiled with -mavx512vbmi, entered only
// after a CPUID check in lut_gemm.cpp).
//
// Weight-stationary byte permutes. For one weight code w the column lut[·][w] (+ bias, so that
// it is a u16) is split into a low and a high byte plane of 256 bytes = 4 zmm each. 64
// activation codes (64 output rows, packed k-major) index a plane with two merge-masked
// VPERMI2B (128 entries each, chosen by the code's top bit): 4 permutes per 64 products. The
// bytes are summed in 16-bit lanes for at most 256 steps of k (255 · 256 < 2^16, nothing is
// lost), then folded into 32-bit sums:
//   Σ words  = Σ even bytes + 256 Σ odd bytes  (mod 2^16)   -- one VPADDW
//   Σ (w>>8) = Σ odd bytes                                    -- one VPSRLW + VPADDW
// gives both per-row sums exactly. Three 64-row blocks share each loaded table; for long k the
// steps of a column are visited sorted by weight code, so consecutive steps find their planes
// in L1.
// Integer operations only: bit-identical to the reference loop for every table.
//
// Two kernels share the lookup. `avx512` (first below) permutes per column: 4 permutes + 8 ALU
// operations per 64 products, ~20–25 G products/s per core on the 2-core Zen 4, where the
// permutes and the 16-bit accumulation compete for the same vector pipes. `avx512_shared`
// (second) looks every code up once per 64-row block and 8 steps and shares those tiles among all
// columns: 2 loads + 6 ALU per 64 products plus the tile build, ~28–34 G/s per core with ≥ 768
// columns (FP32 OpenBLAS sgemm: ~47–51 G MAC/s per core); the dispatcher gives it the larger
// side of the product as columns. bench/emulation prints the ratios.
#include "emulation/lut_gemm.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VBMI__)
#include <immintrin.h>
// GCC 12 warns inside its own intrinsic headers (_mm512_undefined_* in set/permute helpers).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#define AXX_EMU_HAVE_AVX512 1
#endif

namespace axx::emu::detail {

#ifdef AXX_EMU_HAVE_AVX512

bool avx512_kernel_compiled() { return true; }

namespace {

constexpr int kChunk = 256;  // k steps summed in 16 bits before folding into 32 bits

// One column's steps, each packed as (k << 8 | code), sorted by weight code (counting sort)
// within segments of kSegment steps. Consecutive steps with the same code then find that code's
// two byte planes (512 B) in L1 instead of fetching them from L2 (all 256 codes' planes are
// 128 KiB), and the segments keep the packed activations a segment touches to ~200 KiB (few
// TLB pages) for long k. One entry load per step gives both k and the code.
constexpr int64_t kSegment = 1024;
struct ColumnOrder {
  std::vector<uint32_t> entry;
  void build(const uint8_t* bn, int64_t K) {
    entry.resize(size_t(K));
    for (int64_t s0 = 0; s0 < K; s0 += kSegment) {
      const int64_t s1 = std::min(K, s0 + kSegment);
      uint32_t count[257] = {};
      for (int64_t i = s0; i < s1; ++i) ++count[bn[i] + 1];
      for (int c = 0; c < 256; ++c) count[c + 1] += count[c];
      for (int64_t i = s0; i < s1; ++i) entry[size_t(s0 + count[bn[i]]++)] = uint32_t(i) << 8 | bn[i];
    }
  }
};

// Folds one block's 16-bit sums into its 64 32-bit row sums. Takes the vectors by value so the
// accumulator arrays never have their address taken (they must stay in registers).
inline void fold(__m512i lw, __m512i lo, __m512i hw, __m512i ho, uint32_t* acc) {
  const __m512i low16 = _mm512_set1_epi32(0xffff);
  // 16-bit lanes: even-row sums = (Σwords − 256·Σodd) mod 2^16, odd-row sums = Σodd.
  const __m512i le = _mm512_sub_epi16(lw, _mm512_slli_epi16(lo, 8));
  const __m512i he = _mm512_sub_epi16(hw, _mm512_slli_epi16(ho, 8));
  // Row value = low-plane sum + 256 · high-plane sum, in 16-bit-pair lanes: even rows in the
  // low word of each dword, odd rows in the high word. Split into two dword vectors.
  const __m512i even_lo = _mm512_and_si512(le, low16), even_hi = _mm512_and_si512(he, low16);
  const __m512i odd_lo = _mm512_srli_epi32(lo, 16), odd_hi = _mm512_srli_epi32(ho, 16);
  const __m512i even_lo2 = _mm512_srli_epi32(le, 16), even_hi2 = _mm512_srli_epi32(he, 16);
  const __m512i odd_lo2 = _mm512_and_si512(lo, low16), odd_hi2 = _mm512_and_si512(ho, low16);
  // dword j of the word vectors holds rows 4j (low word, even) / 4j+1 (odd, low word of lo) and
  // rows 4j+2 / 4j+3 in the high words.
  const __m512i r0 = _mm512_add_epi32(even_lo, _mm512_slli_epi32(even_hi, 8));    // rows 4j
  const __m512i r1 = _mm512_add_epi32(odd_lo2, _mm512_slli_epi32(odd_hi2, 8));    // rows 4j+1
  const __m512i r2 = _mm512_add_epi32(even_lo2, _mm512_slli_epi32(even_hi2, 8));  // rows 4j+2
  const __m512i r3 = _mm512_add_epi32(odd_lo, _mm512_slli_epi32(odd_hi, 8));      // rows 4j+3
  // Transpose the four row-phase vectors back into row order (16 rows per output vector).
  const __m512i t01a = _mm512_unpacklo_epi32(r0, r1), t01b = _mm512_unpackhi_epi32(r0, r1);
  const __m512i t23a = _mm512_unpacklo_epi32(r2, r3), t23b = _mm512_unpackhi_epi32(r2, r3);
  // within each 128-bit lane: unpacklo gives (r0[j], r1[j], r0[j+1], r1[j+1]) for j = 2·lane...
  const __m512i q0 = _mm512_unpacklo_epi64(t01a, t23a);  // rows of j = 4l
  const __m512i q1 = _mm512_unpackhi_epi64(t01a, t23a);  // j = 4l + 1
  const __m512i q2 = _mm512_unpacklo_epi64(t01b, t23b);  // j = 4l + 2
  const __m512i q3 = _mm512_unpackhi_epi64(t01b, t23b);  // j = 4l + 3
  // q_i lane l (128 bit) = rows 4(4l+i) .. 4(4l+i)+3. Output vector v covers rows 16v..16v+15,
  // i.e. j = 4v..4v+3 = lane v of q0..q3.
  const __m512i idx_a = _mm512_setr_epi64(0, 1, 8, 9, 2, 3, 10, 11);
  const __m512i idx_b = _mm512_setr_epi64(4, 5, 12, 13, 6, 7, 14, 15);
  const __m512i q01a = _mm512_permutex2var_epi64(q0, idx_a, q1);  // lanes: q0[0] q1[0] q0[1] q1[1]
  const __m512i q01b = _mm512_permutex2var_epi64(q0, idx_b, q1);  // q0[2] q1[2] q0[3] q1[3]
  const __m512i q23a = _mm512_permutex2var_epi64(q2, idx_a, q3);
  const __m512i q23b = _mm512_permutex2var_epi64(q2, idx_b, q3);
  const __m512i sel_lo = _mm512_setr_epi64(0, 1, 2, 3, 8, 9, 10, 11);
  const __m512i sel_hi = _mm512_setr_epi64(4, 5, 6, 7, 12, 13, 14, 15);
  const __m512i v0 = _mm512_permutex2var_epi64(q01a, sel_lo, q23a);  // q0[0] q1[0] q2[0] q3[0]
  const __m512i v1 = _mm512_permutex2var_epi64(q01a, sel_hi, q23a);  // lane 1
  const __m512i v2 = _mm512_permutex2var_epi64(q01b, sel_lo, q23b);
  const __m512i v3 = _mm512_permutex2var_epi64(q01b, sel_hi, q23b);
  const __m512i* in[4] = {&v0, &v1, &v2, &v3};
  for (int v = 0; v < 4; ++v) {
    __m512i a = _mm512_loadu_si512(acc + 16 * v);
    _mm512_storeu_si512(acc + 16 * v, _mm512_add_epi32(a, *in[v]));
  }
}

// The two byte planes (lut[·][code] + bias, low and high bytes) of one weight code.
struct CodePlanes {
  __m512i l0, l1, l2, l3, h0, h1, h2, h3;
};

__attribute__((always_inline)) inline CodePlanes load_planes(const uint8_t* plane_lo, const uint8_t* plane_hi,
                                                             int64_t code) {
  const uint8_t* tl = plane_lo + code * 256;
  const uint8_t* th = plane_hi + code * 256;
  return {_mm512_loadu_si512(tl),       _mm512_loadu_si512(tl + 64), _mm512_loadu_si512(tl + 128),
          _mm512_loadu_si512(tl + 192), _mm512_loadu_si512(th),      _mm512_loadu_si512(th + 64),
          _mm512_loadu_si512(th + 128), _mm512_loadu_si512(th + 192)};
}

// Low (L) and high (H) bytes of lut[a][code] + bias for the 64 activation codes a in idx. A
// 256-entry lookup without a blend: a VPERMI2B merge-masked to the codes < 128 keeps the code
// itself in the other lanes, and a second one, masked to the codes ≥ 128, looks those up in the
// upper half (its index operand is the first one's result).
__attribute__((always_inline)) inline void lookup(const CodePlanes& t, __m512i idx, __m512i& L, __m512i& H) {
  const __mmask64 top = _mm512_movepi8_mask(idx);
  const __mmask64 bottom = _knot_mask64(top);
  L = _mm512_mask2_permutex2var_epi8(t.l2, _mm512_mask2_permutex2var_epi8(t.l0, idx, bottom, t.l1), top, t.l3);
  H = _mm512_mask2_permutex2var_epi8(t.h2, _mm512_mask2_permutex2var_epi8(t.h0, idx, bottom, t.h1), top, t.h3);
}

// Adds one step's looked-up bytes (L, H: 64 rows each) to a block's four 16-bit sums (see the
// top of the file: Σ words and Σ odd bytes of each plane).
__attribute__((always_inline)) inline void add_step(__m512i L, __m512i H, __m512i& lw, __m512i& lo, __m512i& hw,
                                                    __m512i& ho) {
  lw = _mm512_add_epi16(lw, L);
  lo = _mm512_add_epi16(lo, _mm512_srli_epi16(L, 8));
  hw = _mm512_add_epi16(hw, H);
  ho = _mm512_add_epi16(ho, _mm512_srli_epi16(H, 8));
}

// MB blocks of 64 rows share each loaded table. Sorted: the steps come from a ColumnOrder;
// otherwise k = 0..K-1 in order with codes bn[k] (no setup per column: the attention products
// call this for thousands of tiny matrices). Steps run in chunks of kChunk with the fold between
// chunks, so the hot loop has a fixed trip count and no branch on the data (grouping the steps
// by code with a loop per group cost a mispredicted branch every ~3 steps).
template <int MB, bool Sorted>
void run_group(const uint8_t* plane_lo, const uint8_t* plane_hi, int64_t K, const uint8_t* Ap,
               int64_t mb0, const ColumnOrder* order, const uint8_t* bn, uint32_t* acc32) {
  std::memset(acc32, 0, sizeof(uint32_t) * 64 * MB);
  const __m512i zero = _mm512_setzero_si512();
  __m512i lw[MB], lo[MB], hw[MB], ho[MB];
  const uint8_t* base[MB];
  for (int b = 0; b < MB; ++b) base[b] = Ap + (mb0 + b) * K * 64;
  const uint32_t* entry = Sorted ? order->entry.data() : nullptr;
  for (int64_t p0 = 0; p0 < K; p0 += kChunk) {
    const int64_t p1 = std::min<int64_t>(K, p0 + kChunk);
#pragma GCC unroll 8
    for (int b = 0; b < MB; ++b) lw[b] = lo[b] = hw[b] = ho[b] = zero;
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t code = Sorted ? int64_t(entry[p] & 255u) : int64_t(bn[p]);
      const int64_t k = Sorted ? int64_t(entry[p] >> 8) : p;
      const CodePlanes t = load_planes(plane_lo, plane_hi, code);
#pragma GCC unroll 8
      for (int b = 0; b < MB; ++b) {
        __m512i L, H;
        lookup(t, _mm512_loadu_si512(base[b] + k * 64), L, H);
        add_step(L, H, lw[b], lo[b], hw[b], ho[b]);
      }
    }
#pragma GCC unroll 8
    for (int b = 0; b < MB; ++b) fold(lw[b], lo[b], hw[b], ho[b], acc32 + 64 * b);
  }
}

template <bool Sorted>
void run_any(int g, const PreparedLut& lut, int64_t K, const uint8_t* Ap, int64_t mb,
             const ColumnOrder* order, const uint8_t* bn, uint32_t* acc) {
  switch (g) {
    case 3: run_group<3, Sorted>(lut.plane(0), lut.plane(1), K, Ap, mb, order, bn, acc); break;
    case 2: run_group<2, Sorted>(lut.plane(0), lut.plane(1), K, Ap, mb, order, bn, acc); break;
    default: run_group<1, Sorted>(lut.plane(0), lut.plane(1), K, Ap, mb, order, bn, acc); break;
  }
}

}  // namespace

namespace {

// 16×16 int32 transpose in registers: v[i] = row i in, v[j] = column j out.
inline void transpose16(__m512i* v) {
  __m512i t[16], u[16], w[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_epi32(v[2 * i], v[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_epi32(v[2 * i], v[2 * i + 1]);
  }
  for (int i = 0; i < 4; ++i) {
    u[4 * i + 0] = _mm512_unpacklo_epi64(t[4 * i + 0], t[4 * i + 2]);
    u[4 * i + 1] = _mm512_unpackhi_epi64(t[4 * i + 0], t[4 * i + 2]);
    u[4 * i + 2] = _mm512_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
    u[4 * i + 3] = _mm512_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
  }
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 4; ++j) {
      w[8 * i + j] = _mm512_shuffle_i32x4(u[8 * i + j], u[8 * i + 4 + j], 0x88);
      w[8 * i + 4 + j] = _mm512_shuffle_i32x4(u[8 * i + j], u[8 * i + 4 + j], 0xdd);
    }
  }
  for (int j = 0; j < 8; ++j) {
    v[j] = _mm512_shuffle_i32x4(w[j], w[8 + j], 0x88);
    v[8 + j] = _mm512_shuffle_i32x4(w[j], w[8 + j], 0xdd);
  }
}

}  // namespace

void lut_gemm_avx512(const PreparedLut& lut, int64_t M, int64_t n0, int64_t n1, int64_t K,
                     const uint8_t* Ap, const uint8_t* B, int64_t ldb, int32_t* C, int64_t ldc) {
  constexpr int kGroup = 3;  // measured on Zen 4: 3 beats 2 and 4 (4 spills accumulators)
  const int64_t mblocks = (M + 63) / 64;
  const uint32_t bias_total = uint32_t(lut.bias()) * uint32_t(K);  // modulo 2^32, as the sums
  // Columns in chunks of 32, row groups inside a chunk, the chunk's columns innermost: a
  // group's packed activations (3 · K · 64 B) stay in L2 while the chunk's columns pass over
  // them, and A is streamed from L3 once per chunk rather than once per column (measured:
  // M = 1576, K = 3072 went from 11.6 to 20.8 G/s). The chunk's k orders are built once; short
  // k (< 2 steps per code on average) runs in natural order without any (measured: K = 64
  // attention 15 vs 11 GMAC/s), which also spares tiny matrices every allocation.
  constexpr int64_t kCols = 32;
  // Entries pack k in 24 bits; a longer k (never a ViT layer) runs in natural order.
  const bool sorted = K >= 512 && K < (int64_t(1) << 24);
  std::vector<ColumnOrder> orders(sorted ? size_t(std::min(kCols, n1 - n0)) : 0);
  // A group's sums for the chunk's columns gather here, a column each, and leave row by row
  // through 16×16 register transposes: storing each column straight into C wrote one cache
  // line per value, 12 KiB apart for N = 3072, which thrashed L1 sets (M = 1576, K = 768,
  // N = 3072: 20 -> 25 G/s), and a scalar transpose cost a sixth of the time at K = 64.
  constexpr int64_t kRows = 64 * kGroup;
  alignas(64) uint32_t sums[kCols][kRows];
  const __m512i bias = _mm512_set1_epi32(int32_t(bias_total));
  for (int64_t c0 = n0; c0 < n1; c0 += kCols) {
    const int64_t c1 = std::min(n1, c0 + kCols);
    if (sorted) {
      for (int64_t n = c0; n < c1; ++n) orders[size_t(n - c0)].build(B + n * ldb, K);
    }
    for (int64_t mb = 0; mb < mblocks; mb += kGroup) {
      const int g = int(std::min<int64_t>(kGroup, mblocks - mb));
      const int64_t rows = std::min<int64_t>(64 * g, M - mb * 64);
      for (int64_t n = c0; n < c1; ++n) {
        if (sorted) {
          run_any<true>(g, lut, K, Ap, mb, &orders[size_t(n - c0)], nullptr, sums[n - c0]);
        } else {
          run_any<false>(g, lut, K, Ap, mb, nullptr, B + n * ldb, sums[n - c0]);
        }
      }
      for (int64_t r0 = 0; r0 < rows; r0 += 16) {
        const int64_t nr = std::min<int64_t>(16, rows - r0);
        for (int64_t q0 = c0; q0 < c1; q0 += 16) {
          const int nc = int(std::min<int64_t>(16, c1 - q0));
          __m512i v[16];
          for (int i = 0; i < 16; ++i) {
            v[i] = i < nc ? _mm512_sub_epi32(_mm512_load_si512(&sums[q0 - c0 + i][r0]), bias) : _mm512_setzero_si512();
          }
          transpose16(v);
          const __mmask16 cols = __mmask16((1u << nc) - 1u);
          for (int64_t j = 0; j < nr; ++j) _mm512_mask_storeu_epi32(C + (mb * 64 + r0 + j) * ldc + q0, cols, v[j]);
        }
      }
    }
  }
}

// ---- Kernel 2: shared row tiles ----------------------------------------------------------
//
// For a 64-row block and kSteps steps of k, every code's column of the table is looked up once
// for the block's 64 activations (4 permutes per code and step, as above) and stored as a tile:
//   tile[(code * kSteps + j) * 128 + r]      = low byte of  lut[a_r][code] + bias
//   tile[(code * kSteps + j) * 128 + 64 + r] = high byte
// (a code's kSteps entries adjacent: the build then stores sequentially; step-major put its
// eight stores per code 32 KiB apart, in one L1 set, and cost ~10 % more overall).
// Every column then adds tile[j][w_nk] for its kSteps codes: two loads and the same 16-bit
// accumulation (6 ALU operations) per 64 products, no permutes. The tile (256 KiB) is built once
// per block and step group and shared by all the columns of the call, so this wins when N is
// large (Linear layers: N = 768 … 3072); the permute kernel above stays for small N (attention).
// Integer operations only: bit-identical to the reference loop.
namespace {

constexpr int kSteps = int(kSharedSteps);  // tile: 256 KiB, L2-resident (measured: 4 and 16 steps slower)
constexpr size_t kTileBytes = size_t(kSteps) * 256 * 128;

struct alignas(64) Vec64 {
  uint8_t b[64];
};

// Builds the tile of one block for steps k0 .. k0 + kt - 1 (kt ≤ kSteps); ab: the block's packed
// activations (K × 64). Codes outermost, so each code's planes load once for all kt steps.
void build_tile(const PreparedLut& lut, const uint8_t* ab, int64_t k0, int kt, uint8_t* tile) {
  __m512i idx[kSteps];
  for (int j = 0; j < kSteps; ++j) idx[j] = _mm512_loadu_si512(ab + (k0 + std::min(j, kt - 1)) * 64);
  const uint8_t* plo = lut.plane(0);
  const uint8_t* phi = lut.plane(1);
  for (int c = 0; c < 256; ++c) {
    const CodePlanes t = load_planes(plo, phi, c);
#pragma GCC unroll 8
    for (int j = 0; j < kSteps; ++j) {
      __m512i L, H;
      lookup(t, idx[j], L, H);
      uint8_t* e = tile + (size_t(c) * kSteps + size_t(j)) * 128;
      _mm512_store_si512(e, L);
      _mm512_store_si512(e + 64, H);
    }
  }
}

// Adds kt steps of one column (codes bn[0 .. kt)) to its four 16-bit accumulators.
template <int KT>
inline void accumulate(const uint8_t* tile, const uint8_t* bn, int kt, Vec64* acc) {
  __m512i lw = _mm512_load_si512(acc[0].b), lo = _mm512_load_si512(acc[1].b);
  __m512i hw = _mm512_load_si512(acc[2].b), ho = _mm512_load_si512(acc[3].b);
#pragma GCC unroll 8
  for (int j = 0; j < (KT > 0 ? KT : kt); ++j) {
    const uint8_t* e = tile + (size_t(bn[j]) * kSteps + size_t(j)) * 128;
    add_step(_mm512_load_si512(e), _mm512_load_si512(e + 64), lw, lo, hw, ho);
  }
  _mm512_store_si512(acc[0].b, lw);
  _mm512_store_si512(acc[1].b, lo);
  _mm512_store_si512(acc[2].b, hw);
  _mm512_store_si512(acc[3].b, ho);
}

}  // namespace

void lut_gemm_avx512_shared(const PreparedLut& lut, int64_t M, int64_t N, int64_t K, const uint8_t* Ap,
                            const uint8_t* B, int64_t ldb, int32_t* C, int64_t ldc, bool c_transposed,
                            int64_t w0, int64_t w1, const SharedPartial& partial) {
  if (w0 >= w1 || N <= 0) return;
  const int64_t groups = (K + kSteps - 1) / kSteps;
  const uint32_t bias_total = uint32_t(lut.bias()) * uint32_t(K);  // modulo 2^32, as the sums
  // Columns in chunks whose 16-bit accumulators (256 B each) stay in L2 beside the tile; a tile
  // is built once per chunk.
  constexpr int64_t kMaxCols = 2048;
  // Per-thread scratch, reused across calls: the tile, the columns' 16-bit accumulators (4
  // vectors each) and their 32-bit sums (64 per column).
  thread_local std::vector<Vec64> t_tile, t_acc;
  thread_local std::vector<uint32_t> t_sum;
  t_tile.resize(kTileBytes / 64);
  uint8_t* tile = t_tile.front().b;
  for (int64_t blk = w0 / groups; blk * groups < w1; ++blk) {
    const int64_t g0 = std::max(w0, blk * groups) - blk * groups;
    const int64_t g1 = std::min(w1, (blk + 1) * groups) - blk * groups;
    const uint8_t* ab = Ap + blk * K * 64;
    for (int64_t n0 = 0; n0 < N; n0 += kMaxCols) {
      const int64_t cols = std::min(kMaxCols, N - n0);
      t_acc.assign(size_t(cols) * 4, Vec64{});
      t_sum.assign(size_t(cols) * 64, 0u);
      int steps = 0;
      for (int64_t g = g0; g < g1; ++g) {
        const int64_t k0 = g * kSteps;
        const int kt = int(std::min<int64_t>(kSteps, K - k0));
        build_tile(lut, ab, k0, kt, tile);
        for (int64_t n = 0; n < cols; ++n) {
          const uint8_t* bn = B + (n0 + n) * ldb + k0;
          if (kt == kSteps) {
            accumulate<kSteps>(tile, bn, kt, &t_acc[size_t(n) * 4]);
          } else {
            accumulate<0>(tile, bn, kt, &t_acc[size_t(n) * 4]);
          }
        }
        steps += kt;
        if (steps == kChunk || g + 1 == g1) {  // kSteps divides kChunk: at most kChunk steps summed
          for (int64_t n = 0; n < cols; ++n) {
            Vec64* a = &t_acc[size_t(n) * 4];
            fold(_mm512_load_si512(a[0].b), _mm512_load_si512(a[1].b), _mm512_load_si512(a[2].b),
                 _mm512_load_si512(a[3].b), &t_sum[size_t(n) * 64]);
            for (int v = 0; v < 4; ++v) _mm512_store_si512(a[v].b, _mm512_setzero_si512());
          }
          steps = 0;
        }
      }
      if (g0 > 0 || g1 < groups) {
        partial(blk, n0, cols, t_sum.data());
        continue;
      }
      const int64_t rows = std::min<int64_t>(64, M - blk * 64);
      if (c_transposed) {  // C[n][row]: each column's rows are contiguous
        for (int64_t n = 0; n < cols; ++n) {
          int32_t* cn = C + (n0 + n) * ldc + blk * 64;
          const uint32_t* s = &t_sum[size_t(n) * 64];
          for (int64_t r = 0; r < rows; ++r) cn[r] = int32_t(s[r] - bias_total);
        }
      } else {
        for (int64_t r = 0; r < rows; ++r) {
          int32_t* cr = C + (blk * 64 + r) * ldc + n0;
          for (int64_t n = 0; n < cols; ++n) cr[n] = int32_t(t_sum[size_t(n) * 64 + size_t(r)] - bias_total);
        }
      }
    }
  }
}

#else  // built without AVX-512 support: never entered (cpu_supports() reports false)

bool avx512_kernel_compiled() { return false; }
void lut_gemm_avx512(const PreparedLut&, int64_t, int64_t, int64_t, int64_t, const uint8_t*,
                     const uint8_t*, int64_t, int32_t*, int64_t) {}
void lut_gemm_avx512_shared(const PreparedLut&, int64_t, int64_t, int64_t, const uint8_t*, const uint8_t*,
                            int64_t, int32_t*, int64_t, bool, int64_t, int64_t, const SharedPartial&) {}

#endif

}  // namespace axx::emu::detail
