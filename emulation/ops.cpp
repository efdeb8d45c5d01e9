// transaxx emulation — approximate Linear / Conv2d / batched matmul with an STE backward.
#include "emulation/ops.hpp"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <torch/csrc/autograd/custom_function.h>

#include <atomic>
#include <functional>
#include <tuple>
#include <vector>

#include "common/error.hpp"
#include "emulation/lut_grad.hpp"

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
  // LUT gradients (GradientMode::lut, lut_grad.hpp): the operands' codes, batched as
  // lut_product_grads takes them (conv: [groups, B·L, Kg] im2col codes and [groups, Ng, Kg]),
  // the scales and zero points, and the derivative tables. Undefined tables = STE.
  at::Tensor tables, qa, qb, sb, zb;
  double sa = 1;
  int64_t za = 0;
  std::vector<int64_t> in_size, kernel;  // conv: [H, W], [kh, kw]
};

// The LUT-gradient part of the STE arguments (lut_grad.hpp) when this thread asks for it; with
// compensation, the derivative tables of the compensated product lut[a][b] − t[b].
bool lut_gradients(const Multiplier& mult, SteArgs& args, const CompensationTable* comp) {
  if (gradient_mode() != GradientMode::lut) return false;
  args.tables = lut_derivative_tables(mult);
  if (comp) args.tables = compensated_derivative_tables(args.tables, *comp, mult.is_signed);
  return true;
}

