// transaxx import — TorchScript loading and graph rewriting (see torchscript.hpp).
//
// The only translation unit that includes torch/script.h. The rewritten graph calls JIT-only
// operators (axx::linear, axx::conv2d, axx::matmul, axx::baddbmm, axx::mha) that carry an integer
// layer id; the id finds the approximable layer in a process-wide table (JIT operators are
// process-wide), registered by the model that owns the layer and removed when it is destroyed.
// The graph runs in the plain JIT interpreter (no graph-executor optimization), so each op runs
// eagerly and autograd records it exactly as in eager PyTorch.
#include "emulation/import/torchscript.hpp"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/csrc/jit/runtime/custom_operator.h>
#include <torch/csrc/jit/runtime/interpreter.h>
#include <torch/script.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>
#include <unordered_map>

#include "common/error.hpp"
#include "common/json.hpp"
#include "emulation/layers.hpp"
#include "emulation/lut.hpp"

namespace axx::imp {

namespace fs = std::filesystem;
using torch::jit::Block;
using torch::jit::Graph;
using torch::jit::Node;
using torch::jit::Stack;
using torch::jit::Value;

namespace {

/// The first line of an exception's message (LibTorch's messages carry a C++ backtrace after it).
std::string first_line(const std::exception& e) {
  std::string msg = e.what();
  if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
  return msg;
}

/// Quantized weights cached by the tensor they came from (data pointer, version counter, sizes
/// and strides: a view of the same storage, such as a chunk of a packed in_proj_weight, is a
/// different weight) and the configuration.
class ViewWeightCache {
 public:
  const emu::QuantizedWeight& get(const at::Tensor& w2d, const emu::Multiplier& m, emu::WeightGranularity g,
                                  const std::string& name) {
    const bool same = valid_ && w2d.data_ptr() == data_ && w2d._version() == version_ && w2d.sizes() == sizes_ &&
                      w2d.strides() == strides_ && &m == mult_ && g == g_;
    if (!same) {
      q_ = emu::quantize_weight(w2d, m.is_signed, g, name);
      data_ = w2d.data_ptr();
      version_ = w2d._version();
      sizes_ = w2d.sizes().vec();
      strides_ = w2d.strides().vec();
      mult_ = &m;
      g_ = g;
      valid_ = true;
    }
    return q_;
  }

 private:
  emu::QuantizedWeight q_;
  bool valid_ = false;
  const void* data_ = nullptr;
  int64_t version_ = -1;
  std::vector<int64_t> sizes_, strides_;
  const emu::Multiplier* mult_ = nullptr;
  emu::WeightGranularity g_ = emu::WeightGranularity::per_channel;
};

std::string name_or(const emu::LayerState& s, const char* kind) {
  return s.name.empty() ? std::string("unnamed ") + kind : s.name;
}

/// A convolution as GEMMs (as emu::ApproxConv2d): per group, output positions × (in/groups·kh·kw)
/// × (out/groups).
emu::ApproxLayer::GemmShape conv_gemm(const at::Tensor& y, const at::Tensor& w, int64_t groups) {
  groups = std::max<int64_t>(1, groups);
  const int64_t out = w.size(0), positions = out ? y.numel() / out : 0;
  return {positions, w.numel() / std::max<int64_t>(1, out), out / groups, groups};
}

/// Per-model record of the layer calls in call order (ImportedModelImpl::record_calls).
struct Recorder {
  bool on = false;
  std::vector<LayerCall> calls;
};

/// What every imported layer shares: its dotted name and the model's recorder.
class Recording {
 public:
  std::string path;
  std::shared_ptr<Recorder> recorder;

 protected:
  at::Tensor note(at::Tensor y, std::initializer_list<at::Tensor> inputs) {
    if (recorder && recorder->on) {
      LayerCall c;
      c.layer = path;
      for (const auto& t : inputs) c.inputs.push_back(t.defined() ? t.detach().clone() : t);
      c.output = y.detach().clone();
      recorder->calls.push_back(std::move(c));
    }
    return y;
  }
};

/// A linear layer whose weight is an input of the call (the scripted graph reads it from the
/// module), so the TorchScript module keeps owning its parameters.
class ImportedLinearImpl : public torch::nn::Module, public emu::ApproxLayer, public Recording {
 public:
  ImportedLinearImpl() : emu::ApproxLayer(emu::LayerKind::linear) {}
  at::Tensor forward(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b) {
    if (w.dim() != 2) {
      throw Error("IMP-008", fmt::format("layer '{}': aten::linear with a {}-D weight; only [out, in] weights are "
                                         "supported", name_or(state(), "linear"), w.dim()));
    }
    const auto q = prepare({&x});
    last_macs_ = w.size(1) ? x.numel() / w.size(1) * w.numel() : 0;
    last_gemm_ = {w.size(1) ? x.numel() / w.size(1) : 0, w.size(1), w.size(0), 1};
    const at::Tensor bias = b ? *b : at::Tensor();
    if (!q) return note(at::linear(x, w, b), {x, w, bias});
    const emu::LayerState& s = state();
    const std::string name = name_or(s, "linear");
    const emu::QuantizedWeight& qw = cache_.get(w, *s.mult, s.weight_granularity, name);
    if (s.recorder) {  // operand statistics, as emu::ApproxLinear records them
      const at::Tensor a = emu::quantize(x.reshape({-1, w.size(1)}), (*q)[0], s.mult->is_signed, name);
      s.recorder->record(a, w.size(0), qw.codes, a.size(0), true);
    }
    return note(emu::approx_linear(x, w, b, *s.mult, (*q)[0], s.weight_granularity, name, &qw, s.matmul_path),
                {x, w, bias});
  }

