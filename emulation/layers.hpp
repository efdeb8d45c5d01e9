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

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "emulation/calibrate.hpp"
#include "emulation/ops.hpp"

namespace axx::emu {

enum class LayerKind { linear, conv2d, matmul };
const char* to_string(LayerKind k);

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

 protected:
  /// Calibration observation, FP32 decision and per-input quantization parameters.
  /// Returns nullopt when the layer must run in FP32.
  std::optional<std::vector<QParams>> prepare(const std::vector<const at::Tensor*>& inputs);
  int64_t last_macs_ = 0;

 private:
  LayerKind kind_;
  LayerState state_;
};

/// Weight quantization cached across forwards; recomputed when the weight changes (its data
/// pointer or version counter, bumped by in-place optimizer steps) or the config does.
class WeightCache {
 public:
  const QuantizedWeight& get(const at::Tensor& w2d, const Multiplier& m, WeightGranularity g,
                             const std::string& name);

 private:
  QuantizedWeight q_;
  const void* data_ = nullptr;
  int64_t version_ = -1;
  const Multiplier* mult_ = nullptr;
  WeightGranularity g_ = WeightGranularity::per_channel;
};

class ApproxLinearImpl : public torch::nn::Module, public ApproxLayer {
 public:
  ApproxLinearImpl(int64_t in_features, int64_t out_features, bool with_bias = true);
  /// x: [..., in_features] → [..., out_features]
  at::Tensor forward(const at::Tensor& x);
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