// Backward of SteFunction with LUT gradients: {∂L/∂a, ∂L/∂b} unmasked, in the operands' shapes.
std::pair<at::Tensor, at::Tensor> lut_backward(torch::autograd::AutogradContext* ctx, Kind kind,
                                               const at::Tensor& go_in, const at::Tensor& a_fq,
                                               const at::Tensor& b_fq) {
  auto& d = ctx->saved_data;
  const at::Tensor tables = d["tables"].toTensor(), qa = d["qa"].toTensor(), qb = d["qb"].toTensor();
  const at::Tensor sb = d["sb"].toTensor(), zb = d["zb"].toTensor();
  const float sa = float(d["sa"].toDouble());
  const int32_t za = int32_t(d["za"].toInt());
  const at::Tensor go = go_in.detach().to(at::kCPU).to(at::kFloat);
  const auto dev = a_fq.device();
  if (kind == kLinear) {
    const int64_t N = qb.size(1);
    auto r = lut_product_grads(go.reshape({1, -1, N}), qa, sa, za, qb, sb, zb, tables, true, true);
    return {r.first.reshape(a_fq.sizes()).to(dev), r.second.reshape(b_fq.sizes()).to(dev)};
  }
  if (kind == kMatmul) {
    const int64_t Bt = qa.size(0), M = qa.size(1), N = qb.size(1);
    auto r = lut_product_grads(go.reshape({Bt, M, N}), qa, sa, za, qb, sb, zb, tables, true, true);
    return {r.first.reshape(a_fq.sizes()).to(dev),
            r.second.transpose(1, 2).reshape(b_fq.sizes()).to(dev)};
  }
  // Conv: the product per group on the im2col codes, then col2im sums the columns back.
  const auto in_size = d["in_size"].toIntVector(), kernel = d["kernel"].toIntVector();
  const auto stride = d["stride"].toIntVector(), padding = d["padding"].toIntVector();
  const auto dilation = d["dilation"].toIntVector();
  const int64_t G = qa.size(0), BL = qa.size(1), Kg = qa.size(2), Ng = qb.size(1);
  const int64_t B = go.size(0), Cout = go.size(1), L = BL / B;
  const at::Tensor go2 = go.reshape({B, Cout, L}).permute({0, 2, 1}).reshape({BL, Cout});
  std::vector<at::Tensor> gcols, gw;
  for (int64_t g = 0; g < G; ++g) {
    auto r = lut_product_grads(go2.narrow(1, g * Ng, Ng).unsqueeze(0), qa.narrow(0, g, 1), sa, za,
                               qb.narrow(0, g, 1), sb.narrow(0, g * Ng, Ng), zb.narrow(0, g * Ng, Ng),
                               tables, true, true);
    gcols.push_back(r.first.squeeze(0));
    gw.push_back(r.second.squeeze(0));
  }
  const at::Tensor cols = at::cat(gcols, 1).reshape({B, L, G * Kg}).transpose(1, 2);
  const at::Tensor gx = at::col2im(cols, in_size, kernel, dilation, padding, stride);
  return {gx.to(dev), at::cat(gw, 0).reshape(b_fq.sizes()).to(dev)};
}

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
    if (args->tables.defined()) {
      auto& d = ctx->saved_data;
      d["tables"] = args->tables;
      d["qa"] = args->qa;
      d["qb"] = args->qb;
      d["sb"] = args->sb;
      d["zb"] = args->zb;
      d["sa"] = args->sa;
      d["za"] = args->za;
      d["in_size"] = args->in_size;
      d["kernel"] = args->kernel;
    }
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
    if (ctx->saved_data.count("tables")) {
      std::tie(ga, gb) = lut_backward(ctx, kind, go, a_fq, b_fq);
      if (has_bias) gbias = kind == kConv ? go.sum({0, 2, 3}) : go.reshape({-1, go.size(-1)}).sum(0);
    } else if (kind == kLinear) {
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

// ---- The fused CPU path of non-exact tables (or a forced LUT kernel) ---------------------
//
// The same numbers as quantize() → lut_matmul → zero-point terms in int64 → float → · scale
// → + bias, in three passes over memory instead of about a dozen tensor ops: one quantizes
// (and sums each row's codes for the zero-point terms), the LUT GEMM, one epilogue writes the
// float result. Every float operation is the one the tensor ops do, in the same order (ops.cpp
// is built with -ffp-contract=off so no multiply-add is fused), hence bit-identical; the
// tests compare both.

// Exact tables take it too for narrow products (N < kSharedMinColumns: a small model's layers,
// every attention product) where the AVX-512 LUT kernels run: there they beat the float-BLAS
// path and its tensor ops, with the same numbers (measured: exact 8-bit eval of the Fashion-MNIST
// ViT 892 -> 2,100 images/s; mixed configs, mostly exact layers, are what sensitivity and search
// evaluate). Wide exact layers stay on BLAS, which is faster there.
bool use_fused(const at::Tensor& x, const Multiplier& mult, MatmulPath path, int64_t N) {
  if (x.is_cuda()) return false;
  if (path == MatmulPath::lut) return true;
  if (path != MatmulPath::automatic) return false;
  return !mult.is_exact() ||
         (N < kSharedMinColumns && avx512_kernels_apply(*mult.table));
}

// The element loops below are built twice, for AVX2 and for the x86-64 baseline, and picked
// at load time by the CPU (GCC function multi-versioning). Neither clone enables FMA.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define AXX_VEC_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define AXX_VEC_CLONES
#endif

// round-half-even of v for |v| ≤ 2^22 in the default rounding mode (what at::round does), with
// two adds instead of a libm call per element.
inline float round_even(float v) {
  constexpr float kMagic = 12582912.f;  // 1.5 · 2^23
  return (v + kMagic) - kMagic;
}

// Codes of n contiguous values: round(x / s) saturated to [lo, hi], plus `add` (the zero point
// for unsigned codes). Clamping before rounding gives the codes rounding first would (the bounds
// are integers) and keeps |v| small enough for round_even; max(lo, ·) first maps a NaN to lo, so
// no NaN reaches the int conversion (undefined behaviour). *sum = Σ codes. Returns nonzero when
// a value is NaN or ±Inf (x·0 is then not 0); the caller throws.
AXX_VEC_CLONES
int32_t quantize_contig(const float* x, int64_t n, float scale, float lo, float hi, int32_t add,
                        uint8_t* out, int32_t* sum) {
  int32_t bad = 0, s = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float v0 = x[i];
    bad |= int32_t(!(v0 * 0.f == 0.f));
    const float v = round_even(std::min(hi, std::max(lo, v0 / scale)));
    const int32_t c = int32_t(v) + add;
    out[i] = uint8_t(c);
    s += c;
  }
  *sum = s;
  return bad;
}

// The same for strided input/output (operands that are views; attention·V's V).
int32_t quantize_strided(const float* x, int64_t stride, int64_t n, float scale, float lo, float hi,
                         int32_t add, uint8_t* out, int64_t out_stride, int32_t* sum) {
  int32_t bad = 0, s = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float v0 = x[i * stride];
    bad |= int32_t(!(v0 * 0.f == 0.f));
    const float v = round_even(std::min(hi, std::max(lo, v0 / scale)));
    const int32_t c = int32_t(v) + add;
    out[i * out_stride] = uint8_t(c);
    s += c;
  }
  *sum = s;
  return bad;
}

