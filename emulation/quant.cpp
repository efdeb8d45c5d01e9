// transaxx emulation — 8-bit quantization (see quant.hpp for the scheme).
#include "emulation/quant.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/error.hpp"

namespace axx::emu {

void check_finite(const at::Tensor& x, const std::string& what) {
  if (x.numel() > 0 && !at::isfinite(x).all().item<bool>()) {
    throw Error("EMU-030", fmt::format("{}: input holds NaN or Inf values; fix the data or the "
                                       "preceding layer (an FP32 run shows where it starts)",
                                       what));
  }
}

QParams qparams_from_range(double lo, double hi, bool is_signed) {
  lo = std::min(lo, 0.0);
  hi = std::max(hi, 0.0);
  QParams q;
  if (is_signed) {
    const double amax = std::max(-lo, hi);
    q.scale = amax > 0 ? float(amax / 127.0) : 1.f;
    q.zero_point = 0;
  } else {
    q.scale = hi > lo ? float((hi - lo) / 255.0) : 1.f;
    q.zero_point = int32_t(std::clamp(std::nearbyint(-lo / double(q.scale)), 0.0, 255.0));
  }
  return q;
}

namespace {

// Integer-valued float codes q (before the final cast), for per-tensor or broadcast params.
at::Tensor codes_float(const at::Tensor& x, const at::Tensor& scale, const at::Tensor& zp,
                       bool is_signed) {
  at::Tensor q = at::round(x.to(at::kFloat) / scale);  // round half to even, as hardware does
  if (is_signed) return q.clamp_(-128, 127);
  return q.add_(zp).clamp_(0, 255);
}

at::Tensor to_code_bytes(const at::Tensor& qf, bool is_signed) {
  return is_signed ? qf.to(at::kChar).view(at::kByte) : qf.to(at::kByte);
}

}  // namespace

at::Tensor quantize(const at::Tensor& x, const QParams& qp, bool is_signed, const std::string& what) {
  check_finite(x, what);
  at::Tensor q = at::round(x.to(at::kFloat) / qp.scale);
  if (is_signed) return q.clamp_(-128, 127).to(at::kChar).view(at::kByte);
  return q.add_(qp.zero_point).clamp_(0, 255).to(at::kByte);
}

at::Tensor dequantize(const at::Tensor& codes, const QParams& qp, bool is_signed) {
  at::Tensor v = is_signed ? codes.view(at::kChar).to(at::kFloat) : codes.to(at::kFloat);
  if (!is_signed) v.sub_(qp.zero_point);
  return v.mul_(qp.scale);
}

at::Tensor fake_quantize(const at::Tensor& x, const QParams& qp, bool is_signed) {
  at::Tensor q = at::round(x.to(at::kFloat) / qp.scale);
  if (is_signed) return q.clamp_(-128, 127).mul_(qp.scale);
  return q.add_(qp.zero_point).clamp_(0, 255).sub_(qp.zero_point).mul_(qp.scale);
}

QuantizedWeight quantize_weight(const at::Tensor& w2d, bool is_signed, WeightGranularity g,
                                const std::string& what) {
  check_finite(w2d, what + " (weight)");
  const at::Tensor w = w2d.detach().to(at::kFloat);
  const int64_t N = w.size(0);
  at::Tensor lo, hi;
  if (g == WeightGranularity::per_channel && w.size(1) > 0) {
    lo = std::get<0>(w.min(1)).clamp_max(0);
    hi = std::get<0>(w.max(1)).clamp_min(0);
  } else {
    const float l = w.numel() ? std::min(w.min().item<float>(), 0.f) : 0.f;
    const float h = w.numel() ? std::max(w.max().item<float>(), 0.f) : 0.f;
    lo = at::full({N}, l, w.options());
    hi = at::full({N}, h, w.options());
  }
  QuantizedWeight q;
  // Same formulas as qparams_from_range, vectorized over rows.
  if (is_signed) {
    at::Tensor amax = at::maximum(-lo, hi);
    q.scale = at::where(amax > 0, amax / 127.0, at::ones_like(amax));
    q.zero_point = at::zeros({N}, w.options().dtype(at::kInt));
  } else {
    at::Tensor span = hi - lo;
    q.scale = at::where(span > 0, span / 255.0, at::ones_like(span));
    q.zero_point = at::round(-lo / q.scale).clamp_(0, 255).to(at::kInt);
  }
  q.codes = to_code_bytes(codes_float(w, q.scale.unsqueeze(1), q.zero_point.unsqueeze(1), is_signed),
                          is_signed);
  return q;
}

at::Tensor fake_quantize_weight(const at::Tensor& w2d, const QuantizedWeight& q, bool is_signed) {
  const at::Tensor s = q.scale.unsqueeze(1), z = q.zero_point.unsqueeze(1).to(at::kFloat);
  at::Tensor f = codes_float(w2d, s, z, is_signed);
  if (!is_signed) f.sub_(z);
  return f.mul_(s);
}

}  // namespace axx::emu
