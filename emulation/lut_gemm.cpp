// transaxx emulation — LUT GEMM: table preparation, the reference loop, the portable
// weight-stationary kernel and the multi-threaded CPU dispatcher.
#include "emulation/lut_gemm.hpp"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <mutex>
#include <utility>
#include <vector>

#include "common/error.hpp"

namespace axx::emu {

const char* to_string(CpuKernel k) {
  switch (k) {
    case CpuKernel::automatic: return "automatic";
    case CpuKernel::reference: return "reference";
    case CpuKernel::portable: return "portable";
    case CpuKernel::avx512: return "avx512";
    case CpuKernel::avx512_shared: return "avx512_shared";
  }
  return "?";
}

bool cpu_supports(CpuKernel k) {
  if (k != CpuKernel::avx512 && k != CpuKernel::avx512_shared) return true;
#if defined(AXX_EMU_X86) && (defined(__GNUC__) || defined(__clang__))
  if (!detail::avx512_kernel_compiled()) return false;
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vbmi");
#else
  return false;
#endif
}

bool avx512_kernels_apply(const PreparedLut& lut) {
  return lut.fits_16bit() && cpu_supports(CpuKernel::avx512);
}

PreparedLut::PreparedLut(const int32_t* lut) : PreparedLut(lut, true) {}

PreparedLut::PreparedLut(const int32_t* lut, bool with_swapped) : lut_(lut, lut + 65536), lut_t_(65536) {
  int64_t lo = std::numeric_limits<int64_t>::max(), hi = std::numeric_limits<int64_t>::min();
  exact_signed_ = exact_unsigned_ = true;
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      const int32_t v = lut_[a * 256 + b];
      lut_t_[b * 256 + a] = v;
      lo = std::min<int64_t>(lo, v);
      hi = std::max<int64_t>(hi, v);
      exact_signed_ = exact_signed_ && v == int32_t(int8_t(a)) * int32_t(int8_t(b));
      exact_unsigned_ = exact_unsigned_ && v == a * b;
    }
  }
  fits16_ = hi - lo < 65536;
  if (fits16_) {
    bias_ = int32_t(-lo);
    for (int p = 0; p < 2; ++p) planes_[p].resize(65536);
    for (int i = 0; i < 65536; ++i) {
      const uint32_t u = uint32_t(lut_t_[i] + bias_);
      planes_[0][i] = uint8_t(u & 0xff);
      planes_[1][i] = uint8_t(u >> 8);
    }
  }
  if (with_swapped) swapped_.reset(new PreparedLut(lut_t_.data(), false));
}

std::shared_ptr<const void> PreparedLut::device_table(
    int device, const std::function<std::shared_ptr<const void>()>& upload) const {
  std::lock_guard<std::mutex> lock(device_mutex_);
  for (const auto& [d, p] : device_tables_)
    if (d == device) return p;
  device_tables_.emplace_back(device, upload());
  return device_tables_.back().second;
}

void lut_gemm_reference(int64_t M, int64_t N, int64_t K, const uint8_t* A, int64_t lda,
                        const uint8_t* B, int64_t ldb, const int32_t* lut, int32_t* C,
                        int64_t ldc) {
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < N; ++n) {
      uint32_t acc = 0;  // unsigned: the int32 sum wraps modulo 2^32 without undefined behaviour
      for (int64_t k = 0; k < K; ++k) acc += uint32_t(lut[A[m * lda + k] * 256 + B[n * ldb + k]]);
      C[m * ldc + n] = int32_t(acc);
    }
  }
}

