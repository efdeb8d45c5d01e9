// transaxx emulation — approximate Linear / Conv2d / batched matmul with an STE backward.
#include "emulation/ops.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <torch/csrc/autograd/custom_function.h>

#include <functional>

#include "common/error.hpp"

namespace axx::emu {

namespace {

enum Kind : int64_t { kLinear = 0, kConv = 1, kMatmul = 2 };

[[noreturn]] void shape_error(const std::string& name, const std::string& what) {
  throw Error("EMU-031", fmt::format("{}: {}", name, what));
}

// Float codes centred on the zero point, q − z, saturated; integer-valued.
at::Tensor centred_codes(const at::Tensor& x, const QParams& qp, bool is_signed) {
  at::Tensor q = at::round(x.to(at::kFloat) / qp.scale);
  if (is_signed) return q.clamp_(-128, 127);
  return q.clamp_(-qp.zero_point, 255 - qp.zero_point);
}

// Gradient mask of the activation quantizer: 1 inside the representable range, 0 outside.
at::Tensor range_mask(const at::Tensor& x, const QParams& qp, bool is_signed) {
  const double lo = is_signed ? -128.0 * qp.scale : double(-qp.zero_point) * qp.scale;
  const double hi = is_signed ? 127.0 * qp.scale : double(255 - qp.zero_point) * qp.scale;
  return ((x >= lo) & (x <= hi)).to(x.scalar_type());
}

struct SteArgs {
  Kind kind = kLinear;
  std::function<at::Tensor()> approx;  // the approximate forward (no autograd)
  at::Tensor a_fq, a_mask, b_fq, b_mask;
  Conv2dGeometry geo;
};

// forward: approximate result; backward: gradient of the fake-quantized exact product.
class SteFunction : public torch::autograd::Function<SteFunction> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& a,
                            const at::Tensor& b, const at::Tensor& bias, SteArgs* args) {
    ctx->save_for_backward({args->a_fq, args->a_mask, args->b_fq, args->b_mask});
    ctx->saved_data["kind"] = int64_t(args->kind);
    ctx->saved_data["has_bias"] = bias.numel() > 0;
    const auto& g = args->geo;
    ctx->saved_data["stride"] = std::vector<int64_t>{g.stride[0], g.stride[1]};
    ctx->saved_data["padding"] = std::vector<int64_t>{g.padding[0], g.padding[1]};
    ctx->saved_data["dilation"] = std::vector<int64_t>{g.dilation[0], g.dilation[1]};
    ctx->saved_data["groups"] = g.groups;
    return args->approx();
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &a_fq = saved[0], &a_mask = saved[1], &b_fq = saved[2], &b_mask = saved[3];
    const at::Tensor& go = grads[0];
    const auto kind = Kind(ctx->saved_data["kind"].toInt());
    const bool has_bias = ctx->saved_data["has_bias"].toBool();
    at::Tensor ga, gb, gbias;
    if (kind == kLinear) {
      const int64_t N = b_fq.size(0), K = b_fq.size(1);
      ga = at::matmul(go, b_fq);
      const at::Tensor go2 = go.reshape({-1, N});
      gb = at::mm(go2.t(), a_fq.reshape({-1, K}));
      if (has_bias) gbias = go2.sum(0);
    } else if (kind == kConv) {
      const auto stride = ctx->saved_data["stride"].toIntVector();
      const auto padding = ctx->saved_data["padding"].toIntVector();
      const auto dilation = ctx->saved_data["dilation"].toIntVector();
      const int64_t groups = ctx->saved_data["groups"].toInt();
      const std::vector<int64_t> bias_sizes{b_fq.size(0)};
      auto r = at::convolution_backward(
          go, a_fq, b_fq, has_bias ? at::OptionalIntArrayRef(bias_sizes) : c10::nullopt, stride,
          padding, dilation, false, {0, 0}, groups, {true, true, has_bias});
      ga = std::get<0>(r);
      gb = std::get<1>(r);
      if (has_bias) gbias = std::get<2>(r);
    } else {
      ga = at::matmul(go, b_fq.transpose(-1, -2));
      gb = at::matmul(a_fq.transpose(-1, -2), go);
    }
    if (a_mask.defined()) ga = ga * a_mask;
    if (b_mask.defined()) gb = gb * b_mask;
    return {ga, gb, gbias, at::Tensor()};
  }
};

