// transaxx emulation — 8-bit quantization.
//
// Signed multipliers take symmetric int8 operands: x ≈ s·q, q ∈ [-128, 127], zero point 0.
// Unsigned multipliers take asymmetric uint8 operands: x ≈ s·(q − z), q, z ∈ [0, 255]; only
// q_a·q_w goes through the multiplier, the zero-point terms are added exactly (as an integer
// accelerator with zero points computes them):
//   Σ (q_a − z_a)(q_w − z_w) = Σ lut[q_a][q_w] − z_w Σ q_a − z_a Σ q_w + K z_a z_w.
// Codes are returned as uint8 tensors holding the raw 8-bit pattern (LUT index).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

namespace axx::emu {

/// Per-tensor quantization parameters (activations; per-tensor weights).
struct QParams {
  float scale = 1.f;        ///< real value of one code step; > 0
  int32_t zero_point = 0;   ///< code of real 0; 0 for signed, [0, 255] for unsigned
};

/// Weights: one scale for the whole tensor or one per output channel (row of the [N, K] matrix).
enum class WeightGranularity { per_tensor, per_channel };

/// Parameters from a calibrated range [lo, hi] (real units). The range is widened to include 0.
/// Signed: symmetric, scale = max(|lo|, |hi|) / 127. Unsigned: scale = (hi − lo) / 255,
/// zero point = round(−lo / scale). A zero-width range gives scale 1 (all codes 0 / z).
QParams qparams_from_range(double lo, double hi, bool is_signed);

/// Quantized weights of a 2-D [N, K] float matrix.
struct QuantizedWeight {
  at::Tensor codes;       ///< uint8 [N, K]
  at::Tensor scale;       ///< float [N] (per_tensor: all equal)
  at::Tensor zero_point;  ///< int32 [N] (signed: zeros)
  /// int32 [N]: the compensation of each output channel, −Σ_k t(codes[n][k]) wrapped to int32
  /// (compensation.hpp), for the table the weight cache was given; undefined: none.
  at::Tensor corr;
};

/// Weight ranges are their min/max (weights are known; clipping them helps nothing at 8 bits).
/// Throws EMU-030 if the weight holds NaN/Inf, naming `what`.
QuantizedWeight quantize_weight(const at::Tensor& w2d, bool is_signed, WeightGranularity g,
                                const std::string& what);

/// Activation codes (uint8, same shape as x). Values outside the range saturate.
/// Throws EMU-030 when x holds NaN or Inf, naming `what` (a layer).
at::Tensor quantize(const at::Tensor& x, const QParams& qp, bool is_signed, const std::string& what);

/// Real values of codes: s·(q − z), float.
at::Tensor dequantize(const at::Tensor& codes, const QParams& qp, bool is_signed);

/// quantize then dequantize, in float (for the straight-through backward pass).
at::Tensor fake_quantize(const at::Tensor& x, const QParams& qp, bool is_signed);
/// Weight version with per-row scale/zero point ([N] tensors), in float.
at::Tensor fake_quantize_weight(const at::Tensor& w2d, const QuantizedWeight& q, bool is_signed);

/// Throws EMU-030 unless every element of x is finite.
void check_finite(const at::Tensor& x, const std::string& what);

}  // namespace axx::emu