namespace {

// dst[k * 64 + r] = src[r * lda + k] for r < rows (≤ 64), k < K: one 64-row block of A packed
// k-major. 8×8 byte tiles are transposed in three 64-bit block-swap stages (1-, 2-, 4-byte
// blocks), about 3× fewer operations than byte-by-byte; edges go byte by byte.
void pack_block(const uint8_t* src, int64_t lda, int64_t rows, int64_t K, uint8_t* dst) {
  const int64_t r8 = rows / 8 * 8, k8 = K / 8 * 8;
  for (int64_t k0 = 0; k0 < k8; k0 += 8) {
    for (int64_t r0 = 0; r0 < r8; r0 += 8) {
      uint64_t x[8];
      for (int i = 0; i < 8; ++i) std::memcpy(&x[i], src + (r0 + i) * lda + k0, 8);
      for (int i = 0; i < 8; i += 2) {
        const uint64_t t = ((x[i] >> 8) ^ x[i + 1]) & 0x00FF00FF00FF00FFull;
        x[i + 1] ^= t;
        x[i] ^= t << 8;
      }
      for (int i : {0, 1, 4, 5}) {
        const uint64_t t = ((x[i] >> 16) ^ x[i + 2]) & 0x0000FFFF0000FFFFull;
        x[i + 2] ^= t;
        x[i] ^= t << 16;
      }
      for (int i = 0; i < 4; ++i) {
        const uint64_t t = ((x[i] >> 32) ^ x[i + 4]) & 0x00000000FFFFFFFFull;
        x[i + 4] ^= t;
        x[i] ^= t << 32;
      }
      for (int j = 0; j < 8; ++j) std::memcpy(dst + (k0 + j) * 64 + r0, &x[j], 8);
    }
    for (int64_t r = r8; r < rows; ++r)
      for (int64_t k = k0; k < k0 + 8; ++k) dst[k * 64 + r] = src[r * lda + k];
  }
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = k8; k < K; ++k) dst[k * 64 + r] = src[r * lda + k];
}

// Runs the avx512_shared kernel on `rows` packed rows (Ap) against `cols` columns of codes (B),
// one contiguous run of (block, step group) items per thread, all columns each: every tile is
// built once. A block split between threads leaves partial sums, added up here (modulo 2^32, so
// the order does not matter).
void run_shared(const PreparedLut& lut, int64_t rows, int64_t cols, int64_t K, const uint8_t* Ap,
                const uint8_t* B, int64_t ldb, int32_t* C, int64_t ldc, bool c_transposed) {
  const int64_t blocks = (rows + 63) / 64;
  const int64_t groups = (K + detail::kSharedSteps - 1) / detail::kSharedSteps;
  const int64_t items = blocks * groups;
  const int64_t threads = at::in_parallel_region() ? 1 : std::max<int64_t>(1, at::get_num_threads());
  const int64_t per = std::max<int64_t>((items + threads - 1) / threads, 1);
  std::mutex partial_mutex;
  struct Partial {
    int64_t block, n0, count;
    std::vector<uint32_t> sums;
  };
  std::vector<Partial> partials;
  const detail::SharedPartial partial = [&](int64_t block, int64_t n0, int64_t count, const uint32_t* sums) {
    std::lock_guard<std::mutex> lock(partial_mutex);
    auto it = std::find_if(partials.begin(), partials.end(),
                           [&](const Partial& p) { return p.block == block && p.n0 == n0; });
    if (it == partials.end()) {
      partials.push_back({block, n0, count, std::vector<uint32_t>(sums, sums + 64 * count)});
    } else {
      for (int64_t i = 0; i < 64 * count; ++i) it->sums[size_t(i)] += sums[i];
    }
  };
  at::parallel_for(0, items, per, [&](int64_t w0, int64_t w1) {
    detail::lut_gemm_avx512_shared(lut, rows, cols, K, Ap, B, ldb, C, ldc, c_transposed, w0, w1, partial);
  });
  const uint32_t bias_total = uint32_t(lut.bias()) * uint32_t(K);
  for (const Partial& p : partials) {
    for (int64_t r = 0; r < std::min<int64_t>(64, rows - p.block * 64); ++r) {
      for (int64_t n = 0; n < p.count; ++n) {
        const int64_t m = p.block * 64 + r, c = p.n0 + n;
        (c_transposed ? C[c * ldc + m] : C[m * ldc + c]) = int32_t(p.sums[size_t(n * 64 + r)] - bias_total);
      }
    }
  }
}

}  // namespace