 private:
  ViewWeightCache cache_;
};
TORCH_MODULE(ImportedLinear);

class ImportedConv2dImpl : public torch::nn::Module, public emu::ApproxLayer, public Recording {
 public:
  ImportedConv2dImpl() : emu::ApproxLayer(emu::LayerKind::conv2d) {}
  at::Tensor forward(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b,
                     const emu::Conv2dGeometry& g) {
    const auto q = prepare({&x});
    if (!q) {
      at::Tensor y = at::conv2d(x, w, b, {g.stride[0], g.stride[1]}, {g.padding[0], g.padding[1]},
                                {g.dilation[0], g.dilation[1]}, g.groups);
      last_macs_ = y.numel() * (w.numel() / std::max<int64_t>(1, w.size(0)));
      last_gemm_ = conv_gemm(y, w, g.groups);
      return note(y, {x, w, b ? *b : at::Tensor()});
    }
    const emu::LayerState& s = state();
    const std::string name = name_or(s, "conv2d");
    const emu::QuantizedWeight& qw = cache_.get(w.reshape({w.size(0), -1}), *s.mult, s.weight_granularity, name);
    at::Tensor y = emu::approx_conv2d(x, w, b, g, *s.mult, (*q)[0], s.weight_granularity, name, &qw, s.matmul_path);
    last_macs_ = y.numel() * (w.numel() / std::max<int64_t>(1, w.size(0)));
    last_gemm_ = conv_gemm(y, w, g.groups);
    if (s.recorder) {
      // As emu::ApproxConv2d: im2col of the codes, padded with the zero point's code; rows are
      // output positions, K runs over (channel, kh, kw) like the reshaped weight.
      const at::Tensor c = emu::quantize(x, (*q)[0], s.mult->is_signed, name).to(at::kFloat);
      const at::Tensor padded = at::constant_pad_nd(c, {g.padding[1], g.padding[1], g.padding[0], g.padding[0]},
                                                    double(s.mult->is_signed ? 0 : (*q)[0].zero_point));
      const at::Tensor cols = at::im2col(padded, {w.size(2), w.size(3)}, {g.dilation[0], g.dilation[1]}, {0, 0},
                                         {g.stride[0], g.stride[1]});
      const at::Tensor a = cols.transpose(1, 2).reshape({-1, cols.size(1)}).to(at::kByte);
      const int64_t groups = std::max<int64_t>(1, g.groups), kg = a.size(1) / groups, ng = w.size(0) / groups;
      const bool first = s.recorder->seen_b == 0;  // weights: every group's, in the first forward only
      for (int64_t gi = 0; gi < groups; ++gi) {    // each group is its own product
        s.recorder->record(a.narrow(1, gi * kg, kg), ng, qw.codes.narrow(0, gi * ng, ng), a.size(0), !first);
      }
    }
    return note(y, {x, w, b ? *b : at::Tensor()});
  }

