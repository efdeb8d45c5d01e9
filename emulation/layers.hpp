// transaxx emulation — approximable layers as LibTorch modules.
//
// ApproxLinear, ApproxConv2d and ApproxMatmul (the attention products Q·Kᵀ and attention·V,
// which have no weights) behave like torch::nn::Linear / Conv2d / at::matmul until a config
// gives them a multiplier. Each carries a LayerState that the model-level API (config.hpp)
// fills by dotted module name, so any module tree built from them — the native ViT, or a
// network rebuilt from an imported TorchScript/safetensors state dict — is configured the same
// way, and model code never branches on the multiplier or the device.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "emulation/calibrate.hpp"
#include "emulation/compensation.hpp"
#include "emulation/ops.hpp"

namespace axx::emu {

enum class LayerKind { linear, conv2d, matmul };
const char* to_string(LayerKind k);

/// splitmix64's finalizer: a stateless hash of (seed, position), for the recorder's reservoir
/// draws and the operand pools built from its samples, so sampling needs no RNG state.
inline uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/// Operand statistics of one layer while it runs quantized (LayerState::recorder). For the
/// search's error features and power model and for hwgen's power simulation under real operands.
/// Codes are the raw 8-bit patterns the layer's multiplier sees (LUT indices: for signed
/// multipliers 255 is −1). Histograms count multiplications, not tensor elements: an activation
/// code used by N output features counts N times, so each histogram sums to the layer's
/// multiply count over the recorded forwards (zero padding of a convolution included).
struct OperandRecorder {
  std::array<double, 256> hist_a{};  ///< operand A (activation; a of a matmul) codes
  std::array<double, 256> hist_b{};  ///< operand B (weight; b of a matmul) codes
  int64_t macs = 0;                  ///< multiplications recorded (= Σ hist_a = Σ hist_b)
  /// Bounded samples of real operand vectors for hardware power simulation: up to `max_rows`
  /// rows of the A matrix ([M, K] view) and columns of B (as [N, K]), each K codes long, chosen
  /// by seeded reservoir sampling over everything recorded (weights: the N columns once).
  /// 0 = keep no sample.
  int64_t max_rows = 0;
  uint64_t seed = 1;
  int64_t k = 0;                     ///< row length of the samples (the reduction size)
  std::vector<uint8_t> rows_a;       ///< kept A rows, row-major [rows, k]
  std::vector<uint8_t> rows_b;       ///< kept B columns, row-major [cols, k]
  int64_t seen_a = 0, seen_b = 0;    ///< rows / columns offered to the reservoirs

  /// Adds one product: A codes [M, K] used by `n` output columns each, B codes [N, K] used by
  /// `m` output rows each (uint8). `b_is_weight`: B is the same every forward (weights), so its
  /// sample is taken once. A grouped convolution records each group as its own product.
  void record(const at::Tensor& a_codes, int64_t n, const at::Tensor& b_codes, int64_t m, bool b_is_weight);
};

/// What one approximable layer does now. Filled by apply_config / calibration.
struct LayerState {
  std::string name;  ///< dotted module path (set by apply_config); "" until then
  /// null: the layer runs in FP32 (config "fp32", or never configured).
  std::shared_ptr<const Multiplier> mult;
  WeightGranularity weight_granularity = WeightGranularity::per_channel;
  /// Calibrated activation range per input (1 for linear/conv2d, 2 for matmul: a then b).
  /// Empty: quantize each batch with its own min/max ("dynamic"), handy before calibration.
  std::vector<std::pair<double, double>> ranges;
  /// While true the layer runs in FP32 and feeds `observers` (see begin_calibration).
  bool calibrating = false;
  std::vector<RangeObserver> observers;
  /// How the products are computed (ops.hpp): `automatic` (exact tables through float BLAS)
  /// or `lut` (always the LUT kernels; the same numbers, for testing the kernels on a model).
  MatmulPath matmul_path = MatmulPath::automatic;
  /// When set, every quantized forward adds its operand codes here (costs one extra quantization
  /// of the inputs); FP32 and calibration forwards record nothing.
  std::shared_ptr<OperandRecorder> recorder;
  /// Error compensation (compensation.hpp; set by apply_config): `mean` needs `hist_a`.
  Compensation compensation = Compensation::none;
  /// The operand-A code histogram recorded by calibration (record_histograms / apply_calibration);
  /// null: none. Replace the pointer, never the array it points to: the layer's compensation
  /// table is cached per (multiplier, histogram).
  std::shared_ptr<const std::array<double, 256>> hist_a;
  /// While set, quantized forwards add their operand codes here and run without compensation
  /// (the histogram pass of calibration).
  std::shared_ptr<OperandRecorder> hist_recorder;
};

/// Base of the approximable modules; found by dynamic_cast while walking a module tree.
class ApproxLayer {
 public:
  explicit ApproxLayer(LayerKind kind) : kind_(kind) {}
  virtual ~ApproxLayer() = default;
  LayerKind kind() const { return kind_; }
  int num_inputs() const { return kind_ == LayerKind::matmul ? 2 : 1; }
  LayerState& state() { return state_; }
  const LayerState& state() const { return state_; }
  /// Multiply count of the last forward (for power estimates), 0 before.
  int64_t last_macs() const { return last_macs_; }
  /// The last forward as GEMMs: `count` independent products of [m, k] × [k, n] (a batched
  /// matmul: one per batch element and head; a convolution: m output positions per group).
  struct GemmShape {
    int64_t m = 0, k = 0, n = 0, count = 0;
  };
  const GemmShape& last_gemm() const { return last_gemm_; }
  /// The weight as the [N, K] matrix the products use (operand B), or an undefined tensor for
  /// layers whose B is an activation (matmul) or that do not expose it.
  virtual at::Tensor weight_2d() const { return {}; }

