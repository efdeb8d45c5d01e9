// transaxx emulation — activation range calibration (see calibrate.hpp).
#include "emulation/calibrate.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.hpp"
#include "common/json.hpp"
#include "emulation/quant.hpp"

namespace axx::emu {

const char* to_string(CalibrationMethod m) {
  switch (m) {
    case CalibrationMethod::max: return "max";
    case CalibrationMethod::percentile: return "percentile";
    case CalibrationMethod::mse: return "mse";
    case CalibrationMethod::entropy: return "entropy";
    case CalibrationMethod::noise_aware: return "noise_aware";
  }
  return "?";
}

CalibrationMethod parse_calibration_method(const std::string& s) {
  for (auto m : {CalibrationMethod::max, CalibrationMethod::percentile, CalibrationMethod::mse,
                 CalibrationMethod::entropy, CalibrationMethod::noise_aware}) {
    if (s == to_string(m)) return m;
  }
  throw Error("EMU-041", fmt::format("unknown calibration method '{}'; valid: max, percentile, "
                                     "mse, entropy, noise_aware",
                                     s));
}

RangeObserver::RangeObserver(int64_t bins) : hist_(size_t(std::max<int64_t>(512, bins / 4 * 4)), 0.0) {}

void RangeObserver::observe(const at::Tensor& x_in, const std::string& what) {
  if (x_in.numel() == 0) return;
  const at::Tensor x = x_in.detach().to(at::kFloat).reshape({-1});
  check_finite(x, what);
  const double lo = x.min().item<double>(), hi = x.max().item<double>();
  min_ = count_ ? std::min(min_, lo) : lo;
  max_ = count_ ? std::max(max_, hi) : hi;
  count_ += x.numel();
  const double amax = std::max(-lo, hi);
  const int64_t bins = int64_t(hist_.size());
  if (radius_ == 0 && amax > 0) {
    radius_ = amax;
    // Earlier batches were all zeros: their mass sits at the centre.
    const double zeros = count_ - x.numel();
    hist_[size_t(bins / 2)] += zeros;
  }
  while (amax > radius_ && radius_ > 0) {  // double the range, merging bin pairs
    std::vector<double> h(hist_.size(), 0.0);
    for (int64_t i = 0; i < bins; ++i) h[size_t((bins / 2 + i) / 2)] += hist_[size_t(i)];
    hist_.swap(h);
    radius_ *= 2;
  }
  if (radius_ == 0) return;  // all zeros so far; counted in count_
  const at::Tensor h = at::histc(x, bins, -radius_, radius_).to(at::kCPU).to(at::kDouble).contiguous();
  const double* hp = h.data_ptr<double>();
  for (int64_t i = 0; i < bins; ++i) hist_[size_t(i)] += hp[i];
}

std::vector<double> RangeObserver::folded() const {
  const size_t half = hist_.size() / 2;
  std::vector<double> f(half);
  for (size_t j = 0; j < half; ++j) f[j] = hist_[half + j] + hist_[half - 1 - j];
  return f;
}

namespace {

// Expected squared error of quantizing the histogram (bin centres c, masses h) with range
// [lo, hi] at 8 bits.
double quant_mse(const std::vector<double>& h, double first_centre, double width, double lo,
                 double hi, bool is_signed) {
  const QParams q = qparams_from_range(lo, hi, is_signed);
  const double qmin = is_signed ? -128 : 0, qmax = is_signed ? 127 : 255;
  double err = 0;
  for (size_t i = 0; i < h.size(); ++i) {
    if (h[i] == 0) continue;
    const double c = first_centre + double(i) * width;
    const double code = std::clamp(std::nearbyint(c / q.scale) + q.zero_point, qmin, qmax);
    const double d = c - (code - q.zero_point) * q.scale;
    err += h[i] * d * d;
  }
  return err;
}

// TensorRT-style entropy calibration on the |x| histogram; returns the threshold bin count.
size_t kl_threshold_bins(const std::vector<double>& f, size_t levels) {
  size_t last = f.size();
  while (last > 0 && f[last - 1] == 0) --last;
  if (last <= levels) return std::max<size_t>(last, 1);
  double best = std::numeric_limits<double>::infinity();
  size_t best_i = last;
  for (size_t i = levels; i <= last; ++i) {
    std::vector<double> p(f.begin(), f.begin() + long(i));
    for (size_t j = i; j < f.size(); ++j) p[i - 1] += f[j];  // outliers clip to the edge
    // Q: merge the first i bins as observed (without the clipped outliers, as in TensorRT: built
    // from P itself, Q would equal P at i = levels and the search would always stop there) into
    // `levels` groups, spreading each group's mass evenly over its non-empty bins of P.
    std::vector<double> q(i, 0.0);
    for (size_t g = 0; g < levels; ++g) {
      const size_t b0 = g * i / levels, b1 = (g + 1) * i / levels;
      double mass = 0;
      size_t nonzero = 0;
      for (size_t j = b0; j < b1; ++j) {
        mass += f[j];
        nonzero += p[j] != 0;
      }
      for (size_t j = b0; j < b1; ++j) if (p[j] != 0) q[j] = mass / double(nonzero);
    }
    double sp = 0, sq = 0;
    for (size_t j = 0; j < i; ++j) {
      sp += p[j];
      sq += q[j];
    }
    if (sp == 0 || sq == 0) continue;
    double kl = 0;
    for (size_t j = 0; j < i; ++j) {
      if (p[j] == 0) continue;
      const double pj = p[j] / sp, qj = q[j] / sq;
      kl += qj > 0 ? pj * std::log(pj / qj) : pj * 50.0;  // unmatched mass: heavy penalty
    }
    if (kl < best) {
      best = kl;
      best_i = i;
    }
  }
  return best_i;
}

}  // namespace

void empty_calibration_set(const std::string& what, const std::string& why) {
  throw Error("EMU-040", fmt::format("{}: the calibration set is empty ({}); run calibration batches through the "
                                     "model first",
                                     what, why));
}

std::pair<double, double> RangeObserver::range(const CalibrationSettings& s, bool is_signed,
                                               const std::string& what) const {
  if (count_ == 0) {
    empty_calibration_set(what, "no values observed");
  }
  const double lo0 = std::min(min_, 0.0), hi0 = std::max(max_, 0.0);
  const double amax = std::max(-lo0, hi0);
  if (radius_ == 0 || amax == 0) return {0.0, 0.0};
  const double w = bin_width();
  switch (s.method) {
    case CalibrationMethod::max:
      return is_signed ? std::make_pair(-amax, amax) : std::make_pair(lo0, hi0);
    case CalibrationMethod::percentile:
    case CalibrationMethod::noise_aware: {  // its approximate layers: noise_aware_range
      if (!(s.percentile > 50 && s.percentile <= 100)) {
        throw Error("EMU-043", fmt::format("percentile {} is outside (50, 100]", s.percentile));
      }
      const double p = s.percentile / 100.0;
      if (is_signed) {
        const auto f = folded();
        double total = 0, c = 0;
        for (double v : f) total += v;
        for (size_t j = 0; j < f.size(); ++j) {
          c += f[j];
          if (c >= p * total) {
            const double t = std::min(amax, double(j + 1) * w);
            return {-t, t};
          }
        }
        return {-amax, amax};
      }
      double total = 0;
      for (double v : hist_) total += v;
      double c = 0, lo = lo0, hi = hi0;
      for (size_t j = 0; j < hist_.size(); ++j) {
        c += hist_[j];
        if (c >= (1 - p) * total) {
          lo = std::max(lo0, -radius_ + double(j) * w);
          break;
        }
      }
      c = 0;
      for (size_t j = hist_.size(); j-- > 0;) {
        c += hist_[j];
        if (c >= (1 - p) * total) {
          hi = std::min(hi0, -radius_ + double(j + 1) * w);
          break;
        }
      }
      return {std::min(lo, 0.0), std::max(hi, 0.0)};
    }
    case CalibrationMethod::mse: {
      constexpr int kSteps = 128;
      double best = std::numeric_limits<double>::infinity();
      std::pair<double, double> r{lo0, hi0};
      for (int j = 1; j <= kSteps; ++j) {
        const double a = double(j) / kSteps;
        const double lo = is_signed ? -amax * a : lo0 * a, hi = is_signed ? amax * a : hi0 * a;
        const double e = quant_mse(hist_, -radius_ + w / 2, w, lo, hi, is_signed);
        if (e < best) {
          best = e;
          r = {lo, hi};
        }
      }
      return r;
    }
    case CalibrationMethod::entropy: {
      const size_t i = kl_threshold_bins(folded(), 128);
      const double t = std::min(amax, double(i) * w);
      return is_signed ? std::make_pair(-t, t) : std::make_pair(std::max(lo0, -t), std::min(hi0, t));
    }
  }
  return {lo0, hi0};
}

std::array<double, 256> RangeObserver::code_histogram(double lo, double hi, bool is_signed) const {
  std::array<double, 256> h{};
  if (radius_ == 0) {
    h[is_signed ? 0 : size_t(qparams_from_range(lo, hi, false).zero_point)] = double(count_);
    return h;
  }
  const QParams q = qparams_from_range(lo, hi, is_signed);
  const double qmin = is_signed ? -128 : 0, qmax = is_signed ? 127 : 255, w = bin_width();
  for (size_t i = 0; i < hist_.size(); ++i) {
    if (hist_[i] == 0) continue;
    const double c = -radius_ + w / 2 + double(i) * w;
    const int code = int(std::clamp(std::nearbyint(c / q.scale) + q.zero_point, qmin, qmax));
    h[size_t(uint8_t(code))] += hist_[i];
  }
  return h;
}

std::pair<double, double> RangeObserver::noise_aware_range(const int32_t* lut, bool is_signed,
                                                           const std::array<double, 256>& hist_b, int32_t zero_point_b,
                                                           bool compensated, const std::string& what) const {
  if (count_ == 0) empty_calibration_set(what, "no values observed");
  const double lo0 = std::min(min_, 0.0), hi0 = std::max(max_, 0.0);
  const double amax = std::max(-lo0, hi0);
  if (radius_ == 0 || amax == 0) return {0.0, 0.0};
  // The B side: its code distribution q(b), E[b²] and, per A code, E_b[eps(a, b)²].
  auto value = [&](int code) { return is_signed ? double(int8_t(uint8_t(code))) : double(code); };
  double qsum = 0;
  for (double v : hist_b) qsum += v;
  if (!(qsum > 0)) return range(CalibrationSettings{CalibrationMethod::mse, 99.99}, is_signed, what);
  std::array<double, 256> q{};
  double eb2 = 0;
  for (int b = 0; b < 256; ++b) {
    q[size_t(b)] = hist_b[size_t(b)] / qsum;
    const double v = value(b) - (is_signed ? 0.0 : double(zero_point_b));
    eb2 += q[size_t(b)] * v * v;
  }
  if (!(eb2 > 0)) return range(CalibrationSettings{CalibrationMethod::mse, 99.99}, is_signed, what);
  std::vector<double> eps(size_t(256 * 256));
  std::array<double, 256> e2{};
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      const double e = double(lut[a * 256 + b]) - value(a) * value(b);
      eps[size_t(a * 256 + b)] = e;
      e2[size_t(a)] += q[size_t(b)] * e * e;
    }
  }
  const double total = double(count_), w = bin_width();
  constexpr int kSteps = 128;
  double best = std::numeric_limits<double>::infinity();
  std::pair<double, double> r{lo0, hi0};
  std::array<double, 256> t{};
  for (int j = 1; j <= kSteps; ++j) {
    const double f = double(j) / kSteps;
    const double lo = is_signed ? -amax * f : lo0 * f, hi = is_signed ? amax * f : hi0 * f;
    const double step = double(qparams_from_range(lo, hi, is_signed).scale);
    const std::array<double, 256> p = code_histogram(lo, hi, is_signed);
    double var = 0;
    t.fill(0.0);
    for (int a = 0; a < 256; ++a) {
      const double pa = p[size_t(a)] / total;
      if (pa == 0) continue;
      var += pa * e2[size_t(a)];
      if (!compensated) continue;
      const double* row = &eps[size_t(a * 256)];
      for (int b = 0; b < 256; ++b) t[size_t(b)] += pa * row[b];
    }
    if (compensated) {
      for (int b = 0; b < 256; ++b) var -= q[size_t(b)] * t[size_t(b)] * t[size_t(b)];
    }
    const double e = quant_mse(hist_, -radius_ + w / 2, w, lo, hi, is_signed) / total +
                     step * step * std::max(var, 0.0) / eb2;
    if (e < best) {
      best = e;
      r = {lo, hi};
    }
  }
  return r;
}