 private:
  ViewWeightCache cache_;
};
TORCH_MODULE(ImportedConv2d);

/// a·b of two activations, as emu::ApproxMatmul, recording its output.
class ImportedMatmulImpl : public torch::nn::Module, public emu::ApproxLayer, public Recording {
 public:
  ImportedMatmulImpl() : emu::ApproxLayer(emu::LayerKind::matmul) {}
  at::Tensor forward(const at::Tensor& a, const at::Tensor& b) {
    const auto q = prepare({&a, &b});
    last_macs_ = a.numel() * (b.dim() ? b.size(-1) : 1);
    if (a.dim() >= 2 && b.dim() >= 2 && a.size(-1) > 0 && a.size(-2) > 0) {
      last_gemm_ = {a.size(-2), a.size(-1), b.size(-1), a.numel() / (a.size(-2) * a.size(-1))};
    }
    if (!q) return note(at::matmul(a, b), {a, b});
    const emu::LayerState& s = state();
    const std::string name = name_or(s, "matmul");
    if (s.recorder) {
      const int64_t K = a.size(-1);
      const at::Tensor ca = emu::quantize(a, (*q)[0], s.mult->is_signed, name).reshape({-1, K});
      const at::Tensor cb = emu::quantize(b, (*q)[1], s.mult->is_signed, name).transpose(-2, -1).reshape({-1, K});
      s.recorder->record(ca, b.size(-1), cb, a.size(-2), false);
    }
    return note(emu::approx_matmul(a, b, *s.mult, (*q)[0], (*q)[1], name, s.matmul_path), {a, b});
  }
};
TORCH_MODULE(ImportedMatmul);

// ---- the process-wide layer table -------------------------------------------------------------

struct TableEntry {
  ImportedLinearImpl* linear = nullptr;
  ImportedConv2dImpl* conv = nullptr;
  ImportedMatmulImpl* matmul = nullptr;
};

std::mutex& table_mutex() {
  static std::mutex m;
  return m;
}
std::unordered_map<int64_t, TableEntry>& table() {
  static std::unordered_map<int64_t, TableEntry> t;
  return t;
}
std::atomic<int64_t> next_id{1};

TableEntry lookup(int64_t id) {
  std::lock_guard<std::mutex> lk(table_mutex());
  auto it = table().find(id);
  if (it == table().end()) {
    throw Error("IMP-009", fmt::format("rewritten graph calls layer id {}, which no live imported model owns "
                                       "(the model was destroyed while its graph ran)", id));
  }
  return it->second;
}

namespace {
[[noreturn]] void wrong_layer_kind(int64_t id, const char* kind) {
  throw Error("IMP-027", fmt::format("layer id {} is not a {} layer", id, kind));
}
}  // namespace

ImportedLinearImpl& linear_layer(int64_t id) {
  TableEntry e = lookup(id);
  if (!e.linear) wrong_layer_kind(id, "linear");
  return *e.linear;
}
ImportedConv2dImpl& conv_layer(int64_t id) {
  TableEntry e = lookup(id);
  if (!e.conv) wrong_layer_kind(id, "conv2d");
  return *e.conv;
}
ImportedMatmulImpl& matmul_layer(int64_t id) {
  TableEntry e = lookup(id);
  if (!e.matmul) wrong_layer_kind(id, "matmul");
  return *e.matmul;
}

emu::Conv2dGeometry geometry(const std::vector<int64_t>& stride, const std::vector<int64_t>& padding,
                             const std::vector<int64_t>& dilation, int64_t groups) {
  auto pair = [](const std::vector<int64_t>& v) {
    return v.size() == 1 ? std::array<int64_t, 2>{v[0], v[0]} : std::array<int64_t, 2>{v.at(0), v.at(1)};
  };
  emu::Conv2dGeometry g;
  g.stride = pair(stride);
  g.padding = pair(padding);
  g.dilation = pair(dilation);
  g.groups = groups;
  return g;
}

/// nn.MultiheadAttention's fused inference path (batch-first [B, T, E] inputs), decomposed into
/// the four approximable products in the order and with the scaling of the slow path
/// (F.multi_head_attention_forward): q/√head_dim before Q·Kᵀ, softmax, ·V, out projection.
std::tuple<at::Tensor, at::Tensor> mha_decomposed(const at::Tensor& query, const at::Tensor& key,
                                                  const at::Tensor& value, int64_t embed_dim, int64_t heads,
                                                  const at::Tensor& qkv_w, const at::Tensor& qkv_b,
                                                  const at::Tensor& proj_w, const at::Tensor& proj_b,
                                                  const c10::optional<at::Tensor>& mask, bool need_weights,
                                                  bool average_weights, c10::optional<int64_t> mask_type,
                                                  int64_t id_in, int64_t id_qk, int64_t id_av, int64_t id_out) {
  if (query.dim() != 3) {
    throw Error("IMP-026", fmt::format("multi-head attention: query of {} dimensions; only batched [B, T, E] "
                                       "inputs are supported", query.dim()));
  }
  ImportedLinearImpl& in_proj = linear_layer(id_in);
  ImportedLinearImpl& out_proj = linear_layer(id_out);
  const int64_t B = query.size(0), T = query.size(1), E = embed_dim, dh = E / heads;
  at::Tensor q, k, v;
  if (query.is_same(key) && key.is_same(value)) {
    auto qkv = in_proj.forward(query, qkv_w, qkv_b).chunk(3, -1);
    q = qkv[0], k = qkv[1], v = qkv[2];
  } else {
    auto w = qkv_w.chunk(3), b = qkv_b.chunk(3);
    q = in_proj.forward(query, w[0], b[0]);
    k = in_proj.forward(key, w[1], b[1]);
    v = in_proj.forward(value, w[2], b[2]);
  }
  const int64_t S = k.size(1);
  auto heads_first = [&](const at::Tensor& t, int64_t n) { return t.reshape({B, n, heads, dh}).transpose(1, 2); };
  q = heads_first(q, T) / std::sqrt(double(dh));
  k = heads_first(k, S);
  v = heads_first(v, S);
  at::Tensor att = matmul_layer(id_qk).forward(q, k.transpose(-2, -1));  // [B, H, T, S]
  if (mask && mask->defined()) {
    // mask_type 1: key padding mask [B, S]; otherwise an attention mask [T, S] (or broadcastable).
    at::Tensor m = *mask;
    if (mask_type && *mask_type == 1) m = m.reshape({B, 1, 1, S});
    att = m.scalar_type() == at::kBool ? att.masked_fill(m, -std::numeric_limits<float>::infinity()) : att + m;
  }
  att = att.softmax(-1);
  at::Tensor o = matmul_layer(id_av).forward(att, v).transpose(1, 2).reshape({B, T, E});
  at::Tensor out = out_proj.forward(o, proj_w, proj_b);
  at::Tensor w = need_weights ? (average_weights ? att.mean(1) : att) : at::empty({0}, out.options());
  return {out, w};
}

void register_operators() {
  static std::once_flag once;
  std::call_once(once, [] {
    using torch::jit::Operator;
    using torch::jit::pop;
    using torch::jit::push;
    const auto kind = c10::AliasAnalysisKind::CONSERVATIVE;  // side effects: calibration observers
    // Constructed on first use (not a static global: the linker drops those from static libraries).
    static torch::jit::RegisterOperators reg({
        Operator("axx::linear(Tensor x, Tensor w, Tensor? b, int id) -> Tensor",
                 [](Stack& s) {
                   const int64_t id = pop(s).toInt();
                   auto b = pop(s).toOptional<at::Tensor>();
                   at::Tensor w = pop(s).toTensor(), x = pop(s).toTensor();
                   push(s, linear_layer(id).forward(x, w, b));
                 },
                 kind),
        Operator("axx::conv2d(Tensor x, Tensor w, Tensor? b, int[] stride, int[] padding, int[] dilation, "
                 "int groups, int id) -> Tensor",
                 [](Stack& s) {
                   const int64_t id = pop(s).toInt(), groups = pop(s).toInt();
                   auto dil = pop(s).toIntVector(), pad = pop(s).toIntVector(), stride = pop(s).toIntVector();
                   auto b = pop(s).toOptional<at::Tensor>();
                   at::Tensor w = pop(s).toTensor(), x = pop(s).toTensor();
                   push(s, conv_layer(id).forward(x, w, b, geometry(stride, pad, dil, groups)));
                 },
                 kind),
        Operator("axx::matmul(Tensor a, Tensor b, int id) -> Tensor",
                 [](Stack& s) {
                   const int64_t id = pop(s).toInt();
                   at::Tensor b = pop(s).toTensor(), a = pop(s).toTensor();
                   push(s, matmul_layer(id).forward(a, b));
                 },
                 kind),
        Operator("axx::baddbmm(Tensor self, Tensor a, Tensor b, Scalar beta, Scalar alpha, int id) -> Tensor",
                 [](Stack& s) {
                   const int64_t id = pop(s).toInt();
                   const at::Scalar alpha = pop(s).toScalar(), beta = pop(s).toScalar();
                   at::Tensor b = pop(s).toTensor(), a = pop(s).toTensor(), self = pop(s).toTensor();
                   at::Tensor p = matmul_layer(id).forward(a, b);
                   if (!(alpha.equal(1))) p = p * alpha;
                   push(s, beta.equal(0) ? p : (beta.equal(1) ? self + p : self * beta + p));
                 },
                 kind),
        Operator("axx::mha(Tensor query, Tensor key, Tensor value, int embed_dim, int num_head, Tensor qkv_weight, "
                 "Tensor qkv_bias, Tensor proj_weight, Tensor proj_bias, Tensor? mask, bool need_weights, "
                 "bool average_attn_weights, int? mask_type, int id_in, int id_qk, int id_av, int id_out) "
                 "-> (Tensor, Tensor)",
                 [](Stack& s) {
                   const int64_t id_out = pop(s).toInt(), id_av = pop(s).toInt(), id_qk = pop(s).toInt(),
                                 id_in = pop(s).toInt();
                   auto mask_type = pop(s).toOptional<int64_t>();
                   const bool avg = pop(s).toBool(), need = pop(s).toBool();
                   auto mask = pop(s).toOptional<at::Tensor>();
                   at::Tensor pb = pop(s).toTensor(), pw = pop(s).toTensor(), qb = pop(s).toTensor(),
                              qw = pop(s).toTensor();
                   const int64_t heads = pop(s).toInt(), dim = pop(s).toInt();
                   at::Tensor v = pop(s).toTensor(), k = pop(s).toTensor(), q = pop(s).toTensor();
                   auto r = mha_decomposed(q, k, v, dim, heads, qw, qb, pw, pb, mask, need, avg, mask_type, id_in,
                                           id_qk, id_av, id_out);
                   push(s, std::get<0>(r), std::get<1>(r));
                 },
                 kind),
    });
  });
}

// ---- naming ------------------------------------------------------------------------------------

/// The dotted attribute path of a value read from the module (`encoder.layers.0.mlp.0.weight`),
/// following casts and the splits/chunks that slice packed weights; "" when it is computed.
std::string attr_path(Value* v, Value* self) {
  std::vector<std::string> parts;
  for (int guard = 0; guard < 64; ++guard) {
    if (v == self) {
      std::string p;
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) p += (p.empty() ? "" : ".") + *it;
      return p;
    }
    Node* n = v->node();
    const std::string k = n->kind().toQualString();
    if (k == "prim::GetAttr") {
      parts.push_back(n->s(c10::Symbol::attr("name")));
      v = n->input(0);
    } else if (k == "prim::unchecked_cast" || k == "prim::ListUnpack" || k == "prim::TupleUnpack" ||
               k == "aten::split" || k == "aten::chunk" || k == "prim::ConstantChunk" || k == "aten::split_with_sizes" ||
               k == "aten::__getitem__" || k == "aten::to" || k == "aten::contiguous" || k == "aten::detach") {
      v = n->input(0);
    } else {
      return "";
    }
  }
  return "";
}

/// The module path a node runs in, from the call stack the inliner recorded.
std::string scope_path(Node* n) {
  auto cs = n->callstack();
  if (!cs) return "";
  std::string p;
  for (const auto& e : (*cs)->vec()) {
    const auto& mi = std::get<2>(e);
    if (!mi) continue;
    const std::string inst = mi->instance_name();
    if (inst == "SELF") continue;
    p += (p.empty() ? "" : ".") + inst;
  }
  return p;
}

std::string join(const std::string& a, const std::string& b) { return a.empty() ? b : a + "." + b; }

/// Layer name for a weighted op: the weight's owner (`x.weight` → `x`, `x.in_proj_weight` →
/// `x.in_proj`).
std::string weight_layer_name(const std::string& wpath) {
  auto ends = [&](const std::string& suf) {
    return wpath.size() > suf.size() && wpath.compare(wpath.size() - suf.size(), suf.size(), suf) == 0;
  };
  if (ends(".weight")) return wpath.substr(0, wpath.size() - 7);
  if (ends("_weight")) return wpath.substr(0, wpath.size() - 7);
  return wpath;
}

bool is_softmax(Node* n) {
  const std::string k = n->kind().toQualString();
  return k == "aten::softmax" || k == "aten::_softmax" || k == "aten::_masked_softmax";
}

bool is_product(Node* n) {
  const std::string k = n->kind().toQualString();
  return k == "aten::matmul" || k == "aten::bmm" || k == "aten::mm" || k == "aten::baddbmm" || k == "axx::matmul" ||
         k == "axx::baddbmm" || k == "aten::linear" || k == "axx::linear";
}

/// Does the value reach a softmax within a few ops (through block outputs), without another
/// product in between?
bool feeds_softmax(Value* v, int depth) {
  if (depth > 6) return false;
  for (const auto& use : v->uses()) {
    Node* u = use.user;
    if (is_softmax(u)) return true;
    if (is_product(u)) continue;
    if (u->kind() == c10::prim::Return && u->owningBlock()->owningNode()) {
      Node* owner = u->owningBlock()->owningNode();
      if (use.offset < owner->outputs().size() && feeds_softmax(owner->output(use.offset), depth + 1)) return true;
      continue;
    }
    for (Value* o : u->outputs())
      if (o->type()->kind() == c10::TypeKind::TensorType && feeds_softmax(o, depth + 1)) return true;
  }
  return false;
}

/// Does the value come from a softmax within a few ops (through If outputs)?
bool from_softmax(Value* v, int depth) {
  if (depth > 6) return false;
  Node* n = v->node();
  if (is_softmax(n)) return true;
  if (is_product(n) || n->kind() == c10::prim::Param) return false;
  if (n->kind() == c10::prim::If) {
    const size_t i = v->offset();
    for (Block* b : n->blocks())
      if (from_softmax(b->outputs()[i], depth + 1)) return true;
    return false;
  }
  for (Value* in : n->inputs())
    if (in->type()->kind() == c10::TypeKind::TensorType && from_softmax(in, depth + 1)) return true;
  return false;
}

const std::set<std::string>& refused_ops() {
  static const std::set<std::string> s = {
      "aten::addmm",        "aten::einsum",       "aten::addbmm",         "aten::addmv",
      "aten::mv",           "aten::dot",          "aten::tensordot",      "aten::chain_matmul",
      "aten::conv1d",       "aten::conv3d",       "aten::conv_transpose1d", "aten::conv_transpose2d",
      "aten::conv_transpose3d", "aten::_convolution", "aten::convolution", "aten::conv2d",
      "aten::_scaled_dot_product_attention", "aten::bilinear", "aten::linear", "aten::matmul",
      "aten::bmm",          "aten::mm",           "aten::baddbmm",        "aten::_native_multi_head_attention",
      "prim::CallMethod",   "prim::CallFunction"};
  return s;
}

}  // namespace

