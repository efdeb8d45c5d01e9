#include "characterize/plots.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "common/image.hpp"

namespace axx::flows {

std::string error_heatmap_svg(const std::string& name, const std::vector<int32_t>& lut, bool is_signed,
                              const ErrorMetrics& m) {
  // Operand value order: for signed designs raw pattern p = value & 0xff, value from -128.
  auto raw_of = [&](int idx) { return is_signed ? (idx + 128) & 0xff : idx; };
  const double scale = m.wce > 0 ? m.wce : 1.0;
  std::vector<Rgb> px(65536);
  for (int y = 0; y < 256; ++y) {
    for (int x = 0; x < 256; ++x) {
      const int a = raw_of(y), b = raw_of(x);
      const double e = lut[static_cast<size_t>(a * 256 + b)] - exact_product(a, b, is_signed);
      px[static_cast<size_t>(y * 256 + x)] = diverging_color(e / scale);
    }
  }
  const std::string png = base64_encode(encode_png(px, 256, 256));
  const int ox = 70, oy = 50, size = 512, bar_x = ox + size + 30;
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "font-family=\"sans-serif\" font-size=\"13\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{}\" y=\"22\" font-size=\"16\" font-weight=\"bold\">{}: error (approximate − exact)</text>\n"
      "<text x=\"{}\" y=\"40\" fill=\"#444\">MAE {:.4g}% · WCE {:.0f} · EP {:.3g}% · bias {:.3g}</text>\n"
      "<image x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" style=\"image-rendering:pixelated\" "
      "preserveAspectRatio=\"none\" href=\"data:image/png;base64,{}\"/>\n"
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#333\"/>\n",
      bar_x + 110, oy + size + 60, bar_x + 110, oy + size + 60, ox, xml_escape(name), ox, m.mae_pct, m.wce,
      m.ep_pct, m.mean_error, ox, oy, size, size, png, ox, oy, size, size);
  const int lo = is_signed ? -128 : 0;
  for (int v : {0, 64, 128, 192, 255}) {
    const double pos = (v + 0.5) * size / 256.0;
    const int label = lo + v;
    s += fmt::format("<line x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\" stroke=\"#333\"/>"
                     "<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                     ox + pos, oy + size, ox + pos, oy + size + 5, ox + pos, oy + size + 20, label);
    s += fmt::format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#333\"/>"
                     "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n",
                     ox - 5, oy + pos, ox, oy + pos, ox - 8, oy + pos + 4, label);
  }
  s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">b (weight)</text>\n", ox + size / 2,
                   oy + size + 42);
  s += fmt::format("<text x=\"18\" y=\"{}\" text-anchor=\"middle\" transform=\"rotate(-90 18 {})\">a "
                   "(activation)</text>\n",
                   oy + size / 2, oy + size / 2);
  // Colour bar from +WCE (top) to -WCE (bottom).
  const int steps = 64;
  for (int i = 0; i < steps; ++i) {
    const double t = 1.0 - 2.0 * (i + 0.5) / steps;
    const Rgb c = diverging_color(t);
    s += fmt::format("<rect x=\"{}\" y=\"{:.2f}\" width=\"20\" height=\"{:.2f}\" fill=\"rgb({},{},{})\"/>\n", bar_x,
                     oy + i * size / double(steps), size / double(steps) + 0.5, c.r, c.g, c.b);
  }
  s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"20\" height=\"{}\" fill=\"none\" stroke=\"#333\"/>\n", bar_x, oy,
                   size);
  s += fmt::format("<text x=\"{}\" y=\"{}\">+{:.0f}</text>\n", bar_x + 26, oy + 10, scale);
  s += fmt::format("<text x=\"{}\" y=\"{}\">0</text>\n", bar_x + 26, oy + size / 2 + 4);
  s += fmt::format("<text x=\"{}\" y=\"{}\">−{:.0f}</text>\n", bar_x + 26, oy + size, scale);
  s += "</svg>\n";
  return s;
}

