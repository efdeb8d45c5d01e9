// transaxx import — TorchScript models (torch.jit.save'd modules) with every multiplication
// approximable.
//
// load_torchscript() loads the module, inlines its forward, and rewrites the graph:
//   aten::linear                          → approximable linear, named by its weight's module path
//                                           (`mlp.0`, `self_attention.out_proj`; a packed
//                                           `in_proj_weight` gives `self_attention.in_proj`)
//   aten::conv2d                          → approximable conv2d, named the same way (`conv_proj`)
//   aten::matmul / bmm / mm / baddbmm     → approximable matmul named by the module it runs in,
//                                           suffixed `.qk` (its result feeds a softmax), `.av`
//                                           (its left operand comes from a softmax) or `.matmul`
//                                           (`.matmul_1`, ... for further ones)
//   aten::_native_multi_head_attention    → the decomposed computation (in_proj, qk, av,
//                                           out_proj) with the same four layers as the slow path
// Every branch is rewritten, taken or not, so the path that runs (nn.MultiheadAttention's fused
// fast path at inference, its decomposed path in training) is the approximated one. A model
// that still holds a multiplication transaxx cannot approximate (aten::einsum, aten::addmm,
// conv1d/3d, transposed convolutions, an un-inlinable call) is refused (IMP-005), never left
// silently exact.
//
// The result is a torch::nn::Module: its approximable layers (ApproxLayer) sit at their dotted
// names, and the TorchScript module's parameters and buffers are registered under their own
// names (the same tensors, so optimizer steps reach the scripted graph). emu::apply_config,
// calibration and the STE fine-tuning work on it as on the native ViT.
//
// This header keeps torch/script.h out of its includers; only torchscript.cpp includes it.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace axx::imp {

/// What a classifier takes and gives. All fields ≥ 1 once resolved.
struct InputSpec {
  int64_t channels = 0;     ///< input channels C of [B, C, H, W]
  int64_t image_size = 0;   ///< H = W, pixels
  int64_t num_classes = 0;  ///< logits per image
};

/// How load_torchscript finds the input spec. Fields > 0 here override the sidecar JSON
/// (`model.pt` → `model.json`: {"channels": C, "image_size": S, "num_classes": N}; other keys
/// are ignored). Images reach the model as transaxx's dataset loader normalizes them (per-dataset
/// mean/std, emulation/data/dataset.hpp); a model that expects another normalization must carry
/// the conversion in its scripted forward.
struct TorchScriptOptions {
  InputSpec input;
  std::string sidecar;  ///< JSON path; "" = the model path with its extension replaced by .json
};

/// One rewritten multiplication site of the graph (several sites may share one layer: the
/// branches of nn.MultiheadAttention, a module called twice).
struct RewrittenOp {
  std::string op;     ///< the original operator, e.g. "aten::linear"
  std::string layer;  ///< the approximable layer it now runs through (several for MHA: comma-joined)
};

/// One call of an approximable layer, recorded by ImportedModelImpl::record_calls.
struct LayerCall {
  std::string layer;
  /// linear / conv2d: input, weight, bias (undefined when none); matmul: a, b.
  std::vector<at::Tensor> inputs;
  at::Tensor output;
};

class ImportedModelImpl : public torch::nn::Module {
 public:
  ImportedModelImpl();
  ~ImportedModelImpl() override;
  /// x: [B, channels, image_size, image_size] float → logits [B, num_classes].
  /// Throws IMP-007 when the input does not fit the spec, IMP-021 when forward returns no tensor.
  at::Tensor forward(const at::Tensor& x);
  /// Also switches the TorchScript module (dropout, MHA's fast path, BatchNorm).
  void train(bool on = true) override;
  const InputSpec& input() const { return input_; }
  const std::string& path() const { return path_; }
  /// Writes the TorchScript module (its original graph, the current weights) to path, atomically.
  /// Loading that file again gives the same model. Throws IO-* / IMP-017 when it cannot be written.
  void save(const std::string& path) const;
  /// Every rewritten site, in graph order.
  const std::vector<RewrittenOp>& rewritten() const { return rewritten_; }
  /// The inlined, rewritten forward graph as text (for debugging and tests).
  std::string graph_text() const;
  /// While on, every approximable layer call is appended to recorded() (copies of its inputs and
  /// output), in call order; switching clears the record. For per-layer error analysis.
  void record_calls(bool on);
  std::vector<LayerCall> recorded() const;

 private:
  friend std::shared_ptr<ImportedModelImpl> load_torchscript_impl(const std::string&, const TorchScriptOptions&);
  struct State;
  std::shared_ptr<State> state_;
  InputSpec input_;
  std::string path_;
  std::vector<RewrittenOp> rewritten_;
};
TORCH_MODULE(ImportedModel);

/// Loads and rewrites a TorchScript file. Errors: IMP-001 missing file, IMP-002 not loadable as
/// TorchScript (e.g. a torch.save'd state dict), IMP-003 a TorchScript archive without a module
/// forward(Tensor) -> Tensor, IMP-018 a forward that cannot be inlined, IMP-005 a multiplication
/// that cannot be approximated, IMP-022 / IMP-023 layer names that clash, IMP-006 no input spec
/// (neither options nor a sidecar), IMP-024 a malformed sidecar, IMP-025 a named sidecar that
/// does not exist, IMP-019 / IMP-020 / IMP-021 a forward that fails on, or maps a probe input of
/// the spec to something other than [1, classes] logits.
ImportedModel load_torchscript(const std::string& path, const TorchScriptOptions& o = {});

/// True for the extensions load_torchscript handles (.pt, .pth, .ts, .torchscript).
bool is_torchscript_path(const std::string& path);

}  // namespace axx::imp