namespace detail {

// At is k-major: At[k * M + m]. Four output columns at a time: their four LUT columns (1 KiB
// each, weight-stationary) stay in L1 while all M activations of step k index them; four
// independent lookups per activation keep the load ports busy even when M is tiny (the AVX-512
// path hands it the last few rows).
void lut_gemm_portable(const PreparedLut& lut, int64_t M, int64_t n0, int64_t n1, int64_t K,
                       const uint8_t* At, int64_t /*lda*/, const uint8_t* B, int64_t ldb,
                       int32_t* C, int64_t ldc) {
  constexpr int64_t kCols = 4;
  std::vector<uint32_t> acc(static_cast<size_t>(M * kCols));
  const int32_t* lt = lut.transposed();
  for (int64_t n = n0; n < n1; n += kCols) {
    const int64_t nc = std::min(kCols, n1 - n);
    std::fill(acc.begin(), acc.end(), 0u);
    for (int64_t k = 0; k < K; ++k) {
      const int32_t* col[kCols];
      for (int64_t j = 0; j < kCols; ++j) col[j] = lt + int64_t(B[(n + std::min(j, nc - 1)) * ldb + k]) * 256;
      const uint8_t* ak = At + k * M;
      uint32_t* a = acc.data();
      for (int64_t m = 0; m < M; ++m) {
        const uint8_t v = ak[m];
        a[m * kCols + 0] += uint32_t(col[0][v]);
        a[m * kCols + 1] += uint32_t(col[1][v]);
        a[m * kCols + 2] += uint32_t(col[2][v]);
        a[m * kCols + 3] += uint32_t(col[3][v]);
      }
    }
    for (int64_t m = 0; m < M; ++m)
      for (int64_t j = 0; j < nc; ++j) C[m * ldc + n + j] = int32_t(acc[size_t(m * kCols + j)]);
  }
}

}  // namespace detail

