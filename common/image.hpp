// transaxx — small picture helpers: RGB PNG encoding (zlib), base64, colour maps.
// Used for heat maps that are embedded in self-contained SVG/HTML (no network, no fonts needed).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace axx {

struct Rgb {
  uint8_t r, g, b;
};

/// PNG bytes of a width×height RGB image given row by row (top row first).
std::string encode_png(const std::vector<Rgb>& pixels, int width, int height);

std::string base64_encode(const std::string& bytes);

/// Diverging map for signed values: t in [-1, 1]; blue below 0, white at 0, red above.
Rgb diverging_color(double t);

/// Escapes text for XML/SVG/HTML content and attributes.
std::string xml_escape(const std::string& s);

}  // namespace axx