// LibTorch 1.13 custom functions cannot take undefined tensors: "no bias" is an empty one.
at::Tensor bias_or_empty(const c10::optional<at::Tensor>& b) {
  return b && b->defined() ? *b : at::empty({0});
}

bool wants_grad(const at::Tensor& a, const at::Tensor& b, const c10::optional<at::Tensor>& bias) {
  return at::GradMode::is_enabled() &&
         (a.requires_grad() || b.requires_grad() || (bias && bias->defined() && bias->requires_grad()));
}

// acc: float accumulators (see accumulate_float), [M, N].
at::Tensor dequant_rows(at::Tensor acc, const at::Tensor& scale_n,
                        const c10::optional<at::Tensor>& bias) {
  at::Tensor y = acc.mul_(scale_n.unsqueeze(0));
  if (bias && bias->defined()) y.add_(bias->detach().to(at::kFloat).unsqueeze(0));
  return y;
}

}  // namespace

namespace {

// The accumulators as float values, float(acc) exactly as quantized_matmul_int(...).to(float)
// would give them, with fewer passes over [M, N]: an exact signed table with K ≤ 1024 is one
// float GEMM of the codes (every partial sum is an integer below 2^24, so the float result is
// the integer itself); otherwise the int32 LUT sums (plus exact int64 zero-point terms for
// unsigned multipliers) converted once.
at::Tensor accumulate_float(const at::Tensor& qa, int32_t za, const at::Tensor& qw,
                            const at::Tensor& zw, const Multiplier& mult) {
  if (mult.is_signed && mult.is_exact() && qa.size(1) <= 1024 && !qa.is_cuda()) {
    return at::mm(qa.view(at::kChar).to(at::kFloat), qw.view(at::kChar).to(at::kFloat).t());
  }
  if (mult.is_signed) return lut_matmul(qa, qw, mult).to(at::kFloat);
  return quantized_matmul_int(qa, za, qw, zw, mult).to(at::kFloat);
}

}  // namespace

at::Tensor quantized_matmul_int(const at::Tensor& qa, int32_t za, const at::Tensor& qw,
                                const at::Tensor& zw, const Multiplier& mult, MatmulPath path) {
  at::Tensor acc = lut_matmul(qa, qw, mult, path).to(at::kLong);
  if (mult.is_signed) return acc;
  const int64_t K = qa.size(1);
  const at::Tensor zwl = zw.to(at::kLong).to(acc.device()).unsqueeze(0);  // [1, N]
  const at::Tensor rows = qa.to(at::kLong).sum(1, false, at::kLong).unsqueeze(1);  // [M, 1]
  const at::Tensor cols = qw.to(at::kLong).sum(1, false, at::kLong).unsqueeze(0);  // [1, N]
  acc.sub_(rows * zwl).sub_(cols * int64_t(za)).add_(zwl * (K * int64_t(za)));
  return acc;
}

