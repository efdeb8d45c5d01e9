// transaxx emulation — the integer core: a GEMM whose every product goes through a 256×256 LUT.
//
//   C[m][n] = Σ_k lut[A[m][k]][B[n][k]]        (int32, wrapping modulo 2^32 like hardware)
//
// A holds activation codes (LUT row index), B holds weight codes (LUT column index), both as raw
// 8-bit patterns (a signed code -3 is the byte 0xFD). B is stored "N×K" (the layout of a Linear
// weight), so both operands are read along k. No LibTorch here: the CUDA launcher, the CPU
// kernels and the tests share these plain-pointer entry points.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace axx::emu {

/// CPU kernels. `automatic` picks the fastest one this CPU supports for the shape: avx512_shared
/// when N ≥ kSharedMinColumns, or M ≥ kSharedMinColumns and N ≥ 64 (then computing Cᵀ = B·Aᵀ
/// with the swapped table), avx512 otherwise (both need AVX-512 VBMI and a table spanning less
/// than 2^16), else portable. avx512_shared forced: Cᵀ whenever M > N.
enum class CpuKernel { automatic, reference, portable, avx512, avx512_shared };

/// Columns from which `automatic` takes avx512_shared (its per-block tiles are shared by all
/// columns; measured on Zen 4: slower than avx512 at N = 384, faster from N ≈ 512).
constexpr int64_t kSharedMinColumns = 512;

/// Name of a kernel ("reference", "portable", "avx512", "avx512_shared").
const char* to_string(CpuKernel k);

/// True when this CPU (and this build) can run the given kernel.
bool cpu_supports(CpuKernel k);

class PreparedLut;
/// True when the AVX-512 kernels (avx512, avx512_shared) can run `lut` here: this CPU and build
/// have them and the table spans less than 2^16. `automatic` then never takes `portable`.
bool avx512_kernels_apply(const PreparedLut& lut);

/// A LUT prepared for the CPU kernels: the table transposed (weight-stationary: one 256-entry
/// column per weight code) and split into byte planes for the AVX-512 byte-permute kernel.
/// Build once per multiplier; immutable and shareable across threads.
class PreparedLut {
 public:
  /// lut: 65536 int32 values, lut[a * 256 + b].
  explicit PreparedLut(const int32_t* lut);

  const int32_t* lut() const { return lut_.data(); }
  /// lutT[b * 256 + a] = lut[a][b]
  const int32_t* transposed() const { return lut_t_.data(); }
  /// True when every entry equals the exact product of its operands read as signed (or
  /// unsigned) 8-bit numbers; the GEMM then needs no table at all.
  bool is_exact_signed() const { return exact_signed_; }
  bool is_exact_unsigned() const { return exact_unsigned_; }
  /// True when max(lut) - min(lut) < 2^16, so entries fit two byte planes after a bias.
  bool fits_16bit() const { return fits16_; }
  /// Entries are stored as (lut + bias) in [0, 65535]; bias = -min(lut).
  int32_t bias() const { return bias_; }
  /// plane[p][b * 256 + a]: byte p (0 = low, 1 = high) of (lut[a][b] + bias).
  const uint8_t* plane(int p) const { return planes_[p].data(); }
  /// The table with operands swapped (lutᵀ[b][a] = lut[a][b]); lets the kernels compute a few
  /// leftover rows as columns of Cᵀ = B·Aᵀ. Null inside the transposed table itself.
  const PreparedLut* swapped() const { return swapped_.get(); }

  /// The table's copy on accelerator `device` (a device ordinal ≥ 0): made by `upload` on the
  /// first request for that device, then returned as is for the table's lifetime (a 256 KiB
  /// upload once per multiplier and device, not once per GEMM). Thread-safe. The handle owns
  /// the device memory (its deleter frees it).
  std::shared_ptr<const void> device_table(int device,
                                           const std::function<std::shared_ptr<const void>()>& upload) const;

 private:
  PreparedLut(const int32_t* lut, bool with_swapped);
  mutable std::mutex device_mutex_;
  mutable std::vector<std::pair<int, std::shared_ptr<const void>>> device_tables_;
  std::shared_ptr<const PreparedLut> swapped_;
  std::vector<int32_t> lut_, lut_t_;
  std::vector<uint8_t> planes_[2];
  bool exact_signed_ = false, exact_unsigned_ = false, fits16_ = false;
  int32_t bias_ = 0;
};

/// The definition: a triple loop, one table read per multiply. Every other kernel is tested
/// against it bit for bit.
void lut_gemm_reference(int64_t M, int64_t N, int64_t K, const uint8_t* A, int64_t lda,
                        const uint8_t* B, int64_t ldb, const int32_t* lut, int32_t* C,
                        int64_t ldc);

/// Fast CPU LUT GEMM (multi-threaded with the LibTorch intra-op pool). Bit-identical to
/// lut_gemm_reference for every table. `kernel` forces one implementation (tests, benchmark);
/// forcing one the CPU lacks throws axx::Error EMU-020.
void lut_gemm_cpu(const PreparedLut& lut, int64_t M, int64_t N, int64_t K, const uint8_t* A,
                  int64_t lda, const uint8_t* B, int64_t ldb, int32_t* C, int64_t ldc,
                  CpuKernel kernel = CpuKernel::automatic);

namespace detail {
// Single-threaded kernels on a block of columns [n0, n1); C is M×N with ldc. Internal.
void lut_gemm_portable(const PreparedLut& lut, int64_t M, int64_t n0, int64_t n1, int64_t K,
                       const uint8_t* A, int64_t lda, const uint8_t* B, int64_t ldb, int32_t* C,
                       int64_t ldc);
bool avx512_kernel_compiled();
// Ap: activations packed k-major in blocks of 64 rows: Ap[(mb * K + k) * 64 + r] = A[mb*64+r][k].
void lut_gemm_avx512(const PreparedLut& lut, int64_t M, int64_t n0, int64_t n1, int64_t K,
                     const uint8_t* Ap, const uint8_t* B, int64_t ldb, int32_t* C, int64_t ldc);
// Steps of k per tile of the avx512_shared kernel.
constexpr int64_t kSharedSteps = 8;
// Receives a block's partial sums: block, first column, column count, sums[n * 64 + r] (64 per
// column, table bias included, modulo 2^32).
using SharedPartial = std::function<void(int64_t, int64_t, int64_t, const uint32_t*)>;
// Work items [w0, w1) of the block-major space (block i / G, step group i % G, G = ⌈K / 8⌉),
// all N columns each; same Ap. A block whose groups all lie in [w0, w1) is written to C
// (c_transposed: element (row m, column n) at C[n * ldc + m]); for a block covered in part, its
// raw sums over the covered groups go to `partial` instead, for the caller to add up.
void lut_gemm_avx512_shared(const PreparedLut& lut, int64_t M, int64_t N, int64_t K, const uint8_t* Ap,
                            const uint8_t* B, int64_t ldb, int32_t* C, int64_t ldc, bool c_transposed,
                            int64_t w0, int64_t w1, const SharedPartial& partial);
}  // namespace detail

}  // namespace axx::emu