struct CodeRange {
  float lo, hi;
  int32_t add;
};
CodeRange code_range(const QParams& q, bool is_signed) {
  if (is_signed) return {-128.f, 127.f, 0};
  return {float(-q.zero_point), float(255 - q.zero_point), q.zero_point};
}

// One output row: y = float(acc) · scale[n] (+ bias[n]), a multiply then an add as the tensor
// ops do them. Signed: acc = c (the int32 LUT sum, wrapping like the kernels).
AXX_VEC_CLONES
void dequant_row_signed(const int32_t* c, int64_t N, const float* scale, const float* bias, float* y) {
  if (bias) {
    for (int64_t n = 0; n < N; ++n) y[n] = float(c[n]) * scale[n] + bias[n];
  } else {
    for (int64_t n = 0; n < N; ++n) y[n] = float(c[n]) * scale[n];
  }
}

// Unsigned: acc = c − z_w[n]·Σ_k q_a + (z_w[n]·K·z_a − z_a·Σ_k q_w[n]) = c + colterm[n] − zw[n]·rs.
// int32 is exact here: with K ≤ kInt32K every term and every partial sum is below 2^31
// (|c| ≤ K·65535, |z·Σq| ≤ K·255², four such terms).
constexpr int64_t kInt32K = 4096;
AXX_VEC_CLONES
void dequant_row_unsigned(const int32_t* c, int64_t N, const int32_t* colterm, const int32_t* zw,
                          int32_t rs, const float* scale, const float* bias, float* y) {
  if (bias) {
    for (int64_t n = 0; n < N; ++n) y[n] = float(c[n] + colterm[n] - zw[n] * rs) * scale[n] + bias[n];
  } else {
    for (int64_t n = 0; n < N; ++n) y[n] = float(c[n] + colterm[n] - zw[n] * rs) * scale[n];
  }
}

// Larger K: the same in int64 (as quantized_matmul_int computes it).
void dequant_row_unsigned64(const int32_t* c, int64_t N, int64_t K, int32_t za, const int32_t* zw,
                            const int32_t* col_sum, int64_t rs, const float* scale, const float* bias,
                            float* y) {
  for (int64_t n = 0; n < N; ++n) {
    const int64_t zn = zw[n];
    const int64_t acc = int64_t(c[n]) - zn * rs - int64_t(col_sum[n]) * za + zn * (K * za);
    y[n] = float(acc) * scale[n];
    if (bias) y[n] += bias[n];
  }
}

// Dequantizes rows [m0, m1) of C [M, N].
struct Epilogue {
  int64_t N = 0, K = 0;
  bool is_signed = true;
  int32_t za = 0;
  const int32_t* zw = nullptr;       // [N] unsigned only
  const int32_t* col_sum = nullptr;  // [N] Σ_k q_w, unsigned only
  const int32_t* colterm = nullptr;  // [N] unsigned, K ≤ kInt32K
  const float* scale = nullptr;      // [N]
  const float* bias = nullptr;       // [N] or null
  const int32_t* corr = nullptr;     // [N] compensation added to the LUT sums (wrapping), or null
  void rows(int32_t* C, const int32_t* rs, int64_t m0, int64_t m1, float* Y) const {
    for (int64_t m = m0; m < m1; ++m) {
      int32_t* c = C + m * N;
      float* y = Y + m * N;
      if (corr) add_compensation(c, N, corr);
      if (is_signed) {
        dequant_row_signed(c, N, scale, bias, y);
      } else if (K <= kInt32K) {
        dequant_row_unsigned(c, N, colterm, zw, rs[m], scale, bias, y);
      } else {
        dequant_row_unsigned64(c, N, K, za, zw, col_sum, rs[m], scale, bias, y);
      }
    }
  }
};

// colterm[n] = z_w[n]·K·z_a − z_a·Σ_k q_w[n] (only used when K ≤ kInt32K, where it fits).
void make_colterm(int64_t N, int64_t K, int32_t za, const int32_t* zw, const int32_t* col_sum, int32_t* out) {
  for (int64_t n = 0; n < N; ++n) out[n] = int32_t(int64_t(zw[n]) * K * za - int64_t(za) * col_sum[n]);
}