// ---- the model ---------------------------------------------------------------------------------

struct ImportedModelImpl::State {
  std::shared_ptr<Recorder> recorder = std::make_shared<Recorder>();
  torch::jit::Module module;
  std::shared_ptr<Graph> graph;
  std::unique_ptr<torch::jit::Code> code;
  std::vector<int64_t> ids;  ///< registered in the table; removed on destruction
};

ImportedModelImpl::ImportedModelImpl() : torch::nn::Module("ImportedModel") {}

ImportedModelImpl::~ImportedModelImpl() {
  if (!state_) return;
  std::lock_guard<std::mutex> lk(table_mutex());
  for (int64_t id : state_->ids) table().erase(id);
}

void ImportedModelImpl::train(bool on) {
  torch::nn::Module::train(on);
  if (state_) state_->module.train(on);
}

std::string ImportedModelImpl::graph_text() const { return state_ ? state_->graph->toString() : ""; }

void ImportedModelImpl::save(const std::string& path) const {
  const fs::path tmp = fs::path(path).string() + ".tmp";
  try {
    state_->module.save(tmp.string());
  } catch (const std::exception& e) {
    const std::string msg = first_line(e);
    throw Error("IMP-017", fmt::format("cannot write TorchScript file '{}': {}", path, msg));
  }
  fs::rename(tmp, path);
}

