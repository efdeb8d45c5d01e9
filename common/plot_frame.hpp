// transaxx common — the data-to-pixel mapping of a plot's axes box, shared by the SVG figures
// (search fronts, the report's fine-tuning figure).
#pragma once

namespace axx {

/// A W×H picture with margins (left, right, top, bottom) around the axes box, showing data
/// x in [x0, x1] and y in [y0, y1] (y up).
struct PlotFrame {
  double W = 0, H = 0, ml = 0, mr = 0, mt = 0, mb = 0;
  double x0 = 0, x1 = 1, y0 = 0, y1 = 1;

  /// Widens the data range by these fractions of its span on each side.
  void pad(double fx, double fy, double min_y = 0) {
    const double px = (x1 - x0) * fx, py = (y1 - y0) * fy + min_y;
    x0 -= px;
    x1 += px;
    y0 -= py;
    y1 += py;
  }
  double X(double v) const { return ml + (v - x0) / (x1 - x0) * (W - ml - mr); }
  double Y(double v) const { return H - mb - (v - y0) / (y1 - y0) * (H - mt - mb); }
};

}  // namespace axx