// Per-thread scratch of the fused ops (reused: no allocation in steady state).
struct Scratch {
  std::vector<uint8_t> qa, qb, tmp;
  std::vector<int32_t> rs, cs, colterm, c, zv, corr;
  std::vector<float> sv;
};
Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

// Linear on x2 [M, K] and cached weight codes: float [M, N]. One parallel region: each thread
// takes a contiguous range of 64-row blocks and, slab by slab, quantizes its rows, runs the LUT
// GEMM on them (all N columns; the weights are shared read-only) and dequantizes them, so the
// codes and the int32 sums of a slab are still in cache when the next step reads them and no
// thread waits for another between steps (barriers cost most when the cores are shared).
at::Tensor fused_linear(const at::Tensor& x2, const QuantizedWeight& qw,
                        const c10::optional<at::Tensor>& bias, const Multiplier& mult,
                        const QParams& act, const std::string& name, CpuKernel kernel,
                        const int32_t* corr) {
  const int64_t M = x2.size(0), K = x2.size(1), N = qw.codes.size(0);
  const bool sgn = mult.is_signed;
  const at::Tensor xs = x2.to(at::kFloat).contiguous();
  const float* px = xs.data_ptr<float>();
  const CodeRange cr = code_range(act, sgn);
  const at::Tensor wc = qw.codes.contiguous();
  const uint8_t* pw = wc.data_ptr<uint8_t>();
  // The scale product exactly as the tensor expression computes it.
  const at::Tensor sn = (qw.scale * act.scale).to(at::kFloat).contiguous();
  at::Tensor bf;
  if (bias && bias->defined()) bf = bias->detach().to(at::kFloat).contiguous();
  Epilogue ep;
  ep.N = N;
  ep.K = K;
  ep.is_signed = sgn;
  ep.za = act.zero_point;
  ep.scale = sn.data_ptr<float>();
  ep.bias = bf.defined() ? bf.data_ptr<float>() : nullptr;
  ep.corr = corr;
  at::Tensor zw, cs;
  std::vector<int32_t> colterm;
  if (!sgn) {
    zw = qw.zero_point.to(at::kInt).contiguous();
    cs = wc.to(at::kInt).sum(1, false, at::kInt).contiguous();
    colterm.resize(size_t(N));
    make_colterm(N, K, act.zero_point, zw.data_ptr<int32_t>(), cs.data_ptr<int32_t>(), colterm.data());
    ep.zw = zw.data_ptr<int32_t>();
    ep.col_sum = cs.data_ptr<int32_t>();
    ep.colterm = colterm.data();
  }
  at::Tensor y = at::empty({M, N}, x2.options().dtype(at::kFloat));
  float* py = y.data_ptr<float>();
  std::atomic<bool> finite{true};
  const int64_t nblk = (M + 63) / 64;
  const int64_t threads = at::in_parallel_region() ? 1 : at::get_num_threads();
  // The kernel `automatic` picks for a GEMM of these rows: the shared-tile one where it applies.
  const bool shared = kernel == CpuKernel::automatic && avx512_kernels_apply(*mult.table);
  // Codes and row sums of rows [m0, m1) into qa / rs (row m0 first); nonzero on NaN/Inf.
  auto quantize_rows = [&](int64_t m0, int64_t m1, uint8_t* qa, int32_t* rs) {
    int32_t bad = 0;
    for (int64_t m = m0; m < m1; ++m)
      bad |= quantize_contig(px + m * K, K, act.scale, cr.lo, cr.hi, cr.add, qa + (m - m0) * K, rs + (m - m0));
    return bad;
  };
  if (threads > 1 && nblk < 4 * threads && N >= kSharedMinColumns && shared) {
    // Few row blocks (one image's 197 tokens: 4) split unevenly between threads (2 blocks
    // against 1 + 5 rows). Quantize all rows, then one GEMM whose shared-tile kernel splits
    // (block, k-steps) work evenly, then dequantize: three parallel regions instead of one.
    Scratch& w = scratch();  // this thread's: the GEMM below runs outside any parallel region
    w.qa.resize(size_t(M * K));
    w.rs.resize(size_t(M));
    w.c.resize(size_t(M * N));
    uint8_t* qa = w.qa.data();
    int32_t* rs = w.rs.data();
    int32_t* c = w.c.data();
    at::parallel_for(0, M, std::max<int64_t>(1, (int64_t(1) << 16) / K), [&](int64_t m0, int64_t m1) {
      if (quantize_rows(m0, m1, qa + m0 * K, rs + m0)) finite = false;
    });
    if (!finite) check_finite(x2, name);  // throws EMU-030
    lut_gemm_cpu(*mult.table, M, N, K, qa, K, pw, K, c, N, kernel);
    at::parallel_for(0, M, std::max<int64_t>(1, (int64_t(1) << 14) / N),
                     [&](int64_t m0, int64_t m1) { ep.rows(c, rs, m0, m1, py); });
    return y;
  }
  // Slabs of 6 blocks for long rows (amortizes the kernel's per-call column sorting), 3 else;
  // 32 blocks where the shared-tile kernel takes the tokens as its columns (N < 512: a small
  // model's layers), whose tiles a slab's 2,048 tokens then share.
  const bool tokens_as_columns = N < kSharedMinColumns && N >= 64 && shared;
  const int64_t slab = tokens_as_columns ? 2048 : K >= 512 ? 384 : 192;
  const int64_t grain = std::max<int64_t>(1, (int64_t(1) << 21) / std::max<int64_t>(1, 64 * N * K));
  at::parallel_for(0, nblk, grain, [&](int64_t b0, int64_t b1) {
    Scratch& w = scratch();
    const int64_t r1 = std::min(M, b1 * 64);
    for (int64_t s0 = b0 * 64; s0 < r1; s0 += slab) {
      const int64_t rows = std::min(slab, r1 - s0);
      w.qa.resize(size_t(rows * K));
      w.rs.resize(size_t(rows));
      w.c.resize(size_t(rows * N));
      if (quantize_rows(s0, s0 + rows, w.qa.data(), w.rs.data())) {
        finite = false;
        return;
      }
      lut_gemm_cpu(*mult.table, rows, N, K, w.qa.data(), K, pw, K, w.c.data(), N, kernel);
      ep.rows(w.c.data(), w.rs.data(), 0, rows, py + s0 * N);
    }
  });
  if (!finite) check_finite(x2, name);  // throws EMU-030
  return y;
}