at::Tensor approx_linear(const at::Tensor& x, const at::Tensor& weight,
                         const c10::optional<at::Tensor>& bias, const Multiplier& mult,
                         const QParams& act, WeightGranularity wg, const std::string& name,
                         const QuantizedWeight* qw_cached) {
  if (weight.dim() != 2) shape_error(name, fmt::format("weight must be [N, K], got {} dims", weight.dim()));
  const int64_t N = weight.size(0), K = weight.size(1);
  if (x.dim() < 1 || x.size(-1) != K) {
    shape_error(name, fmt::format("input's last dim is {} but the weight expects K = {}",
                                  x.dim() ? x.size(-1) : 0, K));
  }
  if (bias && bias->defined() && (bias->dim() != 1 || bias->size(0) != N)) {
    shape_error(name, fmt::format("bias must be [{}]", N));
  }
  QuantizedWeight local;
  if (!qw_cached) local = quantize_weight(weight, mult.is_signed, wg, name);
  const QuantizedWeight& qw = qw_cached ? *qw_cached : local;
  auto out_sizes = x.sizes().vec();
  out_sizes.back() = N;
  auto approx = [&]() {
    const at::Tensor x2 = x.detach().reshape({-1, K});
    at::Tensor acc;
    if (mult.is_signed && mult.is_exact() && K <= 1024 && !x.is_cuda()) {
      // Same numbers as the path below (see accumulate_float), two passes over x fewer: the
      // float codes go straight into the exact float GEMM.
      check_finite(x2, name);
      acc = at::mm(centred_codes(x2, act, true), qw.codes.view(at::kChar).to(at::kFloat).t());
    } else {
      const at::Tensor qa = quantize(x2, act, mult.is_signed, name);
      acc = accumulate_float(qa, act.zero_point, qw.codes, qw.zero_point, mult);
    }
    return dequant_rows(std::move(acc), qw.scale * act.scale, bias).reshape(out_sizes);
  };
  if (!wants_grad(x, weight, bias)) return approx();
  check_finite(x, name);
  SteArgs args;
  args.kind = kLinear;
  args.approx = approx;
  args.a_fq = fake_quantize(x.detach(), act, mult.is_signed);
  args.a_mask = range_mask(x.detach(), act, mult.is_signed);
  args.b_fq = fake_quantize_weight(weight.detach(), qw, mult.is_signed);
  return SteFunction::apply(x, weight, bias_or_empty(bias), &args);
}

at::Tensor approx_conv2d(const at::Tensor& x, const at::Tensor& weight,
                         const c10::optional<at::Tensor>& bias, const Conv2dGeometry& geo,
                         const Multiplier& mult, const QParams& act, WeightGranularity wg,
                         const std::string& name, const QuantizedWeight* qw_cached) {
  if (x.dim() != 4 || weight.dim() != 4) {
    shape_error(name, fmt::format("conv2d needs a [B, C, H, W] input and a [Cout, C/groups, kh, "
                                  "kw] weight, got {} and {} dims",
                                  x.dim(), weight.dim()));
  }
  const int64_t B = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const int64_t Cout = weight.size(0), Cg = weight.size(1), kh = weight.size(2), kw = weight.size(3);
  const int64_t G = geo.groups;
  if (G < 1 || C != Cg * G || Cout % G != 0) {
    shape_error(name, fmt::format("input has {} channels, weight expects {} × groups {} and Cout "
                                  "{} divisible by groups",
                                  C, Cg, G, Cout));
  }
  const int64_t Ho = (H + 2 * geo.padding[0] - geo.dilation[0] * (kh - 1) - 1) / geo.stride[0] + 1;
  const int64_t Wo = (W + 2 * geo.padding[1] - geo.dilation[1] * (kw - 1) - 1) / geo.stride[1] + 1;
  if (Ho < 1 || Wo < 1) shape_error(name, fmt::format("input {}x{} is smaller than the kernel", H, W));
  const at::Tensor w2 = weight.reshape({Cout, Cg * kh * kw});
  QuantizedWeight local;
  if (!qw_cached) local = quantize_weight(w2, mult.is_signed, wg, name);
  const QuantizedWeight& qw = qw_cached ? *qw_cached : local;
  auto approx = [&]() {
    check_finite(x, name);
    // Unfold centred codes: the zero padding im2col inserts is then exactly the zero point.
    const at::Tensor qc = centred_codes(x.detach(), act, mult.is_signed);
    const at::Tensor cols = at::im2col(qc, {kh, kw}, {geo.dilation[0], geo.dilation[1]},
                                       {geo.padding[0], geo.padding[1]}, {geo.stride[0], geo.stride[1]});
    const int64_t L = cols.size(2), Kg = Cg * kh * kw, Ng = Cout / G;
    std::vector<at::Tensor> parts;
    for (int64_t g = 0; g < G; ++g) {
      at::Tensor cg = cols.narrow(1, g * Kg, Kg).transpose(1, 2).reshape({B * L, Kg});
      const at::Tensor codes = mult.is_signed ? cg.to(at::kChar).view(at::kByte)
                                              : cg.add(act.zero_point).to(at::kByte);
      parts.push_back(accumulate_float(codes, act.zero_point, qw.codes.narrow(0, g * Ng, Ng),
                                           qw.zero_point.narrow(0, g * Ng, Ng), mult));
    }
    const at::Tensor acc = G == 1 ? parts[0] : at::cat(parts, 1);
    return dequant_rows(acc, qw.scale * act.scale, bias)
        .reshape({B, L, Cout})
        .permute({0, 2, 1})
        .reshape({B, Cout, Ho, Wo});
  };
  if (!wants_grad(x, weight, bias)) return approx();
  check_finite(x, name);
  SteArgs args;
  args.kind = kConv;
  args.approx = approx;
  args.geo = geo;
  args.a_fq = fake_quantize(x.detach(), act, mult.is_signed);
  args.a_mask = range_mask(x.detach(), act, mult.is_signed);
  args.b_fq = fake_quantize_weight(w2.detach(), qw, mult.is_signed).reshape(weight.sizes());
  return SteFunction::apply(x, weight, bias_or_empty(bias), &args);
}

