// transaxx — pictures of characterization results, as self-contained SVG (no fonts to fetch,
// no network): the error heat map of one multiplier and the library's power/error scatter.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "characterize/error_metrics.hpp"

namespace axx::flows {

/// 256×256 map of lut − exact product, rows = activation a, columns = weight b, both in
/// operand-value order (−128…127 for signed designs), with axes and a colour bar.
std::string error_heatmap_svg(const std::string& name, const std::vector<int32_t>& lut, bool is_signed,
                              const ErrorMetrics& m);

struct ScatterPoint {
  std::string label;
  double x = 0, y = 0;   ///< x: MAE %, y: power (relative or µW)
  bool pareto = false;   ///< drawn filled and labelled
  bool is_signed = false;
};

/// Scatter of power against MAE% (log-scaled x when the range allows), Pareto points marked.
std::string scatter_svg(const std::string& title, const std::string& x_label, const std::string& y_label,
                        const std::vector<ScatterPoint>& points);

}  // namespace axx::flows
