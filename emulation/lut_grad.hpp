// transaxx emulation — LUT gradients: the backward pass of an approximate product taken from
// the multiplier's own table instead of the exact product (straight-through).
//
// Reference: "approximation-aware retraining with gradients of the approximate multiplier",
// arXiv 2509.10519 (the LUT's finite differences as the multiplier's partial derivatives).
//
// For a table lut[a][b] (a = operand A = activation code, b = operand B), in code space:
//   Da(a, b) = ∂lut/∂a ≈ (lut[a+1][b] − lut[a−1][b]) / 2   (one-sided at the ends of the code range)
//   Db(a, b) = ∂lut/∂b ≈ (lut[a][b+1] − lut[a][b−1]) / 2
// where a ± 1 are the neighbouring *values*: for signed codes int8 order (−128 … 127, so the byte
// 0xFF = −1 neighbours 0x00 = 0), for unsigned codes 0 … 255. An exact table gives Da = b, Db = a
// exactly, i.e. the straight-through gradient.
//
// A product with zero points, y[m][n] = s_a·s_b[n]·(Σ_k lut[qa[m][k]][qb[n][k]] − zb[n]·Σ_k qa[m][k]
// − za·Σ_k qb[n][k] + K·za·zb[n]), then has, with x = s_a·(qa − za), w = s_b·(qb − zb):
//   ∂L/∂x[m][k] = Σ_n g[m][n]·s_b[n]·(Da(qa[m][k], qb[n][k]) − zb[n])
//   ∂L/∂w[n][k] = Σ_m g[m][n]·s_a·(Db(qa[m][k], qb[n][k]) − za)
// (signed: zero points 0). The ops (ops.cpp) apply the same range masks as the STE afterwards.
#pragma once

#include <ATen/core/Tensor.h>

#include <array>
#include <cstdint>
#include <string>
#include <utility>

#include "emulation/lut.hpp"

namespace axx::emu {

/// How the backward pass of an approximate product is taken.
enum class GradientMode {
  ste,  ///< straight-through: the gradient of the fake-quantized exact product (the default)
  lut,  ///< the table's finite differences (this header)
};

/// "ste" / "lut".
const char* gradient_mode_name(GradientMode m);
/// Parses "ste" / "lut"; throws EMU-090 naming `what` and the valid values otherwise.
GradientMode parse_gradient_mode(const std::string& s, const std::string& what);

/// The mode the ops of this thread record when they build a backward pass (ste unless a guard
/// is alive). The mode is fixed at forward time: the backward uses what the forward recorded.
GradientMode gradient_mode();

/// Sets this thread's gradient mode for its lifetime (restores the previous one after).
class GradientModeGuard {
 public:
  explicit GradientModeGuard(GradientMode m);
  ~GradientModeGuard();
  GradientModeGuard(const GradientModeGuard&) = delete;
  GradientModeGuard& operator=(const GradientModeGuard&) = delete;

 private:
  GradientMode prev_;
};

/// Smoothing of the differences (AppMult-aware retraining, Chang et al., DATE 2025, smooths the
/// table with a moving average before differencing): each Da / Db becomes the mean of the
/// central differences over ±window neighbouring values of the differentiated operand, the window
/// shrunk symmetrically near the ends (so an exact table still gives exactly the STE gradients).
/// A broken-array or truncated table is a staircase whose raw differences swing by hundreds
/// between neighbours; the mean follows its slope. 0 = raw central differences.
constexpr int kDefaultLutGradientWindow = 8;
constexpr int kMaxLutGradientWindow = 64;
/// The window the derivative tables are made with (process-wide; kDefaultLutGradientWindow).
int lut_gradient_window();
/// Sets it; throws UsageError "EMU-091" outside 0..kMaxLutGradientWindow.
void set_lut_gradient_window(int window);

/// The derivative tables of `mult`, float [2, 256, 256] on the CPU: [0][a][b] = Da(a, b),
/// [1][b][a] = Db(a, b) (transposed, so a column of the table is a contiguous row), smoothed with
/// lut_gradient_window(). Computed once per table and window and cached (thread-safe; the cache
/// holds entries of live tables only).
at::Tensor lut_derivative_tables(const Multiplier& mult);

/// The derivative tables of a product under "mean" compensation (compensation.hpp) with table t:
/// each product then contributes lut[a][b] − t[b], so Da is unchanged and Db(a, b) loses t's own
/// difference Dt(b) (same neighbours, ends and smoothing window as above). A new tensor; `tables` is not changed.
at::Tensor compensated_derivative_tables(const at::Tensor& tables, const std::array<int32_t, 256>& t,
                                         bool is_signed);

/// The gradients above for a batch of products. g: float [Bt, M, N]; qa: uint8 [Bt, M, K];
/// qb: uint8 [Bt, N, K]; sb: float [N]; zb: int32 [N]; tables: from lut_derivative_tables.
/// Returns {∂L/∂a float [Bt, M, K], ∂L/∂b float [Bt, N, K]} (undefined when not wanted), unmasked.
/// CPU tensors (an O(Bt·M·N·K) gather, parallel over rows).
std::pair<at::Tensor, at::Tensor> lut_product_grads(const at::Tensor& g, const at::Tensor& qa, float sa,
                                                    int32_t za, const at::Tensor& qb, const at::Tensor& sb,
                                                    const at::Tensor& zb, const at::Tensor& tables,
                                                    bool want_a, bool want_b);

}  // namespace axx::emu
