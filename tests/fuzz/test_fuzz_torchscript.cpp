// Fuzzes the TorchScript loader (emulation/import/torchscript): the archive bytes (with the input
// spec given) and the sidecar JSON next to a valid model. Seeds: the small models that
// tests/import/make_reference.py writes (a CNN, an einsum model, a state dict, a non-module).
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "common/fs.hpp"
#include "emulation/import/torchscript.hpp"
#include "tests/fuzz/fuzz_dir.hpp"
#include "tests/fuzz/fuzz_util.hpp"

using namespace axx;
namespace fs = std::filesystem;

TEST(FuzzTorchScript, EveryArchiveAndSidecarIsLoadedOrRefusedWithACode) {
  at::set_num_threads(1);
  fuzz::ScratchDir dir("torchscript");
  const fs::path ref(AXX_IMPORT_REF_DIR);
  std::vector<std::string> seeds;
  for (const char* f : {"cnn.pt", "einsum.pt", "not_a_module.pt", "state_dict.pt", "cnn.json"}) {
    seeds.push_back(read_file(ref / f));
  }
  seeds.push_back(R"({"channels": 3, "image_size": 16, "num_classes": 10})");
  // The sidecar's model: the small einsum one (refused after the sidecar is read, quickly).
  fuzz::write_bytes(dir.path / "m.pt", seeds[1]);
  const std::vector<std::string> dict = {"PK\x03\x04", "PK\x01\x02", "PK\x05\x06", "constants.pkl", "data.pkl",
                                         "code/", "version", "\"channels\"", "\"image_size\"", "\"num_classes\"",
                                         "0", "-1", "1e9", "9223372036854775807", "[]", "{}", "null", "\"3\""};
  const fuzz::Spec spec{"torchscript", seeds, dict, {"IMP-"}, 10000};
  const auto outcomes = fuzz::run_fuzz(spec, [&](const std::string& b) {
    if (b.rfind("PK", 0) == 0) {
      fuzz::write_bytes(dir.path / "x.pt", b);
      imp::load_torchscript((dir.path / "x.pt").string(), {{3, 16, 10}, ""});
    } else {
      fuzz::write_bytes(dir.path / "m.json", b);
      imp::load_torchscript((dir.path / "m.pt").string());
    }
  });
  EXPECT_GT(outcomes.size(), 3u);
}
