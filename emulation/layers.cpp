// transaxx emulation — approximable layers (see layers.hpp).
#include "emulation/layers.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <cmath>

#include "common/error.hpp"

namespace axx::emu {

const char* to_string(LayerKind k) {
  switch (k) {
    case LayerKind::linear: return "linear";
    case LayerKind::conv2d: return "conv2d";
    case LayerKind::matmul: return "matmul";
  }
  return "?";
}

std::optional<std::vector<QParams>> ApproxLayer::prepare(const std::vector<const at::Tensor*>& inputs) {
  LayerState& s = state_;
  const std::string name = s.name.empty() ? std::string("unnamed ") + to_string(kind_) : s.name;
  if (s.calibrating) {
    if (s.observers.size() != inputs.size()) s.observers.assign(inputs.size(), RangeObserver());
    for (size_t i = 0; i < inputs.size(); ++i) {
      s.observers[i].observe(*inputs[i], fmt::format("layer '{}' input {}", name, i));
    }
    return std::nullopt;
  }
  if (!s.mult) return std::nullopt;
  std::vector<QParams> q;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (s.ranges.size() == inputs.size()) {
      q.push_back(qparams_from_range(s.ranges[i].first, s.ranges[i].second, s.mult->is_signed));
    } else {
      const at::Tensor& x = *inputs[i];
      check_finite(x, fmt::format("layer '{}' input {}", name, i));
      const double lo = x.numel() ? x.min().item<double>() : 0.0;
      const double hi = x.numel() ? x.max().item<double>() : 0.0;
      q.push_back(qparams_from_range(lo, hi, s.mult->is_signed));
    }
  }
  return q;
}

const QuantizedWeight& WeightCache::get(const at::Tensor& w2d, const Multiplier& m,
                                        WeightGranularity g, const std::string& name) {
  const void* data = w2d.data_ptr();
  const int64_t version = w2d._version();
  if (data != data_ || version != version_ || &m != mult_ || g != g_) {
    q_ = quantize_weight(w2d, m.is_signed, g, name);
    data_ = data;
    version_ = version;
    mult_ = &m;
    g_ = g;
  }
  return q_;
}

namespace {

std::string layer_name(const LayerState& s, const char* kind) {
  return s.name.empty() ? std::string("unnamed ") + kind : s.name;
}

c10::optional<at::Tensor> opt(const at::Tensor& t) {
  return t.defined() ? c10::optional<at::Tensor>(t) : c10::nullopt;
}

}  // namespace

ApproxLinearImpl::ApproxLinearImpl(int64_t in_features, int64_t out_features, bool with_bias)
    : ApproxLayer(LayerKind::linear) {
  // torch::nn::Linear's default: kaiming_uniform(a = √5) ⇒ U(−1/√in, 1/√in), same for bias.
  const double bound = in_features > 0 ? 1.0 / std::sqrt(double(in_features)) : 0.0;
  weight = register_parameter("weight", at::empty({out_features, in_features}).uniform_(-bound, bound));
  if (with_bias) bias = register_parameter("bias", at::empty({out_features}).uniform_(-bound, bound));
}

at::Tensor ApproxLinearImpl::forward(const at::Tensor& x) {
  const auto q = prepare({&x});
  last_macs_ = weight.size(1) ? x.numel() / weight.size(1) * weight.numel() : 0;
  if (!q) return at::linear(x, weight, opt(bias));
  const LayerState& s = state();
  const std::string name = layer_name(s, "linear");
  const QuantizedWeight& qw = cache_.get(weight, *s.mult, s.weight_granularity, name);
  return approx_linear(x, weight, opt(bias), *s.mult, (*q)[0], s.weight_granularity, name, &qw);
}

ApproxConv2dImpl::ApproxConv2dImpl(int64_t in_channels, int64_t out_channels,
                                   std::array<int64_t, 2> kernel, const Conv2dGeometry& geo,
                                   bool with_bias)
    : ApproxLayer(LayerKind::conv2d), geometry(geo) {
  const int64_t fan_in = in_channels / std::max<int64_t>(1, geo.groups) * kernel[0] * kernel[1];
  const double bound = fan_in > 0 ? 1.0 / std::sqrt(double(fan_in)) : 0.0;
  weight = register_parameter(
      "weight", at::empty({out_channels, in_channels / std::max<int64_t>(1, geo.groups), kernel[0], kernel[1]})
                    .uniform_(-bound, bound));
  if (with_bias) bias = register_parameter("bias", at::empty({out_channels}).uniform_(-bound, bound));
}

at::Tensor ApproxConv2dImpl::forward(const at::Tensor& x) {
  const auto q = prepare({&x});
  const auto& g = geometry;
  if (!q) {
    at::Tensor y = at::conv2d(x, weight, opt(bias), {g.stride[0], g.stride[1]},
                              {g.padding[0], g.padding[1]}, {g.dilation[0], g.dilation[1]}, g.groups);
    last_macs_ = y.numel() * (weight.numel() / weight.size(0));
    return y;
  }
  const LayerState& s = state();
  const std::string name = layer_name(s, "conv2d");
  const at::Tensor w2 = weight.reshape({weight.size(0), -1});
  const QuantizedWeight& qw = cache_.get(w2, *s.mult, s.weight_granularity, name);
  at::Tensor y = approx_conv2d(x, weight, opt(bias), g, *s.mult, (*q)[0], s.weight_granularity, name, &qw);
  last_macs_ = y.numel() * (weight.numel() / weight.size(0));
  return y;
}

ApproxMatmulImpl::ApproxMatmulImpl() : ApproxLayer(LayerKind::matmul) {}

at::Tensor ApproxMatmulImpl::forward(const at::Tensor& a, const at::Tensor& b) {
  const auto q = prepare({&a, &b});
  last_macs_ = a.numel() * (b.dim() ? b.size(-1) : 1);
  if (!q) return at::matmul(a, b);
  const LayerState& s = state();
  return approx_matmul(a, b, *s.mult, (*q)[0], (*q)[1], layer_name(s, "matmul"));
}

}  // namespace axx::emu
