// transaxx train — what the search and hwgen need to know about a model's approximable layers:
// multiplications per image and the distribution of the 8-bit operands each layer multiplies.
//
// The result is the search's Layers JSON (search/model.hpp):
//   {"version": 1, "model": "<model id>", "model_file": "...", "dataset": "...", "images": N,
//    "layers": [{"name": "blocks.0.attn.qkv", "kind": "linear", "macs": 602112,
//                "m": 49, "k": 64, "n": 192, "count": 1,   // macs = m·k·n·count (hwgen's shapes)
//                "operands": {"a_s8": [256], "b_s8": [256], "a_u8": [256], "b_u8": [256]}}],
//    "operand_files": {...}}              // only with operands_dir
// Layers are in model order (the order of a forward pass through the module tree). "macs" are
// the layers' own counts from a one-image forward (counts depend only on shapes: without a
// dataset the image is zeros of the model's input shape, "dataset" is "" and "images" 0; with
// one it is the first statistics image). Histograms count multiplications over the
// statistics images: a_* over activation codes (operand A), b_* over weight codes (operand B;
// the second activation of Q·Kᵀ and attention·V), each summing to macs × images, with every
// layer quantized by the exact multiplier of that signedness (s8: symmetric int8, u8: uint8 with
// zero points) after calibration, as the search's multipliers will see them.
//
// With operands_dir, real operand codes are also written as NumPy files of raw 8-bit patterns
// ('|u1'), the format `transaxx hwgen --verify --operands-a/--operands-w` reads:
//   <dir>/<layer>.<s8|u8>.a.npy  [rows, K] activation rows (reservoir sample)
//   <dir>/<layer>.<s8|u8>.w.npy  [cols, K] weight columns (b operand rows for matmuls)
//   <dir>/model.<s8|u8>.a.npy, model.<s8|u8>.w.npy   one pool for the whole model: values drawn
//        from the layers' samples in proportion to each layer's multiply count (hwgen draws its
//        power-simulation operands from these, so the pool mirrors what the array multiplies)
//   <dir>/operands.json          the index of these files
#pragma once

#include <cstdint>
#include <string>

#include "common/json.hpp"
#include "emulation/data/dataset.hpp"
#include "emulation/train/train.hpp"

namespace axx::train {

struct LayerStatsOptions {
  RunOptions run;                      ///< threads, batch, seed (which training images), progress
  std::string model;                   ///< model file (.safetensors, or TorchScript .pt/.pth/.ts)
  std::string preset;                  ///< only for files without transaxx metadata
  int64_t heads = 0;                   ///< timm safetensors: attention heads (0 = preset's, else dim / 64)
  /// TorchScript input spec (values > 0 override the sidecar JSON model.json next to model.pt).
  int64_t channels = 0, image_size = 0, num_classes = 0;
  /// Dataset; statistics and calibration use a seeded subset of its training split
  /// (load_calibration_set), never test images. kind "" = no dataset: only names and multiply
  /// counts (histograms must be false).
  data::DatasetSpec data{"fashion-mnist", "", "test", 0, 224};
  int64_t images = 512;                ///< calibration and statistics images, ≥ 1
  std::string calibration;             ///< max | percentile | mse | entropy | noise_aware ("" = max)
  double percentile = 0;               ///< when > 0, percent in (50, 100]
  bool histograms = true;              ///< false: only names and multiply counts (fast); needs data
  std::string operands_dir;            ///< "" = write no operand files
  int64_t sample_rows = 256;           ///< operand rows kept per layer and operand, ≥ 1
  int64_t pool_values = 65536;         ///< values in each model-wide pool file, ≥ 1
};

/// The Layers JSON above. Errors: TRN-001 bad option (also histograms without a dataset),
/// TRN-002 dataset/model mismatch, the
/// model's (VIT-*, SFT-*) and the dataset's errors.
Json compute_layer_stats(const LayerStatsOptions& o);

/// The identity of a model file as the search records it: "<file stem>@<first 12 hex digits of
/// its SHA-256>", so a layers file, a sensitivity table or a checkpoint of another model (or of
/// a retrained one with the same name) is recognized.
std::string model_identifier(const std::string& path);

}  // namespace axx::train