// Element offsets of every matrix of t [..., R, C] (batch dims flattened in row-major order),
// from its strides: views (attention's q, k, v are slices of a permuted qkv) need no copy.
std::vector<int64_t> batch_offsets(const at::Tensor& t) {
  const int64_t nb = t.dim() - 2;
  int64_t count = 1;
  for (int64_t d = 0; d < nb; ++d) count *= t.size(d);
  std::vector<int64_t> off(size_t(count), 0);
  for (int64_t i = 0; i < count; ++i) {
    int64_t rem = i, o = 0;
    for (int64_t d = nb - 1; d >= 0; --d) {
      o += (rem % t.size(d)) * t.stride(d);
      rem /= t.size(d);
    }
    off[size_t(i)] = o;
  }
  return off;
}

// Batched a·b: a [..., M, K], b [..., K, N] float (any strides, equal batch dims) → float
// [batch, M, N]. One parallel region over the batch; each matrix is quantized (b transposed to
// [N, K] on the way), multiplied and dequantized by one thread with its own scratch.
at::Tensor fused_bmm(const at::Tensor& a_in, const at::Tensor& b_in, const Multiplier& mult,
                     const QParams& qa, const QParams& qb, const std::string& name, CpuKernel kernel,
                     const CompensationTable* comp) {
  const at::Tensor a = a_in.to(at::kFloat), b = b_in.to(at::kFloat);
  const int64_t M = a.size(-2), K = a.size(-1), N = b.size(-1);
  const std::vector<int64_t> oa = batch_offsets(a), ob = batch_offsets(b);
  const int64_t Bt = int64_t(oa.size());
  const bool sgn = mult.is_signed;
  const int64_t am = a.stride(-2), ak = a.stride(-1), bk = b.stride(-2), bn = b.stride(-1);
  const float* pa = a.data_ptr<float>();
  const float* pb = b.data_ptr<float>();
  at::Tensor y = at::empty({Bt, M, N}, a.options());
  float* py = y.data_ptr<float>();
  const float s = qa.scale * qb.scale;
  const CodeRange ra = code_range(qa, sgn), rb = code_range(qb, sgn);
  std::atomic<bool> fa{true}, fb{true};
  const int64_t grain = std::max<int64_t>(1, (int64_t(1) << 20) / std::max<int64_t>(1, M * N * K));
  at::parallel_for(0, Bt, grain, [&](int64_t i0, int64_t i1) {
    Scratch& w = scratch();
    w.qa.resize(size_t(M * K));
    w.qb.resize(size_t(N * K));
    w.tmp.resize(size_t(K * N));
    w.rs.resize(size_t(M));
    w.cs.resize(size_t(N));
    w.colterm.resize(size_t(N));
    w.c.resize(size_t(M * N));
    w.sv.assign(size_t(N), s);
    w.zv.assign(size_t(N), qb.zero_point);
    w.corr.resize(size_t(N));
    Epilogue ep;
    ep.N = N;
    ep.K = K;
    ep.is_signed = sgn;
    ep.za = qa.zero_point;
    ep.zw = w.zv.data();
    ep.col_sum = w.cs.data();
    ep.colterm = w.colterm.data();
    ep.scale = w.sv.data();
    ep.corr = comp ? w.corr.data() : nullptr;
    int32_t bad_a = 0, bad_b = 0;
    for (int64_t i = i0; i < i1 && !bad_a && !bad_b; ++i) {
      const float* ai = pa + oa[size_t(i)];
      const float* bi = pb + ob[size_t(i)];
      for (int64_t m = 0; m < M; ++m) {
        bad_a |= ak == 1 ? quantize_contig(ai + m * am, K, qa.scale, ra.lo, ra.hi, ra.add, w.qa.data() + m * K, &w.rs[size_t(m)])
                         : quantize_strided(ai + m * am, ak, K, qa.scale, ra.lo, ra.hi, ra.add, w.qa.data() + m * K, 1, &w.rs[size_t(m)]);
      }
      if (bn == 1) {
        // Rows of b are contiguous: quantize them as they lie, then transpose the bytes.
        int32_t unused = 0;
        for (int64_t k = 0; k < K; ++k)
          bad_b |= quantize_contig(bi + k * bk, N, qb.scale, rb.lo, rb.hi, rb.add, w.tmp.data() + k * N, &unused);
        for (int64_t n = 0; n < N; ++n) {
          int32_t sum = 0;
          uint8_t* dst = w.qb.data() + n * K;
          for (int64_t k = 0; k < K; ++k) {
            const uint8_t v = w.tmp[size_t(k * N + n)];
            dst[k] = v;
            sum += v;
          }
          w.cs[size_t(n)] = sum;  // only read for unsigned codes, where the bytes are the codes
        }
      } else {
        for (int64_t n = 0; n < N; ++n)
          bad_b |= quantize_strided(bi + n * bn, bk, K, qb.scale, rb.lo, rb.hi, rb.add, w.qb.data() + n * K, 1, &w.cs[size_t(n)]);
      }
      if (bad_a || bad_b) break;
      if (comp) compensation_columns(*comp, N, K, w.qb.data(), K, w.corr.data());
      lut_gemm_cpu(*mult.table, M, N, K, w.qa.data(), K, w.qb.data(), K, w.c.data(), N, kernel);
      if (!sgn && K <= kInt32K) make_colterm(N, K, qa.zero_point, w.zv.data(), w.cs.data(), w.colterm.data());
      ep.rows(w.c.data(), w.rs.data(), 0, M, py + i * M * N);
    }
    if (bad_a) fa = false;
    if (bad_b) fb = false;
  });
  if (!fa) check_finite(a_in, name + " (operand a)");  // throws EMU-030
  if (!fb) check_finite(b_in, name + " (operand b)");
  return y;
}