 protected:
  /// Calibration observation, FP32 decision and per-input quantization parameters.
  /// Returns nullopt when the layer must run in FP32.
  std::optional<std::vector<QParams>> prepare(const std::vector<const at::Tensor*>& inputs);
  /// The compensation table of the layer now, or null (mode none, FP32, an exact multiplier, or
  /// the histogram pass). Throws EMU-072 for mode mean without a histogram.
  const CompensationTable* compensation();
  int64_t last_macs_ = 0;
  GemmShape last_gemm_;

 private:
  LayerKind kind_;
  LayerState state_;
  std::shared_ptr<const CompensationTable> comp_;
  const Multiplier* comp_mult_ = nullptr;
  std::shared_ptr<const std::array<double, 256>> comp_hist_;
};

/// Weight quantization cached across forwards; recomputed when the weight changes (its data
/// pointer or version counter, bumped by in-place optimizer steps) or the config does.
class WeightCache {
 public:
  /// `comp`: the layer's compensation table (null: none); the cached weights then carry their
  /// per-channel correction (QuantizedWeight::corr), recomputed when the table changes.
  const QuantizedWeight& get(const at::Tensor& w2d, const Multiplier& m, WeightGranularity g,
                             const std::string& name, const CompensationTable* comp = nullptr);

 private:
  QuantizedWeight q_;
  const void* data_ = nullptr;
  int64_t version_ = -1;
  const Multiplier* mult_ = nullptr;
  WeightGranularity g_ = WeightGranularity::per_channel;
  bool has_comp_ = false;
  CompensationTable comp_{};
};

class ApproxLinearImpl : public torch::nn::Module, public ApproxLayer {
 public:
  ApproxLinearImpl(int64_t in_features, int64_t out_features, bool with_bias = true);
  /// x: [..., in_features] → [..., out_features]
  at::Tensor forward(const at::Tensor& x);
  at::Tensor weight_2d() const override { return weight; }
  at::Tensor weight;  ///< [out, in], initialized like torch::nn::Linear
  at::Tensor bias;    ///< [out] or undefined

 private:
  WeightCache cache_;
};
TORCH_MODULE(ApproxLinear);

class ApproxConv2dImpl : public torch::nn::Module, public ApproxLayer {
 public:
  ApproxConv2dImpl(int64_t in_channels, int64_t out_channels, std::array<int64_t, 2> kernel,
                   const Conv2dGeometry& geo = {}, bool with_bias = true);
  at::Tensor forward(const at::Tensor& x);
  at::Tensor weight_2d() const override { return weight.reshape({weight.size(0), -1}); }
  at::Tensor weight;  ///< [out, in / groups, kh, kw]
  at::Tensor bias;
  Conv2dGeometry geometry;

 private:
  WeightCache cache_;
};
TORCH_MODULE(ApproxConv2d);

/// a·b of two activations (a is the multiplier's operand A). No parameters.
class ApproxMatmulImpl : public torch::nn::Module, public ApproxLayer {
 public:
  ApproxMatmulImpl();
  at::Tensor forward(const at::Tensor& a, const at::Tensor& b);
};
TORCH_MODULE(ApproxMatmul);

}  // namespace axx::emu
