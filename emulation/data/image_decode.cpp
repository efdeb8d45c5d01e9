// transaxx data — image decoding (see image_decode.hpp).
#include "emulation/data/image_decode.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>
#ifdef AXX_HAVE_IMAGE_DECODE
#include <jpeglib.h>
#include <png.h>
#endif

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <vector>

#include "common/error.hpp"
#include "common/fs.hpp"

namespace axx::data {

#ifdef AXX_HAVE_IMAGE_DECODE
namespace {

struct JpegErr {
  jpeg_error_mgr mgr;
  jmp_buf jump;
  char msg[JMSG_LENGTH_MAX];
};

[[noreturn]] void corrupt_image(const std::string& path, const char* format, const std::string& detail) {
  throw Error("DATA-004", fmt::format("{}: corrupt {} ({})", path, format, detail));
}

void on_jpeg_message(j_common_ptr, int) {}  // warnings (e.g. truncated data) are not printed

void on_jpeg_error(j_common_ptr c) {
  auto* e = reinterpret_cast<JpegErr*>(c->err);
  (*c->err->format_message)(c, e->msg);
  longjmp(e->jump, 1);
}

at::Tensor decode_jpeg(const std::string& bytes, const std::string& path) {
  jpeg_decompress_struct c;
  JpegErr err;
  c.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = on_jpeg_error;
  err.mgr.emit_message = on_jpeg_message;
  err.msg[0] = 0;
  std::vector<uint8_t> pix;
  int w = 0, h = 0;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&c);
    corrupt_image(path, "JPEG", err.msg);
  }
  jpeg_create_decompress(&c);
  jpeg_mem_src(&c, reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&c, TRUE);
  c.out_color_space = JCS_RGB;
  jpeg_start_decompress(&c);
  w = int(c.output_width);
  h = int(c.output_height);
  pix.resize(size_t(w) * size_t(h) * 3);
  while (c.output_scanline < c.output_height) {
    JSAMPROW row = pix.data() + size_t(c.output_scanline) * size_t(w) * 3;
    jpeg_read_scanlines(&c, &row, 1);
  }
  jpeg_finish_decompress(&c);
  jpeg_destroy_decompress(&c);
  at::Tensor t = at::empty({h, w, 3}, at::kByte);
  std::memcpy(t.data_ptr(), pix.data(), pix.size());
  return t.permute({2, 0, 1}).contiguous();
}

at::Tensor decode_png(const std::string& bytes, const std::string& path) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&img, bytes.data(), bytes.size())) {
    corrupt_image(path, "PNG", img.message);
  }
  img.format = PNG_FORMAT_RGB;
  at::Tensor t = at::empty({int64_t(img.height), int64_t(img.width), 3}, at::kByte);
  if (!png_image_finish_read(&img, nullptr, t.data_ptr(), 0, nullptr)) {
    const std::string m = img.message;
    png_image_free(&img);
    corrupt_image(path, "PNG", m);
  }
  return t.permute({2, 0, 1}).contiguous();
}

}  // namespace

at::Tensor decode_image(const std::string& path) {
  if (!std::filesystem::exists(path)) throw Error("DATA-015", fmt::format("image '{}' does not exist", path));
  const std::string b = read_file(path);
  if (b.size() >= 3 && uint8_t(b[0]) == 0xFF && uint8_t(b[1]) == 0xD8 && uint8_t(b[2]) == 0xFF) return decode_jpeg(b, path);
  if (b.size() >= 8 && std::memcmp(b.data(), "\x89PNG\r\n\x1a\n", 8) == 0) return decode_png(b, path);
  throw Error("DATA-016", fmt::format("{}: neither a JPEG nor a PNG file (bad signature)", path));
}
#else
at::Tensor decode_image(const std::string& path) {
  throw Error("DATA-007", fmt::format("{}: this build has no JPEG/PNG decoder (install libjpeg-dev and libpng-dev, "
                                      "then reconfigure)", path));
}
#endif

at::Tensor eval_transform(const at::Tensor& rgb, int64_t side) {
  const int64_t h = rgb.size(1), w = rgb.size(2);
  const double target = double(side) * 256.0 / 224.0;
  const double s = target / double(std::min(h, w));
  const int64_t nh = std::max<int64_t>(side, int64_t(std::lround(double(h) * s)));
  const int64_t nw = std::max<int64_t>(side, int64_t(std::lround(double(w) * s)));
  at::Tensor f = rgb.to(at::kFloat).unsqueeze(0);
  f = at::upsample_bilinear2d(f, {nh, nw}, false);
  const int64_t top = (nh - side) / 2, left = (nw - side) / 2;
  f = f.narrow(2, top, side).narrow(3, left, side);
  return f.round().clamp(0, 255).to(at::kByte).squeeze(0).contiguous();
}

}  // namespace axx::data