// acc (int32 [..., N]) + corr (int32, broadcast over the rows: [N] or [batch, 1, N]) with int32
// wrap-around, as the kernels' sums wrap; acc unchanged when corr is undefined.
at::Tensor wrap_add(const at::Tensor& acc, const at::Tensor& corr) {
  if (!corr.defined()) return acc;
  return acc.to(at::kLong).add_(corr.to(acc.device()).to(at::kLong)).to(at::kInt);  // int64 → int32 wraps
}

}  // namespace

at::Tensor compensation_corr(const at::Tensor& codes, const CompensationTable& t) {
  const at::Tensor c = codes.to(at::kCPU).contiguous();
  at::Tensor out = at::empty({c.size(0)}, at::TensorOptions().dtype(at::kInt));
  compensation_columns(t, c.size(0), c.size(1), c.data_ptr<uint8_t>(), c.size(1), out.data_ptr<int32_t>());
  return out.to(codes.device());
}

namespace {

// The accumulators as float values, float(acc) exactly as quantized_matmul_int(...).to(float)
// would give them, with fewer passes over [M, N]: an exact signed table with K ≤ 1024 is one
// float GEMM of the codes (every partial sum is an integer below 2^24, so the float result is
// the integer itself); otherwise the int32 LUT sums (plus exact int64 zero-point terms for
// unsigned multipliers) converted once.
// corr: int32 [N] compensation (see wrap_add), or undefined.
at::Tensor accumulate_float(const at::Tensor& qa, int32_t za, const at::Tensor& qw,
                            const at::Tensor& zw, const Multiplier& mult, MatmulPath path,
                            const at::Tensor& corr = {}) {
  if (path != MatmulPath::lut && mult.is_signed && mult.is_exact() && qa.size(1) <= 1024 && !qa.is_cuda()) {
    return at::mm(qa.view(at::kChar).to(at::kFloat), qw.view(at::kChar).to(at::kFloat).t());
  }
  if (mult.is_signed) return wrap_add(lut_matmul(qa, qw, mult, path), corr).to(at::kFloat);
  return quantized_matmul_int(qa, za, qw, zw, mult, path, corr).to(at::kFloat);
}

}  // namespace

