// transaxx — the numeric options' ranges (see option_ranges.hpp).
#include "apps/option_ranges.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <string>

namespace axx::app {
namespace {

constexpr double kMax = 9.0e18;  // "no upper bound" for counts (fits int64)

struct Range {
  const char* name;  ///< long option name without dashes
  double lo, hi;
  bool lo_open = false, hi_open = false;
  bool integer = true;
  bool not_one = false;  ///< --max-candidates: 0 (all) or >= 2
};

// One row per option name. Keep in step with what the parts accept (they check again).
const Range kRanges[] = {
    // characterize, library build
    {"clock-mhz", 0, 1e6, true, false, false},
    {"vectors", 10000, 1e7},
    {"jobs", 1, 1024},
    // hwgen
    {"rows", 1, 256},
    {"cols", 1, 256},
    {"acc-bits", 16, 32},
    {"stream-depth", 1, 65536},
    {"tests-per-mode", 1, 1000},
    {"sim-opt", 0, 3},
    {"power-cycles", 16, 100000},
    // the model commands
    {"threads", 1, 1024},
    {"eval-batch", 1, 1e6},
    {"test-limit", 0, kMax},
    {"train-limit", 0, kMax},
    {"calib-images", 1, kMax},
    {"percentile", 50, 100, true, false, false},
    {"heads", 1, 4096},
    {"channels", 1, 4096},
    {"input-size", 1, 65536},
    {"classes", 1, 1e7},
    {"img-size", 1, 65536},
    {"epochs", 1, 1e6},
    {"max-steps", 0, kMax},
    {"train-batch", 1, 1e6},
    {"lr", 0, 10, true, false, false},
    {"min-lr", 0, 10, false, false, false},
    {"weight-decay", 0, 10, false, false, false},
    {"warmup", 0, 1, false, true, false},
    {"label-smoothing", 0, 1, false, true, false},
    {"stop-after-epochs", 0, kMax},
    {"stop-after", 0, kMax},
    {"sample-rows", 1, kMax},
    {"pool-values", 1, kMax},
    // the earlier spellings, kept as hidden aliases (apps/model_options.hpp)
    {"batch", 1, 1e6},
    {"limit", 0, kMax},
    {"images", 1, kMax},
    // search
    {"budget", 1, 1e7},
    {"config-batch", 1, 4096},
    {"eval-images", 0, kMax},
    {"max-candidates", 0, 1000, false, false, true, true},
    {"exploration", 0, 100, false, false, false},
    {"simulations", 1, 1e7},
    {"population", 2, 1e5},
    {"ref-accuracy", 0, 1, false, false, false},
    {"max-drop", 0, 1, false, false, false},
};

std::string number(double v) {
  if (v >= kMax) return "any";
  return fmt::format("{:g}", v);
}

std::string description(const Range& r) {
  std::string d = fmt::format("in {}{}, {}{}", r.lo_open ? '(' : '[', number(r.lo), number(r.hi),
                              r.hi >= kMax ? ')' : (r.hi_open ? ')' : ']'));
  if (r.not_one) d += ", not 1";
  return d;
}

CLI::Validator validator(const Range& r) {
  const std::string desc = description(r);
  return CLI::Validator(
      [r, desc](std::string& s) -> std::string {
        double v = 0;
        size_t used = 0;
        try {
          v = std::stod(s, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != s.size() || s.empty() || !std::isfinite(v)) {
          return fmt::format("'{}' is not a number; expected {} {}", s, r.integer ? "an integer" : "a number", desc);
        }
        const bool below = r.lo_open ? !(v > r.lo) : !(v >= r.lo);
        const bool above = r.hi_open ? !(v < r.hi) : !(v <= r.hi);
        if (below || above || (r.integer && v != std::floor(v)) || (r.not_one && v == 1)) {
          return fmt::format("{} is out of range: expected {} {}", s, r.integer ? "an integer" : "a number", desc);
        }
        return std::string();
      },
      desc);
}

}  // namespace

void apply_option_ranges(CLI::App& app) {
  for (CLI::Option* o : app.get_options()) {
    for (const std::string& name : o->get_lnames()) {
      for (const Range& r : kRanges) {
        if (name == r.name) o->check(validator(r));
      }
    }
  }
  for (CLI::App* sub : app.get_subcommands({})) apply_option_ranges(*sub);
}

}  // namespace axx::app
