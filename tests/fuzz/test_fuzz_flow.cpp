// Fuzzes the flow file reader (flows/flow_spec: TOML, the key schema, ranges, cross-key checks)
// on the shipped example flows and the tests' flows.
#include <gtest/gtest.h>

#include "common/fs.hpp"
#include "flows/flow_spec.hpp"
#include "tests/fuzz/fuzz_util.hpp"

using namespace axx;

TEST(FuzzFlowFile, EveryInputIsReadOrRefusedWithACode) {
  std::vector<std::string> seeds;
  for (const char* f : {"demo/flow.toml", "own_model/flow.toml"}) {
    seeds.push_back(read_file(std::filesystem::path(AXX_EXAMPLES_DIR) / f));
  }
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(AXX_TEST_DATA_DIR) / "flows")) {
    seeds.push_back(read_file(e.path()));
  }
  seeds.push_back("[model]\nfile = \"m.safetensors\"\n[search]\ncompare = [\"nsga2\", \"random\"]\nbudget = 7\n"
                  "[finetune]\nmax_drop = 0.5\nlr = 1e-3\n[hwgen]\nverify = false\n");
  for (const auto& s : seeds) EXPECT_NO_THROW(flows::parse_flow(s, "seed.toml", "/tmp")) << s;
  std::vector<std::string> dict = {"[", "]", "[[", "]]", "=", "\"", "'", "'''", "\"\"\"", "#", "\n", ".", ",",
                                   "{", "}", "true", "false", "nan", "inf", "-inf", "+1", "0x7f", "0o7", "0b1",
                                   "1979-05-27T07:32:00Z", "1_000", "\\u0000", "\\U0010FFFF", "\\x", "\xc3\x28"};
  for (const auto& k : flows::flow_keys()) {
    dict.push_back("[" + k.table + "]\n");
    dict.push_back(k.name + " = ");
  }
  const fuzz::Spec spec{"flow", seeds, dict, {"FLOW-"}};
  const auto outcomes =
      fuzz::run_fuzz(spec, [](const std::string& b) { flows::parse_flow(b, "fuzz.toml", "/tmp/axx-fuzz-flow"); });
  EXPECT_GT(outcomes.size(), 5u);
}