void save_calibration(const std::filesystem::path& path, const CalibrationResult& r) {
  Json j;
  j["version"] = 1;
  j["method"] = to_string(r.settings.method);
  j["percentile"] = r.settings.percentile;
  Json layers = Json::object();
  for (const auto& [name, ranges] : r.ranges) {
    Json arr = Json::array();
    for (const auto& [lo, hi] : ranges) arr.push_back({{"min", lo}, {"max", hi}});
    layers[name] = arr;
  }
  j["layers"] = layers;
  if (!r.hist_a.empty()) {
    Json h = Json::object();
    for (const auto& [name, counts] : r.hist_a) h[name] = counts;
    j["hist_a"] = h;
  }
  write_json_atomic(path, j);
}

CalibrationResult load_calibration(const std::filesystem::path& path) {
  const Json j = read_json_file(path);
  auto bad = [&](const std::string& field) {
    return Error("EMU-042", fmt::format("{}: field '{}' is missing or malformed; regenerate the "
                                        "calibration file",
                                        path.string(), field));
  };
  if (!j.is_object() || !j.contains("version") || j["version"] != 1) throw bad("version");
  CalibrationResult r;
  if (!j.contains("method") || !j["method"].is_string()) throw bad("method");
  r.settings.method = parse_calibration_method(j["method"].get<std::string>());
  if (j.contains("percentile") && j["percentile"].is_number()) r.settings.percentile = j["percentile"].get<double>();
  if (!j.contains("layers") || !j["layers"].is_object()) throw bad("layers");
  for (const auto& [name, arr] : j["layers"].items()) {
    if (!arr.is_array()) throw bad("layers." + name);
    auto& v = r.ranges[name];
    for (const auto& e : arr) {
      if (!e.is_object() || !e.contains("min") || !e.contains("max") || !e["min"].is_number() ||
          !e["max"].is_number()) {
        throw bad("layers." + name);
      }
      v.emplace_back(e["min"].get<double>(), e["max"].get<double>());
    }
  }
  if (j.contains("hist_a")) {
    if (!j["hist_a"].is_object()) throw bad("hist_a");
    for (const auto& [name, arr] : j["hist_a"].items()) {
      if (!arr.is_array() || arr.size() != 256) throw bad("hist_a." + name);
      std::array<double, 256> h{};
      for (size_t i = 0; i < 256; ++i) {
        if (!arr[i].is_number() || arr[i].get<double>() < 0) throw bad("hist_a." + name);
        h[i] = arr[i].get<double>();
      }
      r.hist_a[name] = h;
    }
  }
  return r;
}

}  // namespace axx::emu