void ImportedModelImpl::record_calls(bool on) {
  state_->recorder->on = on;
  state_->recorder->calls.clear();
}

std::vector<LayerCall> ImportedModelImpl::recorded() const { return state_->recorder->calls; }

at::Tensor ImportedModelImpl::forward(const at::Tensor& x) {
  if (x.dim() != 4 || x.size(1) != input_.channels || x.size(2) != input_.image_size ||
      x.size(3) != input_.image_size) {
    throw Error("IMP-007", fmt::format("{}: input of shape [{}] does not fit the model, which takes [B, {}, {}, {}] "
                                       "(its input spec: options or sidecar JSON)",
                                       path_, fmt::join(x.sizes().vec(), ", "), input_.channels, input_.image_size,
                                       input_.image_size));
  }
  Stack s{state_->module._ivalue(), x};
  torch::jit::InterpreterState(*state_->code).run(s);
  const c10::IValue& out = s.back();
  if (out.isTensor()) return out.toTensor();
  if (out.isTuple() && !out.toTupleRef().elements().empty() && out.toTupleRef().elements()[0].isTensor()) {
    return out.toTupleRef().elements()[0].toTensor();
  }
  throw Error("IMP-021", fmt::format("{}: forward returned {}, not a Tensor of logits", path_, out.tagKind()));
}

namespace {

/// Rewrites one graph in place; creates the layers it needs in `layers`.
class Rewriter {
 public:
  Rewriter(Graph& g, std::map<std::string, std::shared_ptr<torch::nn::Module>>& layers,
           std::map<std::string, int64_t>& ids, std::vector<RewrittenOp>& log)
      : g_(g), self_(g.inputs()[0]), layers_(layers), ids_(ids), log_(log) {}

  void run(Block* b) {
    std::vector<Node*> nodes(b->nodes().begin(), b->nodes().end());
    for (Node* n : nodes) {
      for (Block* sub : n->blocks()) run(sub);
      rewrite(n);
    }
  }

 private:
  int64_t layer(const std::string& name, emu::LayerKind kind) {
    auto it = ids_.find(name);
    if (it != ids_.end()) {
      auto* l = dynamic_cast<emu::ApproxLayer*>(layers_.at(name).get());
      if (l->kind() != kind) {
        throw Error("IMP-022", fmt::format("layer name '{}' is used by a {} and a {}; the model reuses a weight in "
                                           "two kinds of products, which transaxx cannot name apart",
                                           name, emu::to_string(l->kind()), emu::to_string(kind)));
      }
      return it->second;
    }
    std::shared_ptr<torch::nn::Module> m;
    if (kind == emu::LayerKind::linear) m = std::make_shared<ImportedLinearImpl>();
    else if (kind == emu::LayerKind::conv2d) m = std::make_shared<ImportedConv2dImpl>();
    else m = std::make_shared<ImportedMatmulImpl>();
    const int64_t id = next_id++;
    layers_[name] = m;
    ids_[name] = id;
    return id;
  }