void lut_gemm_cpu(const PreparedLut& lut, int64_t M, int64_t N, int64_t K, const uint8_t* A,
                  int64_t lda, const uint8_t* B, int64_t ldb, int32_t* C, int64_t ldc,
                  CpuKernel kernel) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    for (int64_t m = 0; m < M; ++m) std::fill(C + m * ldc, C + m * ldc + N, 0);
    return;
  }
  if (kernel == CpuKernel::automatic) {
    const bool shared = N >= kSharedMinColumns || (M >= kSharedMinColumns && N >= 64 && lut.swapped() != nullptr);
    kernel = !avx512_kernels_apply(lut) ? CpuKernel::portable
             : shared                    ? CpuKernel::avx512_shared
                                         : CpuKernel::avx512;
  }
  if (!cpu_supports(kernel)) {
    throw Error("EMU-020", std::string("LUT GEMM kernel '") + to_string(kernel) +
                               "' is not supported by this CPU or build; use 'automatic'");
  }
  if ((kernel == CpuKernel::avx512 || kernel == CpuKernel::avx512_shared) && !lut.fits_16bit()) {
    throw Error("EMU-021",
                std::string("LUT GEMM kernel '") + to_string(kernel) +
                "' needs LUT entries spanning less than 2^16 "
                "(max - min); this table is wider, use 'automatic' (falls back to 'portable')");
  }
  if (kernel == CpuKernel::reference) {
    lut_gemm_reference(M, N, K, A, lda, B, ldb, lut.lut(), C, ldc);
    return;
  }
  // Columns are split across threads; each thread needs all activations, packed once. Chunks
  // of at least ~2M multiply-accumulates: a parallel region costs far more than a small GEMM
  // when the cores are shared with other processes. Called inside a parallel region (the
  // batched attention products) every at::parallel_for below runs inline on this thread.
  // Packing buffers are per thread and reused: the attention products are thousands of tiny
  // GEMMs per forward, and allocating per call cost as much as computing them.
  const int64_t grain = std::max<int64_t>(1, (int64_t(1) << 21) / std::max<int64_t>(1, M * K));
  thread_local std::vector<uint8_t> t_pack, t_tail;
  thread_local std::vector<int32_t> t_ct;
  if (kernel == CpuKernel::portable) {
    std::vector<uint8_t>& at = t_pack;
    at.resize(size_t(M * K));
    at::parallel_for(0, K, std::max<int64_t>(64, (int64_t(1) << 20) / M), [&](int64_t k0, int64_t k1) {
      for (int64_t k = k0; k < k1; ++k)
        for (int64_t m = 0; m < M; ++m) at[size_t(k * M + m)] = A[m * lda + k];
    });
    at::parallel_for(0, N, grain, [&](int64_t n0, int64_t n1) {
      detail::lut_gemm_portable(lut, M, n0, n1, K, at.data(), M, B, ldb, C, ldc);
    });
    return;
  }
  if (kernel == CpuKernel::avx512_shared && M > N && lut.swapped() != nullptr) {
    // The tiles are shared by the columns: with more rows than columns (a small model's Linear
    // on a batch of tokens: M = 12,544, N = 64) compute Cᵀ = B·Aᵀ with the swapped table, the
    // weights as the tiled rows and the tokens as columns, written back transposed.
    const int64_t nblocks = (N + 63) / 64;
    std::vector<uint8_t>& bp = t_pack;
    bp.resize(size_t(nblocks * K * 64));
    for (int64_t nb = 0; nb < nblocks; ++nb)
      pack_block(B + nb * 64 * ldb, ldb, std::min<int64_t>(64, N - nb * 64), K, bp.data() + nb * K * 64);
    run_shared(*lut.swapped(), N, M, K, bp.data(), A, lda, C, ldc, true);
    return;
  }
  // A short last block (≤ 16 of 64 rows) would cost a whole vector block. Those rows are
  // computed as the columns of Cᵀ = B·Aᵀ with the swapped table instead (N rows: full vector
  // blocks), or by the portable kernel where no swapped table is at hand.
  const int64_t tail = (M % 64) <= 16 ? M % 64 : 0;
  const int64_t Mv = M - tail;
  if (tail > 0 && lut.swapped() != nullptr && N >= 64) {
    if (Mv > 0) lut_gemm_cpu(lut, Mv, N, K, A, lda, B, ldb, C, ldc, kernel);
    // The recursive calls are done with t_pack before the next one starts; t_ct is only
    // touched here (the swapped table has no swapped table, so no deeper level reaches it).
    std::vector<int32_t>& ct = t_ct;
    ct.resize(size_t(N * tail));
    // Cᵀ has only `tail` columns: the shared-tile kernel would build its tiles for ≤ 16 of them.
    lut_gemm_cpu(*lut.swapped(), N, tail, K, B, ldb, A + Mv * lda, lda, ct.data(), tail,
                 kernel == CpuKernel::avx512_shared ? CpuKernel::avx512 : kernel);
    for (int64_t r = 0; r < tail; ++r)
      for (int64_t n = 0; n < N; ++n) C[(Mv + r) * ldc + n] = ct[size_t(n * tail + r)];
    return;
  }
  const int64_t mblocks = (Mv + 63) / 64;
  // Rows past Mv in the last block are left as they are: any byte is a valid table index and
  // their sums are never stored.
  std::vector<uint8_t>& ap = t_pack;
  ap.resize(size_t(mblocks * K * 64));
  at::parallel_for(0, mblocks, std::max<int64_t>(1, (int64_t(1) << 20) / (64 * K)), [&](int64_t b0, int64_t b1) {
    for (int64_t mb = b0; mb < b1; ++mb) {
      pack_block(A + mb * 64 * lda, lda, std::min<int64_t>(64, Mv - mb * 64), K,
                 ap.data() + mb * K * 64);
    }
  });
  std::vector<uint8_t>& at_tail = t_tail;
  at_tail.resize(size_t(tail * K));
  for (int64_t k = 0; k < K; ++k)
    for (int64_t r = 0; r < tail; ++r) at_tail[size_t(k * tail + r)] = A[(Mv + r) * lda + k];
  if (kernel == CpuKernel::avx512_shared && Mv > 0) {
    run_shared(lut, Mv, N, K, ap.data(), B, ldb, C, ldc, false);
    if (tail > 0) {
      at::parallel_for(0, N, grain, [&](int64_t n0, int64_t n1) {
        detail::lut_gemm_portable(lut, tail, n0, n1, K, at_tail.data(), tail, B, ldb, C + Mv * ldc, ldc);
      });
    }
    return;
  }
  at::parallel_for(0, N, grain, [&](int64_t n0, int64_t n1) {
    if (Mv > 0) detail::lut_gemm_avx512(lut, Mv, n0, n1, K, ap.data(), B, ldb, C, ldc);
    if (tail > 0) {
      detail::lut_gemm_portable(lut, tail, n0, n1, K, at_tail.data(), tail, B, ldb, C + Mv * ldc, ldc);
    }
  });
}

}  // namespace axx::emu
