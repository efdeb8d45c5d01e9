// transaxx emulation — activation range calibration.
//
// A RangeObserver watches one tensor stream (one input of one layer) over the calibration set:
// running min/max and a symmetric histogram over [-R, R] (R doubles, merging bin pairs, when a
// larger value arrives, so one pass suffices). The range for quantization is then chosen by
//   max        — the observed extremes;
//   percentile — the p-th percentile of |x| (signed) or the (100−p, p) percentiles (unsigned);
//   mse        — the clipping range minimizing the expected squared quantization error;
//   entropy    — the |x| threshold minimizing KL(P‖Q) between the clipped histogram and its
//                128-level quantized version (TensorRT's method);
//   noise_aware — `percentile` for layers on an exact multiplier; a layer on an approximate one
//                clips its activations (operand A) where the expected squared error of the layer's
//                output is least: the quantization error of `mse` plus the multiplier's error,
//                which is a fixed amount per product in code units and so grows with the step
//                (noise_aware_range). MSE-optimal clipping after Banner et al., "Post training
//                4-bit quantization of convolutional networks for rapid-deployment" (ACIQ,
//                NeurIPS 2019), with the multiplier's error as extra noise per step².
#pragma once

#include <ATen/core/Tensor.h>

#include <array>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace axx::emu {

enum class CalibrationMethod { max, percentile, mse, entropy, noise_aware };

/// "max", "percentile", "mse", "entropy", "noise_aware".
const char* to_string(CalibrationMethod m);
/// Throws EMU-041 for an unknown name, listing the valid ones.
CalibrationMethod parse_calibration_method(const std::string& s);
/// Throws EMU-040: `what` (an input, a layer) got no calibration data, `why` says how it shows.
[[noreturn]] void empty_calibration_set(const std::string& what, const std::string& why);

/// Calibration choices (JSON "quant" section of a config uses the same names).
struct CalibrationSettings {
  CalibrationMethod method = CalibrationMethod::max;
  double percentile = 99.99;  ///< percent, in (50, 100]; used by `percentile` and `noise_aware`
};

class RangeObserver {
 public:
  /// bins: histogram resolution over [-R, R]; a multiple of 4, ≥ 512.
  explicit RangeObserver(int64_t bins = 2048);

  /// Adds a batch. Throws EMU-030 for NaN/Inf (naming `what`).
  void observe(const at::Tensor& x, const std::string& what = "calibration input");

  int64_t count() const { return count_; }
  double min() const { return min_; }
  double max() const { return max_; }

  /// The range [lo, hi] to quantize with (lo ≤ 0 ≤ hi). Throws EMU-040 when nothing (or only
  /// empty tensors) was observed, naming `what`.
  std::pair<double, double> range(const CalibrationSettings& s, bool is_signed,
                                  const std::string& what = "calibration input") const;

  /// Code histogram (raw 8-bit codes, counts) of the observed values quantized with [lo, hi].
  std::array<double, 256> code_histogram(double lo, double hi, bool is_signed) const;

  /// The range of `noise_aware` for operand A of a layer on an approximate multiplier: among the
  /// candidate ranges of `mse`, the one minimizing E[(x̂ − x)²] + s_a²·σ²/E[b²], with s_a the
  /// step of the range, σ² the variance of the multiplier's error lut[a][b] − a·b over the codes
  /// this range gives and the operand-B codes `hist_b` (less each B code's mean error when
  /// `compensated`: the "mean" compensation removes it), and E[b²] the mean square of the B
  /// values (codes less `zero_point_b`). For an exact table this is `mse`'s range. The output
  /// error of a dot product over K terms is K·s_b²·(E[b²]·E[δx²] + s_a²·σ²): both terms share
  /// the factor, so the clip minimizing their sum is the one minimizing the output's error.
  std::pair<double, double> noise_aware_range(const int32_t* lut, bool is_signed, const std::array<double, 256>& hist_b,
                                              int32_t zero_point_b, bool compensated,
                                              const std::string& what = "calibration input") const;

 private:
  std::vector<double> folded() const;  // |x| histogram: bins/2 bins over [0, R]
  double bin_width() const { return 2 * radius_ / double(hist_.size()); }

  std::vector<double> hist_;
  double radius_ = 0;
  double min_ = 0, max_ = 0;
  int64_t count_ = 0;
};

/// Calibrated ranges per layer and input (a matmul layer has two inputs).
struct CalibrationResult {
  CalibrationSettings settings;
  std::map<std::string, std::vector<std::pair<double, double>>> ranges;
  /// Operand-A code histogram per quantized layer (multiply counts by raw 8-bit code; the
  /// histogram pass, config.hpp end_histograms), for "mean" compensation. Empty in old files.
  std::map<std::string, std::array<double, 256>> hist_a;
};

/// JSON: {"version": 1, "method": "...", "percentile": p,
///        "layers": {"<name>": [{"min": lo, "max": hi}, ...]},
///        "hist_a": {"<name>": [256 counts]}}  ("hist_a" optional on load); written atomically.
void save_calibration(const std::filesystem::path& path, const CalibrationResult& r);
/// Throws EMU-042 for a malformed file (naming the field), JSON-001/IO-002 when unreadable.
CalibrationResult load_calibration(const std::filesystem::path& path);

}  // namespace axx::emu