  std::string weighted_name(Node* n, Value* w, const char* what) {
    const std::string p = attr_path(w, self_);
    if (!p.empty()) return weight_layer_name(p);
    // A computed weight: name it by the module it runs in.
    std::string base = join(scope_path(n), what);
    return base;
  }

  std::string matmul_name(Node* n, Value* a) {
    const std::string scope = scope_path(n);
    if (feeds_softmax(n->output(), 0)) return join(scope, "qk");
    if (from_softmax(a, 0)) return join(scope, "av");
    // Other products of the same module: matmul, matmul_1, ... in graph order.
    auto& seen = other_matmuls_[scope];
    auto it = std::find(seen.begin(), seen.end(), n);
    if (it == seen.end()) seen.push_back(n);
    const size_t i = size_t(std::find(seen.begin(), seen.end(), n) - seen.begin());
    return join(scope, i == 0 ? "matmul" : fmt::format("matmul_{}", i));
  }

  Value* constant(Node* at, int64_t v) {
    torch::jit::WithInsertPoint guard(at);
    return g_.insertConstant(v);
  }

  Node* replace(Node* n, const char* op, std::vector<Value*> inputs, const std::string& layer_names) {
    Node* r = g_.create(c10::Symbol::fromQualString(op), inputs, n->outputs().size());
    r->insertBefore(n);
    r->copyMetadata(n);
    for (size_t i = 0; i < n->outputs().size(); ++i) {
      r->output(i)->setType(n->output(i)->type());
      n->output(i)->replaceAllUsesWith(r->output(i));
    }
    log_.push_back({n->kind().toQualString(), layer_names});
    n->destroy();
    return r;
  }

  void rewrite(Node* n) {
    const std::string k = n->kind().toQualString();
    std::vector<Value*> in(n->inputs().begin(), n->inputs().end());
    // A weight the compiler proved unreachable (MHA's separate q/k/v projections when the packed
    // in_proj_weight exists): the call can never run, so it gets no layer (id 0 throws IMP-009).
    const bool unreachable = in.size() > 1 && in[1]->node()->kind() == c10::prim::Uninitialized;
    if (k == "aten::linear" && in.size() == 3) {
      const std::string name = unreachable ? "(unreachable)" : weighted_name(n, in[1], "linear");
      in.push_back(constant(n, unreachable ? 0 : layer(name, emu::LayerKind::linear)));
      replace(n, "axx::linear", in, name);
    } else if (k == "aten::conv2d" && in.size() == 7 && in[4]->type()->kind() == c10::TypeKind::ListType) {
      const std::string name = unreachable ? "(unreachable)" : weighted_name(n, in[1], "conv2d");
      in.push_back(constant(n, unreachable ? 0 : layer(name, emu::LayerKind::conv2d)));
      replace(n, "axx::conv2d", in, name);
    } else if ((k == "aten::matmul" || k == "aten::bmm" || k == "aten::mm") && in.size() == 2) {
      const std::string name = matmul_name(n, in[0]);
      in.push_back(constant(n, layer(name, emu::LayerKind::matmul)));
      replace(n, "axx::matmul", in, name);
    } else if (k == "aten::baddbmm" && in.size() == 5) {
      const std::string name = matmul_name(n, in[1]);
      in.push_back(constant(n, layer(name, emu::LayerKind::matmul)));
      replace(n, "axx::baddbmm", in, name);
    } else if (k == "aten::_native_multi_head_attention" && in.size() == 13) {
      // The owner of in_proj_weight is the attention module; fall back to the call scope.
      std::string owner = attr_path(in[5], self_);
      owner = owner.empty() ? scope_path(n) : weight_layer_name(owner);
      if (owner.size() > 8 && owner.compare(owner.size() - 8, 8, ".in_proj") == 0) owner.resize(owner.size() - 8);
      const std::string n_in = join(owner, "in_proj"), n_qk = join(owner, "qk"), n_av = join(owner, "av");
      const std::string po = attr_path(in[7], self_);
      const std::string n_out = po.empty() ? join(owner, "out_proj") : weight_layer_name(po);
      in.push_back(constant(n, layer(n_in, emu::LayerKind::linear)));
      in.push_back(constant(n, layer(n_qk, emu::LayerKind::matmul)));
      in.push_back(constant(n, layer(n_av, emu::LayerKind::matmul)));
      in.push_back(constant(n, layer(n_out, emu::LayerKind::linear)));
      replace(n, "axx::mha", in, fmt::format("{},{},{},{}", n_in, n_qk, n_av, n_out));
    }
  }

