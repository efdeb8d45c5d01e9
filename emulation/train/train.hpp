// transaxx train — the work behind `transaxx train | eval | sensitivity | finetune`.
//
// Plain option structs in, JSON results out (no LibTorch types in this header, so the command
// line stays a light translation unit). Each function prints a progress bar (images/s, ETA) on
// stderr and writes its outputs atomically.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "emulation/data/dataset.hpp"

namespace axx::train {

/// Options shared by every command.
struct RunOptions {
  int threads = 2;             ///< LibTorch intra-op threads (≥ 1)
  int64_t batch_size = 256;    ///< images per forward in evaluation (≥ 1)
  uint64_t seed = 0;           ///< shuffling, augmentation, initialization, calibration split
  bool progress = true;        ///< progress bars on stderr
  /// Where the model runs: "cpu", "cuda" or "auto" (emulation/device.hpp; EMU-100 / EMU-101).
  /// Data is loaded on the CPU; batches move to the device.
  std::string device = "cpu";
};

/// How an evaluation quantizes the model.
struct QuantOptions {
  /// "fp32" (no quantization), "exact8" (every layer the exact 8-bit multiplier), or "config".
  std::string mode = "fp32";
  std::string config;               ///< approximation config JSON (mode "config")
  std::string calibration = "";     ///< method override: max | percentile | mse | entropy | noise_aware ("" = config's)
  double percentile = 0;            ///< override when > 0 (percent, (50, 100])
  int64_t calib_images = 512;       ///< training images (seeded random subset) for calibration
  std::string save_calibration;     ///< when set, the calibrated ranges are written there (JSON)
  /// Error compensation of every layer without its own mode: "none" | "mean" ("" = the config's,
  /// else none). Sets the config's default (per-layer modes in the config still win).
  std::string compensation;
};

struct TrainOptions {
  RunOptions run;
  std::string preset = "vit_fmnist";   ///< model preset (models/vit.hpp), ignored when resuming
  data::DatasetSpec train_data{"fashion-mnist", "", "train", 0, 224};
  data::DatasetSpec test_data{"fashion-mnist", "", "test", 0, 224};
  std::string out_dir = "runs/train";  ///< model.safetensors, checkpoint.*, result.json
  int epochs = 10;                     ///< ≥ 1
  int64_t max_steps = 0;               ///< > 0: stop after this many optimizer steps (schedule fits them)
  int64_t train_batch = 128;           ///< images per optimizer step
  double lr = 2e-3;                    ///< peak learning rate after warm-up
  double min_lr = 1e-5;                ///< cosine floor
  double weight_decay = 0.05;          ///< AdamW, not applied to biases, norms and embeddings
  double warmup = 0.05;                ///< share of all steps spent in linear warm-up, [0, 1)
  double label_smoothing = 0.1;        ///< [0, 1)
  bool augment = true;                 ///< random translation ±2 px and (non-Fashion) horizontal flips
  bool resume = true;                  ///< continue from out_dir's checkpoint when there is one
  int stop_after_epochs = 0;           ///< > 0: stop after that many epochs as if killed (tests)
  int64_t eval_images = 0;             ///< test images evaluated after each epoch (0 = all)
};

/// Trains from scratch (or resumes). Result: {"model", "epochs": [{epoch, loss, train_top1,
/// test_top1, seconds}], "test_top1", "test_top5", "seconds", "resumed_from_epoch", ...}.
/// Errors: TRN-005 / TRN-012..016 bad options, TRN-002 / TRN-006 / TRN-007 dataset/model
/// mismatch (channels and size, empty, classes), TRN-017 fewer images than one batch, TRN-003
/// checkpoint made with other options, TRN-019 unreadable optimizer state.
Json train_model(const TrainOptions& o);

struct EvalOptions {
  RunOptions run;
  std::string model;                   ///< .safetensors (native or timm) or TorchScript .pt/.pth/.ts
  std::string preset;                  ///< only for files without transaxx metadata
  int64_t heads = 0;                   ///< timm safetensors: attention heads (0 = preset's, else dim / 64)
  /// TorchScript input spec (values > 0 override the sidecar JSON model.json next to model.pt).
  int64_t channels = 0, image_size = 0, num_classes = 0;
  data::DatasetSpec data{"fashion-mnist", "", "test", 0, 224};
  QuantOptions quant;
};

/// Result: {"mode", "top1", "top5", "images", "seconds", "images_per_s", "layers": {...}}.
Json evaluate_model(const EvalOptions& o);

struct SensitivityOptions {
  EvalOptions eval;                    ///< model, data, calibration; quant.mode is ignored
  std::string library;                 ///< multiplier library folder
  std::vector<std::string> multipliers;  ///< default: every multiplier of the library
  std::vector<std::string> layers;     ///< default: every approximable layer
  std::string out_dir = "runs/sensitivity";  ///< sensitivity.csv, .json, .svg
  int64_t stop_after = 0;              ///< > 0: stop (TRN-004) after this many new rows, as if killed
};

/// Each layer approximated alone with each multiplier (others exact 8-bit).
/// Result: {"baseline": {fp32_top1, exact8_top1}, "rows": [{layer, multiplier, top1, top5,
/// drop}], "files": {...}, "resumed_rows"}. Resumable: rows finished by a killed run of the same
/// inputs (out_dir/sensitivity.partial.json) are not evaluated again.
Json run_sensitivity(const SensitivityOptions& o);

struct FinetuneOptions {
  EvalOptions eval;                    ///< model, test data, config (quant.mode "config")
  data::DatasetSpec train_data{"fashion-mnist", "", "train", 0, 224};
  std::string out;                     ///< fine-tuned model (safetensors); "" = not saved
  int epochs = 1;
  int64_t max_steps = 0;               ///< > 0: this many steps instead of epochs
  int64_t train_batch = 128;
  double lr = 1e-4;                    ///< cosine from lr to lr/100, no warm-up
  double weight_decay = 0.0;
  double label_smoothing = 0.1;
  /// Backward of the approximate products: "ste" (straight-through: the exact product's
  /// gradient) or "lut" (the multiplier table's finite differences, emulation/lut_grad.hpp).
  std::string gradient = "ste";
};

/// Approximation-aware fine-tuning (straight-through estimator, or LUT gradients). Result:
/// {"before": {top1, top5}, "after": {top1, top5}, "steps", "seconds", "gradient", "model"}.
/// Throws EMU-090 for an unknown gradient.
Json finetune_model(const FinetuneOptions& o);

}  // namespace axx::train
