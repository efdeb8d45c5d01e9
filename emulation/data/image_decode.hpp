// transaxx data — JPEG (libjpeg) and PNG (libpng) decoding and the evaluation transform.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>

namespace axx::data {

/// uint8 [3, H, W] RGB (grey and alpha are converted). Throws DATA-004 naming the file when it is
/// a corrupt JPEG/PNG, DATA-016 when it is neither, DATA-015 when missing.
at::Tensor decode_image(const std::string& path);

/// The usual evaluation transform: resize the shorter side to side·256/224 (bilinear), then
/// centre-crop side×side. uint8 [3, H, W] → uint8 [3, side, side].
at::Tensor eval_transform(const at::Tensor& rgb, int64_t side);

}  // namespace axx::data
