// transaxx search — SVG plot of accuracy–power fronts (byte-stable: no timestamps, fixed
// number formatting), first front highlighted, baselines overlaid.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/plot_frame.hpp"
#include "search/run.hpp"

namespace axx::search {

namespace {

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<')
      o += "&lt;";
    else if (c == '>')
      o += "&gt;";
    else if (c == '&')
      o += "&amp;";
    else
      o += c;
  }
  return o;
}

double nice_step(double span) {
  const double raw = span / 5;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= raw) return m * p;
  return 10 * p;
}

}  // namespace

std::string plot_fronts_svg(const std::vector<AlgorithmRun>& runs, const ReferencePoint& ref) {
  const double W = 720, H = 480, ml = 70, mr = 170, mt = 30, mb = 55;
  double x0 = ref.power_rel, x1 = ref.power_rel, y0 = ref.accuracy, y1 = ref.accuracy;
  bool any = false;
  for (const auto& r : runs) {
    for (const auto& p : r.front) {
      if (!any) {
        x0 = x1 = p.power_rel;
        y0 = y1 = p.accuracy;
        any = true;
      }
      x0 = std::min(x0, p.power_rel);
      x1 = std::max(x1, p.power_rel);
      y0 = std::min(y0, p.accuracy);
      y1 = std::max(y1, p.accuracy);
    }
  }
  x1 = std::max(x1, ref.power_rel);
  y0 = std::max(std::min(y0, y1 - 1e-3), ref.accuracy);
  if (x1 - x0 < 1e-6) x0 = x1 - 0.1;
  if (y1 - y0 < 1e-6) y0 = y1 - 0.01;
  PlotFrame f{W, H, ml, mr, mt, mb, x0, x1, y0, y1};
  f.pad(0.04, 0.06);
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0f}\" height=\"{:.0f}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      W, H);
  s += fmt::format(
      "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" stroke=\"#333\"/>\n", ml, mt,
      W - ml - mr, H - mt - mb);
  // Points below the reference accuracy are outside the plotted range: clip to the axes box.
  s += fmt::format(
      "<clipPath id=\"plot\"><rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\"/></clipPath>\n", ml, mt,
      W - ml - mr, H - mt - mb);
  const double sx = nice_step(f.x1 - f.x0), sy = nice_step(f.y1 - f.y0);
  for (double v = std::ceil(f.x0 / sx) * sx; v <= f.x1 + 1e-12; v += sx) {
    s += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#eee\"/>"
        "<text x=\"{0:.1f}\" y=\"{3:.1f}\" text-anchor=\"middle\">{4:.3g}</text>\n",
        f.X(v), mt, H - mb, H - mb + 16, v);
  }
  for (double v = std::ceil(f.y0 / sy) * sy; v <= f.y1 + 1e-12; v += sy) {
    s += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" stroke=\"#eee\"/>"
        "<text x=\"{3:.1f}\" y=\"{4:.1f}\" text-anchor=\"end\">{5:.4g}</text>\n",
        ml, f.Y(v), W - mr, ml - 6, f.Y(v) + 4, v);
  }
  s += fmt::format(
      "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">multiplier energy relative to "
      "all-exact</text>\n",
      ml + (W - ml - mr) / 2, H - 12);
  s += fmt::format(
      "<text transform=\"translate(16,{:.1f}) rotate(-90)\" text-anchor=\"middle\">measured "
      "accuracy</text>\n",
      mt + (H - mt - mb) / 2);
  static const char* colors[] = {"#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto& r = runs[i];
    const char* col = colors[i % 6];
    const double width = i == 0 ? 2.2 : 1.2;
    // Attainment staircase: each point dominates to the right at its accuracy.
    std::string d;
    for (size_t k = 0; k < r.front.size(); ++k) {
      const auto& p = r.front[k];
      const double nx = k + 1 < r.front.size() ? r.front[k + 1].power_rel : std::max(ref.power_rel, p.power_rel);
      d += fmt::format("{}{:.1f},{:.1f} H{:.1f} ", k ? "L" : "M", f.X(p.power_rel), f.Y(p.accuracy), f.X(nx));
    }
    if (!d.empty()) {
      s += fmt::format(
          "<path clip-path=\"url(#plot)\" d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{:.1f}\" "
          "stroke-opacity=\"0.8\"/>\n",
          d, col, width);
    }
    for (const auto& p : r.front) {
      s += fmt::format("<circle clip-path=\"url(#plot)\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{}\" fill=\"{}\"/>\n",
                       f.X(p.power_rel), f.Y(p.accuracy), i == 0 ? 3.5 : 2.5, col);
    }
    const double ly = mt + 14 + 18 * double(i);
    s += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"12\" height=\"12\" fill=\"{}\"/>"
        "<text x=\"{:.1f}\" y=\"{:.1f}\">{} HV={:.4g}</text>\n",
        W - mr + 12, ly - 10, col, W - mr + 30, ly, esc(r.algo), r.hypervolume);
  }
  s += "</svg>\n";
  return s;
}

}  // namespace axx::search
