// transaxx emulation — approximable layers (see layers.hpp).
#include "emulation/layers.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <algorithm>
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

const CompensationTable* ApproxLayer::compensation() {
  LayerState& s = state_;
  if (s.compensation == Compensation::none || !s.mult || s.hist_recorder || s.mult->is_exact()) return nullptr;
  if (!s.hist_a) {
    throw Error("EMU-072", fmt::format("layer '{}' asks for mean error compensation but has no operand "
                                       "histogram (calibrations made before compensation record none); "
                                       "recalibrate the model",
                                       s.name.empty() ? std::string("unnamed ") + to_string(kind_) : s.name));
  }
  if (!comp_ || comp_mult_ != s.mult.get() || comp_hist_ != s.hist_a) {
    comp_ = std::make_shared<const CompensationTable>(compensation_table(*s.mult, *s.hist_a));
    comp_mult_ = s.mult.get();
    comp_hist_ = s.hist_a;
  }
  return comp_.get();
}

const QuantizedWeight& WeightCache::get(const at::Tensor& w2d, const Multiplier& m,
                                        WeightGranularity g, const std::string& name,
                                        const CompensationTable* comp) {
  const void* data = w2d.data_ptr();
  const int64_t version = w2d._version();
  if (data != data_ || version != version_ || &m != mult_ || g != g_) {
    q_ = quantize_weight(w2d, m.is_signed, g, name);
    data_ = data;
    version_ = version;
    mult_ = &m;
    g_ = g;
    has_comp_ = false;
    q_.corr = at::Tensor();
  }
  if (!comp) {
    has_comp_ = false;
    q_.corr = at::Tensor();
  } else if (!has_comp_ || *comp != comp_) {
    q_.corr = compensation_corr(q_.codes, *comp);
    comp_ = *comp;
    has_comp_ = true;
  }
  return q_;
}

namespace {

void add_histogram(std::array<double, 256>& h, const at::Tensor& codes, int64_t uses) {
  const at::Tensor counts = at::bincount(codes.reshape({-1}).to(at::kLong), {}, 256).to(at::kCPU).to(at::kDouble).contiguous();
  const double* c = counts.data_ptr<double>();
  for (int i = 0; i < 256; ++i) h[size_t(i)] += c[i] * double(uses);
}

void offer_rows(std::vector<uint8_t>& kept, int64_t& seen, const at::Tensor& codes, int64_t max_rows, uint64_t seed) {
  const at::Tensor c = codes.to(at::kCPU).contiguous();  // read on the host
  const int64_t rows = c.size(0), k = c.size(1);
  const uint8_t* p = c.data_ptr<uint8_t>();
  for (int64_t r = 0; r < rows; ++r, ++seen) {
    const int64_t have = int64_t(kept.size()) / std::max<int64_t>(1, k);
    int64_t slot = have;
    if (have >= max_rows) {
      slot = int64_t(mix64(seed ^ mix64(uint64_t(seen))) % uint64_t(seen + 1));
      if (slot >= max_rows) continue;
    }
    if (slot == have) kept.insert(kept.end(), p + r * k, p + (r + 1) * k);
    else std::copy(p + r * k, p + (r + 1) * k, kept.begin() + slot * k);
  }
}

}  // namespace

void OperandRecorder::record(const at::Tensor& a_codes, int64_t n, const at::Tensor& b_codes, int64_t m,
                             bool b_is_weight) {
  if (a_codes.dim() != 2 || b_codes.dim() != 2 || a_codes.size(1) != b_codes.size(1)) {
    throw Error("EMU-032", "operand recorder: A must be [M, K] and B [N, K] codes with the same K");
  }
  add_histogram(hist_a, a_codes, n);
  add_histogram(hist_b, b_codes, m);
  macs += a_codes.numel() * n;
  if (max_rows <= 0) return;
  if (k == 0) k = a_codes.size(1);
  if (k != a_codes.size(1)) return;  // another reduction size (not one layer): keep the first
  offer_rows(rows_a, seen_a, a_codes, max_rows, seed);
  if (!b_is_weight || seen_b == 0) offer_rows(rows_b, seen_b, b_codes, max_rows, seed + 1);
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
  last_gemm_ = {weight.size(1) ? x.numel() / weight.size(1) : 0, weight.size(1), weight.size(0), 1};
  if (!q) return at::linear(x, weight, opt(bias));
  const LayerState& s = state();
  const std::string name = layer_name(s, "linear");
  const CompensationTable* comp = compensation();
  const QuantizedWeight& qw = cache_.get(weight, *s.mult, s.weight_granularity, name, comp);
  for (const auto* rec : {&s.recorder, &s.hist_recorder}) {
    if (!*rec) continue;
    const at::Tensor a = quantize(x.reshape({-1, weight.size(1)}), (*q)[0], s.mult->is_signed, name);
    (*rec)->record(a, weight.size(0), qw.codes, a.size(0), true);
  }
  return approx_linear(x, weight, opt(bias), *s.mult, (*q)[0], s.weight_granularity, name, &qw,
                       s.matmul_path, comp);
}

