// transaxx emulation — approximate Linear, Conv2d and batched matmul.
//
// Each op: quantize (quant.hpp) → integer products through the multiplier's LUT with int32
// accumulation (int_matmul.hpp) → exact zero-point corrections → dequantize (+ bias).
// Autograd: when grad mode is on and an input requires grad, the op is a straight-through
// estimator — forward returns the approximate result, backward is the gradient of the
// fake-quantized *exact* product (activations pass the gradient inside their quantization
// range and zero outside it; weights, quantized over their full range, always pass it).
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/util/Optional.h>

#include <array>
#include <string>

#include "emulation/compensation.hpp"
#include "emulation/int_matmul.hpp"
#include "emulation/quant.hpp"

namespace axx::emu {

/// A layer's compensation table t (compensation.hpp); the ops take a pointer, null = none.
using CompensationTable = std::array<int32_t, 256>;

/// corr[n] = −Σ_k t(codes[n][k]) as int32 (wrapped) [N], for uint8 codes [N, K] on any device.
at::Tensor compensation_corr(const at::Tensor& codes, const CompensationTable& t);

/// Integer accumulators of a quantized product with zero points (int64 [M, N]):
///   acc[m][n] = Σ_k lut[qa[m][k]][qw[n][k]] − zw[n]·Σ_k qa[m][k] − za·Σ_k qw[n][k] + K·za·zw[n]
/// For a signed multiplier the zero points must be 0 and acc is the LUT sum alone.
/// qa: uint8 [M, K]; qw: uint8 [N, K]; zw: int32 [N].
/// `corr` (int32 [N], optional): the compensation added to the LUT sum with int32 wrap-around
/// before the zero-point terms.
at::Tensor quantized_matmul_int(const at::Tensor& qa, int32_t za, const at::Tensor& qw,
                                const at::Tensor& zw, const Multiplier& mult,
                                MatmulPath path = MatmulPath::automatic, const at::Tensor& corr = {});

/// y = x·Wᵀ + b through the multiplier. x: [..., K] float; weight: [N, K]; bias: [N] or none.
/// `qw` (optional) are pre-quantized weights (the layer modules cache them).
/// `name` names the layer in errors. Throws EMU-030 for NaN/Inf, EMU-031 for shape mismatches.
/// `path` (all three ops): `automatic` sends an exact table through float BLAS when the product
/// is wide (N ≥ kSharedMinColumns, or no AVX-512 LUT kernel here) and everything else through
/// the LUT kernels; `lut` forces the LUT kernels, `blas_exact` float BLAS (exact tables only;
/// tests compare the two on a real model); the result is the same bit for bit either way.
/// `comp` (all three ops): the layer's compensation table, or null. With a table and a
/// multiplier that is not exact, each output column's LUT sum gets corr[n] = −Σ_k t(b[k][n])
/// added with int32 wrap-around (Linear/Conv2d: from the weight codes, qw->corr when the cache
/// computed it; matmul: per product from its b codes). Exact multipliers ignore it (t = 0).
at::Tensor approx_linear(const at::Tensor& x, const at::Tensor& weight,
                         const c10::optional<at::Tensor>& bias, const Multiplier& mult,
                         const QParams& act, WeightGranularity wg, const std::string& name,
                         const QuantizedWeight* qw = nullptr,
                         MatmulPath path = MatmulPath::automatic,
                         const CompensationTable* comp = nullptr);

/// Conv2d geometry (elements; all ≥ 1 except padding ≥ 0).
struct Conv2dGeometry {
  std::array<int64_t, 2> stride{1, 1}, padding{0, 0}, dilation{1, 1};
  int64_t groups = 1;
};

/// Conv2d through the multiplier (im2col + LUT GEMM per group). x: [B, C, H, W]; weight:
/// [Cout, C / groups, kh, kw]. Zero padding is exact (pads with the zero point's code).
at::Tensor approx_conv2d(const at::Tensor& x, const at::Tensor& weight,
                         const c10::optional<at::Tensor>& bias, const Conv2dGeometry& geo,
                         const Multiplier& mult, const QParams& act, WeightGranularity wg,
                         const std::string& name, const QuantizedWeight* qw = nullptr,
                         MatmulPath path = MatmulPath::automatic,
                         const CompensationTable* comp = nullptr);

/// Batched matmul a·b of two activations (Q·Kᵀ, attention·V): a [..., M, K], b [..., K, N]
/// with equal batch dims. a is the multiplier's operand A (LUT row), b its operand B.
at::Tensor approx_matmul(const at::Tensor& a, const at::Tensor& b, const Multiplier& mult,
                         const QParams& qa, const QParams& qb, const std::string& name,
                         MatmulPath path = MatmulPath::automatic,
                         const CompensationTable* comp = nullptr);

}  // namespace axx::emu