at::Tensor quantized_matmul_int(const at::Tensor& qa, int32_t za, const at::Tensor& qw,
                                const at::Tensor& zw, const Multiplier& mult, MatmulPath path,
                                const at::Tensor& corr) {
  at::Tensor acc = wrap_add(lut_matmul(qa, qw, mult, path), corr).to(at::kLong);
  if (mult.is_signed) return acc;
  const int64_t K = qa.size(1);
  const at::Tensor zwl = zw.to(at::kLong).to(acc.device()).unsqueeze(0);  // [1, N]
  const at::Tensor rows = qa.to(at::kLong).sum(1, false, at::kLong).unsqueeze(1);  // [M, 1]
  const at::Tensor cols = qw.to(at::kLong).sum(1, false, at::kLong).unsqueeze(0);  // [1, N]
  acc.sub_(rows * zwl).sub_(cols * int64_t(za)).add_(zwl * (K * int64_t(za)));
  return acc;
}

namespace {

// The per-output-channel compensation of weight codes: the cache's when it computed one, else
// computed here; undefined without a table or for an exact multiplier (t = 0).
at::Tensor weight_corr(const QuantizedWeight& qw, const Multiplier& mult, const CompensationTable* comp) {
  if (!comp || mult.is_exact()) return {};
  return qw.corr.defined() ? qw.corr : compensation_corr(qw.codes, *comp);
}

}  // namespace