namespace {

/// A convolution as GEMMs: per group, output positions × (in/groups·kh·kw) × (out/groups).
ApproxLayer::GemmShape conv_gemm(const at::Tensor& y, const at::Tensor& weight, int64_t groups) {
  groups = std::max<int64_t>(1, groups);
  const int64_t out = weight.size(0), positions = out ? y.numel() / out : 0;
  return {positions, weight.numel() / std::max<int64_t>(1, out), out / groups, groups};
}

}  // namespace

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
    last_gemm_ = conv_gemm(y, weight, g.groups);
    return y;
  }
  const LayerState& s = state();
  const std::string name = layer_name(s, "conv2d");
  const at::Tensor w2 = weight.reshape({weight.size(0), -1});
  const CompensationTable* comp = compensation();
  const QuantizedWeight& qw = cache_.get(w2, *s.mult, s.weight_granularity, name, comp);
  at::Tensor y = approx_conv2d(x, weight, opt(bias), g, *s.mult, (*q)[0], s.weight_granularity, name, &qw,
                               s.matmul_path, comp);
  last_macs_ = y.numel() * (weight.numel() / weight.size(0));
  last_gemm_ = conv_gemm(y, weight, g.groups);
  for (const auto& rec : {s.recorder, s.hist_recorder}) {
    if (!rec) continue;
    // im2col of the codes, padded with the zero point's code as approx_conv2d pads. Rows are
    // output positions, K runs over (channel, kh, kw) like the reshaped weight.
    const at::Tensor c = quantize(x, (*q)[0], s.mult->is_signed, name).to(at::kFloat);
    const at::Tensor padded = at::constant_pad_nd(c, {g.padding[1], g.padding[1], g.padding[0], g.padding[0]},
                                                  double(s.mult->is_signed ? 0 : (*q)[0].zero_point));
    const at::Tensor cols = at::im2col(padded, {weight.size(2), weight.size(3)}, {g.dilation[0], g.dilation[1]},
                                       {0, 0}, {g.stride[0], g.stride[1]});  // [B, C·kh·kw, L]
    const at::Tensor a = cols.transpose(1, 2).reshape({-1, cols.size(1)}).to(at::kByte);
    const int64_t groups = std::max<int64_t>(1, g.groups), kg = a.size(1) / groups, ng = weight.size(0) / groups;
    const bool first = rec->seen_b == 0;  // weights: every group's, in the first forward only
    for (int64_t gi = 0; gi < groups; ++gi) {    // each group is its own product
      rec->record(a.narrow(1, gi * kg, kg), ng, qw.codes.narrow(0, gi * ng, ng), a.size(0), !first);
    }
  }
  return y;
}

ApproxMatmulImpl::ApproxMatmulImpl() : ApproxLayer(LayerKind::matmul) {}

at::Tensor ApproxMatmulImpl::forward(const at::Tensor& a, const at::Tensor& b) {
  const auto q = prepare({&a, &b});
  last_macs_ = a.numel() * (b.dim() ? b.size(-1) : 1);
  if (a.dim() >= 2 && b.dim() >= 2 && a.size(-1) > 0 && a.size(-2) > 0) {
    last_gemm_ = {a.size(-2), a.size(-1), b.size(-1), a.numel() / (a.size(-2) * a.size(-1))};
  }
  if (!q) return at::matmul(a, b);
  const LayerState& s = state();
  for (const auto& rec : {s.recorder, s.hist_recorder}) {
    if (!rec) continue;
    const std::string name = layer_name(s, "matmul");
    const int64_t K = a.size(-1);
    const at::Tensor ca = quantize(a, (*q)[0], s.mult->is_signed, name).reshape({-1, K});
    const at::Tensor cb = quantize(b, (*q)[1], s.mult->is_signed, name).transpose(-2, -1).reshape({-1, K});
    rec->record(ca, b.size(-1), cb, a.size(-2), false);
  }
  return approx_matmul(a, b, *s.mult, (*q)[0], (*q)[1], layer_name(s, "matmul"), s.matmul_path, compensation());
}

}  // namespace axx::emu
