// Fuzzes the approximation config reader (emulation/config: load_config / parse_config).
#include <gtest/gtest.h>

#include "common/fs.hpp"
#include "emulation/config.hpp"
#include "tests/fuzz/fuzz_dir.hpp"
#include "tests/fuzz/fuzz_util.hpp"

using namespace axx;

TEST(FuzzApproxConfig, EveryInputIsReadOrRefusedWithACode) {
  fuzz::ScratchDir dir("config");
  emu::ApproxConfig c;
  c.library = "lib";
  c.default_multiplier = "exact_s8";
  c.layers = {{"blocks.0.attn.qkv", "bam_s8_v4"}, {"head", "fp32"}, {"blocks.1.mlp.fc1", "exact"}};
  const std::vector<std::string> seeds = {
      emu::to_json(c).dump(1),
      R"({"version": 1, "default": "exact", "layers": {"a.b": "m1"},
          "quant": {"weights": "per_tensor", "calibration": "percentile", "percentile": 99.9}})",
      R"({"version": 1, "library": "/abs/lib", "quant": {"weights": "per_channel", "calibration": "mse"}})",
      R"({"version": 1})"};
  for (const auto& s : seeds) {
    fuzz::write_bytes(dir.path / "seed.json", s);
    EXPECT_NO_THROW(emu::load_config(dir.path / "seed.json")) << s;
  }
  const std::vector<std::string> dict = {
      "\"version\"", "\"library\"", "\"default\"", "\"layers\"", "\"quant\"", "\"weights\"", "\"calibration\"",
      "\"percentile\"", "\"per_channel\"", "\"per_tensor\"", "\"max\"", "\"mse\"", "\"entropy\"", "\"fp32\"",
      "\"exact\"", "\"\"", "true", "null", "[]", "{}", ": ", ",", "{", "}", "[", "]", "\"", "\\u0000", "1.5",
      "-1", "2", "1e400", "99999999999999999999"};
  const fuzz::Spec spec{"config", seeds, dict, {"EMU-", "JSON-", "IO-"}};
  const auto outcomes = fuzz::run_fuzz(spec, [&](const std::string& b) {
    fuzz::write_bytes(dir.path / "x.json", b);
    emu::to_json(emu::load_config(dir.path / "x.json"));
  });
  EXPECT_GT(outcomes.size(), 3u);
}