at::Tensor approx_matmul(const at::Tensor& a, const at::Tensor& b, const Multiplier& mult,
                         const QParams& qa, const QParams& qb, const std::string& name) {
  if (a.dim() < 2 || b.dim() != a.dim() || a.sizes().slice(0, a.dim() - 2) != b.sizes().slice(0, b.dim() - 2) ||
      a.size(-1) != b.size(-2)) {
    shape_error(name, fmt::format("matmul needs a [..., M, K] and b [..., K, N] with equal batch "
                                  "dims, got [{}] and [{}]",
                                  fmt::join(a.sizes(), ", "), fmt::join(b.sizes(), ", ")));
  }
  const int64_t M = a.size(-2), K = a.size(-1), N = b.size(-1);
  auto out_sizes = a.sizes().vec();
  out_sizes.back() = N;
  auto approx = [&]() {
    const at::Tensor ca = quantize(a.detach(), qa, mult.is_signed, name + " (operand a)");
    const at::Tensor cb = quantize(b.detach(), qb, mult.is_signed, name + " (operand b)");
    const at::Tensor a3 = ca.reshape({-1, M, K});
    const at::Tensor b3 = cb.reshape({-1, K, N}).transpose(1, 2).contiguous();  // [batch, N, K]
    at::Tensor acc = lut_bmm(a3, b3, mult).to(at::kLong);  // [batch, M, N]
    if (!mult.is_signed) {  // exact zero-point terms, as in quantized_matmul_int
      const int64_t za = qa.zero_point, zb = qb.zero_point;
      acc.sub_(a3.to(at::kLong).sum(2, true) * zb)
          .sub_(b3.to(at::kLong).sum(2).unsqueeze(1) * za)
          .add_(K * za * zb);
    }
    at::Tensor out = acc.to(at::kFloat).mul_(qa.scale * qb.scale);
    return out.reshape(out_sizes);
  };
  if (!wants_grad(a, b, c10::nullopt)) return approx();
  SteArgs args;
  args.kind = kMatmul;
  args.approx = approx;
  args.a_fq = fake_quantize(a.detach(), qa, mult.is_signed);
  args.a_mask = range_mask(a.detach(), qa, mult.is_signed);
  args.b_fq = fake_quantize(b.detach(), qb, mult.is_signed);
  args.b_mask = range_mask(b.detach(), qb, mult.is_signed);
  return SteFunction::apply(a, b, at::empty({0}), &args);
}

}  // namespace axx::emu
