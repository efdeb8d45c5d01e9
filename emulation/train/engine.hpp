// transaxx train — shared LibTorch pieces of the commands (internal; includes LibTorch).
#pragma once

#include <torch/optim/optimizer.h>

#include <functional>
#include <string>

#include "emulation/config.hpp"
#include "emulation/data/dataset.hpp"
#include "emulation/import/model_file.hpp"
#include "emulation/models/vit.hpp"
#include "emulation/train/train.hpp"

namespace axx::train {

struct Accuracy {
  double top1 = 0, top5 = 0;  ///< fractions in [0, 1]
  int64_t images = 0;
  double seconds = 0;
};

/// Any model the commands take: a native ViT (converts implicitly, so callers that pass a
/// models::VisionTransformer compile unchanged) or an imported TorchScript model
/// (emulation/import/model_file.hpp). m.forward(x), m.input(), *m is the module tree.
using Model = imp::ModelHandle;

/// Sets LibTorch's thread count (TRN-005 when < 1).
void set_threads(int threads);
/// Throws TRN-001 (a usage error) when an evaluation batch size is < 1.
void check_batch_size(int64_t batch);

/// Top-1/top-5 of the model on d (eval mode, no grad), in batches.
Accuracy evaluate(const Model& m, const data::Dataset& d, int64_t batch, const std::string& label,
                  bool progress);

/// Throws TRN-002 when the dataset's images don't fit the model, TRN-006 when it is empty,
/// TRN-007 when it has more classes than the model.
void check_fits(const imp::InputSpec& c, const data::Dataset& d);
void check_fits(const models::VitConfig& c, const data::Dataset& d);

/// Loads a model file (preset only for files without transaxx metadata).
models::VisionTransformer load_model(const std::string& path, const std::string& preset);
/// Loads any model file: .safetensors (native or timm-named; o.preset / o.num_heads for timm
/// files) or TorchScript (.pt/.pth/.ts; input spec from o.input, else the sidecar JSON).
Model load_any_model(const std::string& path, const imp::ModelFileOptions& o);
/// The same with the model options of a command (model, preset, heads, input spec), moved to the
/// command's device (o.run.device: EMU-100 / EMU-101 before the file is read).
Model load_any_model(const EvalOptions& o);

/// The calibration set of a dataset spec: its "train" split (seeded random subset of n images).
data::Dataset load_calibration_set(const data::DatasetSpec& test_spec, int64_t n, uint64_t seed);

/// Configures the model per q (fp32: every layer unquantized) and calibrates it on calib.
/// Returns the config applied (for reports).
emu::ApproxConfig quantize_model(const Model& m, const QuantOptions& q, const data::Dataset& calib,
                                 int64_t batch);

/// Sets every approximable layer back to FP32.
void reset_to_fp32(const Model& m);

/// Calibrates activation ranges of the configured model on calib.
void calibrate(const Model& m, const data::Dataset& calib, const emu::CalibrationSettings& s,
               int64_t batch, const std::string& save_path = "");

/// Method noise_aware (emulation/calibrate.hpp) for many configs at once: per approximate
/// multiplier, per layer, the range of every input and the operand-A histogram the layer gets on
/// that multiplier — what `calibrate` gives that layer in any config, since both depend only on
/// the layer's own FP32 input, multiplier, weights and compensation. One FP32 pass over calib.
/// Layers on exact multipliers take the method's percentile ranges of an ordinary calibration.
struct LayerCalibration {
  std::vector<std::pair<double, double>> ranges;
  std::shared_ptr<const std::array<double, 256>> hist_a;
};
using NoiseAwareTable = std::map<std::string, std::map<std::string, LayerCalibration>>;  // mult → layer →
NoiseAwareTable noise_aware_table(const Model& m, const data::Dataset& calib, const emu::CalibrationSettings& s,
                                  emu::Compensation compensation, const std::string& library,
                                  const emu::MultiplierLibrary& lib, const std::vector<std::string>& multipliers,
                                  int64_t batch);

/// Linear warm-up then cosine decay: lr at step (0-based) of total.
double schedule_lr(int64_t step, int64_t total, double peak, double floor, int64_t warmup_steps);

/// Sets the learning rate of every parameter group of an AdamW optimizer.
void set_lr(torch::optim::Optimizer& opt, double lr);

/// Batch augmentation: random shifts by up to ±2 pixels (zero padded in normalized space at the
/// per-dataset minimum) and optional horizontal flips, from a seeded generator.
at::Tensor augment_batch(const at::Tensor& x, bool flip, at::Generator& g);

}  // namespace axx::train