at::Tensor approx_linear(const at::Tensor& x, const at::Tensor& weight,
                         const c10::optional<at::Tensor>& bias, const Multiplier& mult,
                         const QParams& act, WeightGranularity wg, const std::string& name,
                         const QuantizedWeight* qw_cached, MatmulPath path,
                         const CompensationTable* comp) {
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
  const at::Tensor corr = weight_corr(qw, mult, comp);
  auto out_sizes = x.sizes().vec();
  out_sizes.back() = N;
  auto approx = [&]() {
    const at::Tensor x2 = x.detach().reshape({-1, K});
    if (use_fused(x, mult, path, N)) {
      const at::Tensor cc = corr.defined() ? corr.to(at::kCPU).contiguous() : corr;
      return fused_linear(x2, qw, bias, mult, act, name, CpuKernel::automatic,
                          cc.defined() ? cc.data_ptr<int32_t>() : nullptr)
          .reshape(out_sizes);
    }
    at::Tensor acc;
    if (path != MatmulPath::lut && mult.is_signed && mult.is_exact() && K <= 1024 && !x.is_cuda()) {
      // Same numbers as the path below (see accumulate_float), two passes over x fewer: the
      // float codes go straight into the exact float GEMM.
      check_finite(x2, name);
      acc = at::mm(centred_codes(x2, act, true), qw.codes.view(at::kChar).to(at::kFloat).t());
    } else {
      const at::Tensor qa = quantize(x2, act, mult.is_signed, name);
      acc = accumulate_float(qa, act.zero_point, qw.codes, qw.zero_point, mult, path, corr);
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
  if (lut_gradients(mult, args, comp)) {
    args.qa = quantize(x.detach().reshape({1, -1, K}).cpu(), act, mult.is_signed, name);
    args.qb = qw.codes.cpu().unsqueeze(0);
    args.sb = qw.scale.cpu();
    args.zb = qw.zero_point.cpu();
    args.sa = act.scale;
    args.za = act.zero_point;
  }
  return SteFunction::apply(x, weight, bias_or_empty(bias), &args);
}

at::Tensor approx_conv2d(const at::Tensor& x, const at::Tensor& weight,
                         const c10::optional<at::Tensor>& bias, const Conv2dGeometry& geo,
                         const Multiplier& mult, const QParams& act, WeightGranularity wg,
                         const std::string& name, const QuantizedWeight* qw_cached, MatmulPath path,
                         const CompensationTable* comp) {
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
  const at::Tensor corr = weight_corr(qw, mult, comp);  // per output channel: per group
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
                                           qw.zero_point.narrow(0, g * Ng, Ng), mult, path,
                                           corr.defined() ? corr.narrow(0, g * Ng, Ng) : corr));
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
  if (lut_gradients(mult, args, comp)) {
    // The forward's im2col codes (padding = the zero point's code), per group.
    const at::Tensor qc = centred_codes(x.detach().cpu(), act, mult.is_signed);
    const at::Tensor cols = at::im2col(qc, {kh, kw}, {geo.dilation[0], geo.dilation[1]},
                                       {geo.padding[0], geo.padding[1]}, {geo.stride[0], geo.stride[1]});
    const int64_t L = cols.size(2), Kg = Cg * kh * kw;
    const at::Tensor cg = cols.reshape({B, G, Kg, L}).permute({1, 0, 3, 2}).reshape({G, B * L, Kg});
    args.qa = mult.is_signed ? cg.to(at::kChar).view(at::kByte) : cg.add(act.zero_point).to(at::kByte);
    args.qb = qw.codes.cpu().reshape({G, Cout / G, Kg});
    args.sb = qw.scale.cpu();
    args.zb = qw.zero_point.cpu();
    args.sa = act.scale;
    args.za = act.zero_point;
    args.in_size = {H, W};
    args.kernel = {kh, kw};
  }
  return SteFunction::apply(x, weight, bias_or_empty(bias), &args);
}

at::Tensor approx_matmul(const at::Tensor& a, const at::Tensor& b, const Multiplier& mult,
                         const QParams& qa, const QParams& qb, const std::string& name,
                         MatmulPath path, const CompensationTable* comp) {
  if (mult.is_exact()) comp = nullptr;  // t = 0
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
    if (use_fused(a, mult, path, N)) {
      return fused_bmm(a.detach(), b.detach(), mult, qa, qb, name, CpuKernel::automatic, comp).reshape(out_sizes);
    }
    const at::Tensor ca = quantize(a.detach(), qa, mult.is_signed, name + " (operand a)");
    const at::Tensor cb = quantize(b.detach(), qb, mult.is_signed, name + " (operand b)");
    const at::Tensor a3 = ca.reshape({-1, M, K});
    const at::Tensor b3 = cb.reshape({-1, K, N}).transpose(1, 2).contiguous();  // [batch, N, K]
    at::Tensor acc = lut_bmm(a3, b3, mult, path);  // int32 [batch, M, N]
    if (comp) {  // per product: corr[n] = −Σ_k t(b[k][n]), from a 256-entry lookup per element of b
      const at::Tensor t = at::from_blob(const_cast<int32_t*>(comp->data()), {256}, at::kInt)
                               .to(at::kLong)
                               .to(b3.device());
      acc = wrap_add(acc, t.index({b3.to(at::kLong)}).sum(2).neg_().unsqueeze(1));
    }
    acc = acc.to(at::kLong);
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
  if (lut_gradients(mult, args, comp)) {
    args.qa = quantize(a.detach().cpu(), qa, mult.is_signed, name + " (operand a)").reshape({-1, M, K});
    args.qb = quantize(b.detach().cpu(), qb, mult.is_signed, name + " (operand b)")
                  .reshape({-1, K, N}).transpose(1, 2).contiguous();
    args.sb = at::full({N}, qb.scale, at::kFloat);
    args.zb = at::full({N}, qb.zero_point, at::kInt);
    args.sa = qa.scale;
    args.za = qa.zero_point;
  }
  return SteFunction::apply(a, b, at::empty({0}), &args);
}

}  // namespace axx::emu