  Graph& g_;
  Value* self_;
  std::map<std::string, std::shared_ptr<torch::nn::Module>>& layers_;
  std::map<std::string, int64_t>& ids_;
  std::vector<RewrittenOp>& log_;
  std::map<std::string, std::vector<Node*>> other_matmuls_;
};

void find_refused(Block* b, std::vector<std::string>& out) {
  for (Node* n : b->nodes()) {
    for (Block* sub : n->blocks()) find_refused(sub, out);
    const std::string k = n->kind().toQualString();
    if (refused_ops().count(k)) {
      const std::string where = scope_path(n);
      out.push_back(fmt::format("{} in '{}'", k, where.empty() ? "(top level)" : where));
    }
  }
}

[[noreturn]] void bad_input_spec(const std::string& side, const std::string& what) {
  throw Error("IMP-024", fmt::format("input spec '{}' {}; write it as {{\"channels\": C, \"image_size\": S, "
                                     "\"num_classes\": N}}",
                                     side, what));
}

[[noreturn]] void no_image_forward(const std::string& path, const std::string& what) {
  throw Error("IMP-003", fmt::format("{}: {}; transaxx needs a module whose forward takes one image tensor", path,
                                     what));
}

int64_t json_int(const Json& j, const char* key, const std::string& where) {
  if (!j.contains(key)) return 0;
  if (!j[key].is_number_integer() || j[key].get<int64_t>() < 1) {
    bad_input_spec(where, fmt::format("has '{}' that is not a positive integer", key));
  }
  return j[key].get<int64_t>();
}

InputSpec resolve_spec(const std::string& path, const TorchScriptOptions& o) {
  InputSpec s = o.input;
  const std::string side = o.sidecar.empty() ? fs::path(path).replace_extension(".json").string() : o.sidecar;
  const bool complete = s.channels > 0 && s.image_size > 0 && s.num_classes > 0;
  if (!complete && fs::exists(side)) {
    Json j;
    try {
      j = read_json_file(side);
    } catch (const Error& e) {
      bad_input_spec(side, fmt::format("is unreadable: {}", e.what()));
    }
    if (!j.is_object()) bad_input_spec(side, "is not a JSON object");
    if (s.channels <= 0) s.channels = json_int(j, "channels", side);
    if (s.image_size <= 0) s.image_size = json_int(j, "image_size", side);
    if (s.num_classes <= 0) s.num_classes = json_int(j, "num_classes", side);
  } else if (!complete && !o.sidecar.empty()) {
    throw Error("IMP-025", fmt::format("input spec '{}' does not exist", side));
  }
  std::vector<std::string> lacking;
  if (s.channels <= 0) lacking.push_back("channels");
  if (s.image_size <= 0) lacking.push_back("image_size");
  if (s.num_classes <= 0) lacking.push_back("num_classes");
  if (!lacking.empty()) {
    throw Error("IMP-006", fmt::format("{}: a TorchScript model does not say what it takes; missing {} (give the "
                                       "model's input channels, input size and number of classes, or a sidecar "
                                       "JSON '{}' with {{\"channels\", \"image_size\", \"num_classes\"}})",
                                       path, emu::join_names(lacking), side));
  }
  return s;
}

[[noreturn]] void not_an_archive(const std::string& path, const std::string& why) {
  throw Error("IMP-002", fmt::format("{}: not a TorchScript archive ({}); save the model with "
                                     "torch.jit.save(torch.jit.script(model), path) — a torch.save'd "
                                     "state dict holds no graph",
                                     path, why));
}

/// Loads the archive once in a forked child before this process does. A damaged archive can
/// crash LibTorch's reader (the TorchScript fuzzer found a SIGSEGV inside torch::jit::load) or
/// leave its global state broken after a refused load, so a file reaches torch::jit::load here
/// only after a child loaded it cleanly: a crash becomes IMP-002 and a refused archive is
/// refused with the child's message, without touching this process. When fork is impossible
/// the file is loaded in-process as before.
void probe_load_in_child(const std::string& path) {
  int fds[2];
  if (::pipe(fds) != 0) return;
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return;
  }
  if (pid == 0) {
    ::close(fds[0]);
    // One thread: the parent's OpenMP pool does not exist in a forked child (libgomp would wait
    // for it), and a load has nothing worth parallelizing.
    at::set_num_threads(1);
    int rc = 0;
    try {
      torch::jit::load(path, at::kCPU);
    } catch (const std::exception& e) {
      const std::string msg = first_line(e);
      for (size_t off = 0; off < msg.size();) {
        const ssize_t n = ::write(fds[1], msg.data() + off, msg.size() - off);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
      }
      rc = 3;
    } catch (...) {
      rc = 3;
    }
    ::_exit(rc);  // no destructors, no atexit handlers of the parent's state
  }
  ::close(fds[1]);
  std::string msg;
  char buf[512];
  for (;;) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n > 0) msg.append(buf, static_cast<size_t>(n));
    else if (n == 0 || errno != EINTR) break;
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return;
  }
  if (WIFSIGNALED(status)) {
    not_an_archive(path, fmt::format("LibTorch's reader crashed on it with {}: the file is damaged",
                                     ::strsignal(WTERMSIG(status))));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 3) not_an_archive(path, msg.empty() ? "LibTorch refused it" : msg);
}

}  // namespace

bool is_torchscript_path(const std::string& path) {
  const std::string e = fs::path(path).extension().string();
  return e == ".pt" || e == ".pth" || e == ".ts" || e == ".torchscript";
}