std::string scatter_svg(const std::string& title, const std::string& x_label, const std::string& y_label,
                        const std::vector<ScatterPoint>& points) {
  const int W = 820, H = 560, ox = 80, oy = 50, pw = 600, ph = 440;
  // Log x over positive values; exact designs (MAE 0) sit on a separate "0" column at the left.
  double xmin = 1e300, xmax = 0, ymax = 0;
  for (const auto& p : points) {
    if (p.x > 0) { xmin = std::min(xmin, p.x); xmax = std::max(xmax, p.x); }
    ymax = std::max(ymax, p.y);
  }
  if (xmax <= 0) { xmin = 1e-4; xmax = 1; }
  const double lx0 = std::floor(std::log10(xmin)), lx1 = std::max(lx0 + 1, std::ceil(std::log10(xmax)));
  ymax = ymax > 0 ? ymax * 1.08 : 1;
  const int zero_col = 56;  // pixels reserved for MAE = 0, left of a break in the axis
  auto X = [&](double x) {
    if (x <= 0) return double(ox + zero_col / 2);
    return ox + zero_col + (std::log10(x) - lx0) / (lx1 - lx0) * (pw - zero_col);
  };
  auto Y = [&](double y) { return oy + ph - y / ymax * ph; };
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{}\" y=\"28\" font-size=\"16\" font-weight=\"bold\">{}</text>\n"
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#333\"/>\n",
      W, H, W, H, ox, xml_escape(title), ox, oy, pw, ph);
  for (double e = lx0; e <= lx1 + 1e-9; e += 1) {
    const double x = X(std::pow(10.0, e));
    s += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#ddd\"/>"
                     "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4:g}</text>\n",
                     x, oy, oy + ph, oy + ph + 16, std::pow(10.0, e));
  }
  s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">0</text>\n", X(0), oy + ph + 16);
  // Round y ticks: a step of 1, 2 or 5 times a power of ten giving at most 8 ticks.
  const double decade = std::pow(10.0, std::floor(std::log10(ymax / 1.08)) - 1);
  double step = decade;
  for (double m : {1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0}) {
    step = m * decade;
    if (ymax / step <= 8) break;
  }
  s += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#999\" stroke-dasharray=\"2 2\"/>\n",
                   ox + zero_col - 8, oy, oy + ph);
  for (double v = 0; v <= ymax + 1e-12; v += step) {
    s += fmt::format("<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"#eee\"/>"
                     "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5:.3g}</text>\n",
                     ox, Y(v), ox + pw, ox - 6, Y(v) + 4, v);
  }
  s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", ox + pw / 2, oy + ph + 38,
                   xml_escape(x_label));
  s += fmt::format("<text x=\"20\" y=\"{0}\" text-anchor=\"middle\" transform=\"rotate(-90 20 {0})\">{1}</text>\n",
                   oy + ph / 2, xml_escape(y_label));
  // Pareto staircases, one per signedness (the fronts are computed separately).
  for (const bool sgn : {false, true}) {
    std::vector<ScatterPoint> front;
    for (const auto& p : points)
      if (p.pareto && p.is_signed == sgn) front.push_back(p);
    std::sort(front.begin(), front.end(), [](const auto& a, const auto& b) { return a.x < b.x; });
    if (front.size() < 2) continue;
    std::string path;
    for (size_t i = 0; i < front.size(); ++i) {
      path += fmt::format("{}{:.1f},{:.1f} ", i ? "L" : "M", X(front[i].x), Y(front[i].y));
      if (i + 1 < front.size()) path += fmt::format("L{:.1f},{:.1f} ", X(front[i + 1].x), Y(front[i].y));
    }
    s += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.2\" stroke-dasharray=\"4 3\"/>\n",
                     path, sgn ? "#2a6" : "#26c");
  }
  for (const auto& p : points) {
    const std::string colour = p.is_signed ? "#2a6" : "#26c";
    if (p.is_signed) {
      s += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"8\" height=\"8\" fill=\"{}\" stroke=\"{}\">"
                       "<title>{}</title></rect>\n",
                       X(p.x) - 4, Y(p.y) - 4, p.pareto ? colour : "white", colour, xml_escape(p.label));
    } else {
      s += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"4.5\" fill=\"{}\" stroke=\"{}\"><title>{}</title>"
                       "</circle>\n",
                       X(p.x), Y(p.y), p.pareto ? colour : "white", colour, xml_escape(p.label));
    }
    if (p.pareto) {
      s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"10\" fill=\"#333\">{}</text>\n", X(p.x) + 7,
                       Y(p.y) - 5, xml_escape(p.label));
    }
  }
  const int lx = ox + pw + 15;
  s += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"4.5\" fill=\"#26c\"/><text x=\"{}\" y=\"{}\">unsigned</text>\n",
                   lx + 5, oy + 10, lx + 15, oy + 14);
  s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"8\" height=\"8\" fill=\"#2a6\"/><text x=\"{}\" y=\"{}\">signed"
                   "</text>\n",
                   lx + 1, oy + 26, lx + 15, oy + 34);
  s += fmt::format("<text x=\"{}\" y=\"{}\">filled: Pareto-optimal</text>\n", lx, oy + 56);
  s += fmt::format("<text x=\"{}\" y=\"{}\">hollow: dominated</text>\n", lx, oy + 72);
  s += "</svg>\n";
  return s;
}

}  // namespace axx::flows