std::shared_ptr<ImportedModelImpl> load_torchscript_impl(const std::string& path, const TorchScriptOptions& o) {
  if (!fs::exists(path)) throw Error("IMP-001", fmt::format("model file '{}' does not exist", path));
  const InputSpec spec = resolve_spec(path, o);
  register_operators();
  probe_load_in_child(path);
  torch::jit::Module module;
  try {
    module = torch::jit::load(path, at::kCPU);
  } catch (const std::exception& e) {
    not_an_archive(path, first_line(e));
  }
  auto fwd = module.find_method("forward");
  if (!fwd) no_image_forward(path, "the TorchScript module has no forward method");
  std::shared_ptr<Graph> graph = fwd->graph()->copy();
  if (graph->inputs().size() != 2 || !graph->inputs()[0]->type()->cast<c10::ClassType>() ||
      graph->inputs()[1]->type()->kind() != c10::TypeKind::TensorType) {
    no_image_forward(path, fmt::format("forward takes {} argument(s) ({})",
                                       graph->inputs().size() ? graph->inputs().size() - 1 : 0,
                                       graph->inputs().size() > 1 ? graph->inputs()[1]->type()->str() : "none"));
  }
  try {
    torch::jit::Inline(*graph);
  } catch (const c10::Error& e) {
    const std::string msg = first_line(e);
    throw Error("IMP-018", fmt::format("{}: its forward cannot be inlined ({})", path, msg));
  }

  auto model = std::make_shared<ImportedModelImpl>();
  model->path_ = path;
  model->input_ = spec;
  std::map<std::string, std::shared_ptr<torch::nn::Module>> layers;
  std::map<std::string, int64_t> ids;
  Rewriter(*graph, layers, ids, model->rewritten_).run(graph->block());
  std::vector<std::string> refused;
  find_refused(graph->block(), refused);
  if (!refused.empty()) {
    throw Error("IMP-005", fmt::format("{}: {} multiplication(s) transaxx cannot approximate (they would run "
                                       "exact): {}; rewrite them as linear/conv2d/matmul in the model",
                                       path, refused.size(), emu::join_names(refused)));
  }

  // The module tree: layers at their dotted names, parameters and buffers at theirs.
  std::function<std::shared_ptr<torch::nn::Module>(const std::string&)> holder =
      [&](const std::string& p) -> std::shared_ptr<torch::nn::Module> {
    if (p.empty()) return model;
    const auto dot = p.rfind('.');
    auto parent = holder(dot == std::string::npos ? "" : p.substr(0, dot));
    const std::string leaf = dot == std::string::npos ? p : p.substr(dot + 1);
    const auto children = parent->named_children();  // a copy: find() points into it
    if (const auto* c = children.find(leaf)) return *c;
    return parent->register_module(leaf, std::make_shared<torch::nn::Module>("Holder"));
  };
  // Registered in graph order (ids grow as the rewriter walks the graph), so the module tree
  // lists the layers in forward order; a layer that is the parent of another goes first.
  std::set<std::string> placed;
  std::function<void(const std::string&)> place = [&](const std::string& name) {
    if (placed.count(name)) return;
    for (size_t d = name.find('.'); d != std::string::npos; d = name.find('.', d + 1))
      if (layers.count(name.substr(0, d))) place(name.substr(0, d));
    const auto dot = name.rfind('.');
    auto parent = holder(dot == std::string::npos ? "" : name.substr(0, dot));
    const std::string leaf = dot == std::string::npos ? name : name.substr(dot + 1);
    if (parent->named_children().find(leaf)) {
      throw Error("IMP-023", fmt::format("{}: layer '{}' collides with another module of the same name", path, name));
    }
    parent->register_module(leaf, layers.at(name));
    placed.insert(name);
  };
  std::vector<std::pair<int64_t, std::string>> by_id;
  for (const auto& [name, id] : ids) by_id.emplace_back(id, name);
  std::sort(by_id.begin(), by_id.end());
  for (const auto& [id, name] : by_id) place(name);
  auto split = [](const std::string& n) {
    const auto dot = n.rfind('.');
    return dot == std::string::npos ? std::make_pair(std::string(), n)
                                    : std::make_pair(n.substr(0, dot), n.substr(dot + 1));
  };
  for (const auto& p : module.named_parameters(true)) {
    auto [dir, leaf] = split(p.name);
    auto h = holder(dir);
    if (!h->named_parameters(false).contains(leaf)) h->register_parameter(leaf, p.value, p.value.requires_grad());
  }
  for (const auto& b : module.named_buffers(true)) {
    auto [dir, leaf] = split(b.name);
    auto h = holder(dir);
    if (!h->named_buffers(false).contains(leaf)) h->register_buffer(leaf, b.value);
  }

  auto st = std::make_shared<ImportedModelImpl::State>();
  for (const auto& [name, l] : layers) {
    auto* r = dynamic_cast<Recording*>(l.get());
    r->path = name;
    r->recorder = st->recorder;
  }
  st->module = module;
  st->graph = graph;
  st->code = std::make_unique<torch::jit::Code>(graph, "forward");
  {
    std::lock_guard<std::mutex> lk(table_mutex());
    for (const auto& [name, id] : ids) {
      TableEntry e;
      auto& l = layers.at(name);
      e.linear = dynamic_cast<ImportedLinearImpl*>(l.get());
      e.conv = dynamic_cast<ImportedConv2dImpl*>(l.get());
      e.matmul = dynamic_cast<ImportedMatmulImpl*>(l.get());
      table()[id] = e;
      st->ids.push_back(id);
    }
  }
  model->state_ = st;
  model->train(false);
  // One probe image: a file whose forward is not a classifier of this spec (a scripted function
  // saved as a module, a wrong spec) is refused here rather than in the middle of an evaluation.
  at::Tensor probe;
  try {
    torch::NoGradGuard ng;
    probe = model->forward(at::zeros({1, spec.channels, spec.image_size, spec.image_size}));
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    const std::string msg = first_line(e);
    throw Error("IMP-019", fmt::format("{}: forward fails on a [1, {}, {}, {}] input ({}); check the input spec", path,
                                       spec.channels, spec.image_size, spec.image_size, msg));
  }
  if (probe.dim() != 2 || probe.size(0) != 1 || probe.size(1) != spec.num_classes) {
    throw Error("IMP-020", fmt::format("{}: forward maps a [1, {}, {}, {}] input to [{}], not to [1, {}] logits; not a "
                                       "classifier of this input spec",
                                       path, spec.channels, spec.image_size, spec.image_size,
                                       fmt::join(probe.sizes().vec(), ", "), spec.num_classes));
  }
  return model;
}

ImportedModel load_torchscript(const std::string& path, const TorchScriptOptions& o) {
  return ImportedModel(load_torchscript_impl(path, o));
}

}  // namespace axx::imp
