// safetensors reader/writer: round trip and validation of every offset.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "common/error.hpp"
#include "emulation/models/safetensors.hpp"

using namespace axx;
using namespace axx::models;

namespace {

std::string with_header(const std::string& json, const std::string& data) {
  std::string out(8, '\0');
  uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) out[size_t(i)] = char((n >> (8 * i)) & 0xff);
  return out + json + data;
}

std::string code_of(const std::string& bytes) {
  try {
    parse_safetensors(bytes, "test");
  } catch (const Error& e) {
    return e.code();
  }
  return "";
}

}  // namespace

TEST(Safetensors, RoundTripKeepsDtypesShapesValuesMetadata) {
  TensorMap t = {{"a.weight", torch::randn({3, 4})},
                 {"b", torch::arange(6, torch::kLong).reshape({2, 3})},
                 {"c", torch::tensor({1, 2, 3}, torch::kByte)},
                 {"empty", torch::zeros({0, 5})}};
  const std::string bytes = safetensors_bytes(t, {{"k", "v"}});
  const SafetensorsFile f = parse_safetensors(bytes, "mem");
  ASSERT_EQ(f.tensors.size(), t.size());
  for (const auto& kv : t) {
    EXPECT_EQ(f.tensors.at(kv.first).scalar_type(), kv.second.scalar_type()) << kv.first;
    EXPECT_TRUE(torch::equal(f.tensors.at(kv.first), kv.second)) << kv.first;
  }
  ASSERT_EQ(f.metadata.size(), 1u);
  EXPECT_EQ(f.metadata[0].second, "v");
}

TEST(Safetensors, BadInputsThrowTheirCodes) {
  EXPECT_EQ(code_of("abc"), "SFT-001");
  EXPECT_EQ(code_of(with_header("{}", "").substr(0, 8) + std::string("\xff", 1)), "SFT-001");
  std::string big(8, '\0');
  big[0] = char(100);
  EXPECT_EQ(code_of(big + "{}"), "SFT-001");
  EXPECT_EQ(code_of(with_header("[1]", "")), "SFT-002");
  EXPECT_EQ(code_of(with_header("{not json", "")), "SFT-002");
  EXPECT_EQ(code_of(with_header(R"({"a": {"dtype": "F32", "shape": [2]}})", std::string(8, '\0'))), "SFT-007");
  EXPECT_EQ(code_of(with_header(R"({"a": {"dtype": "Q4", "shape": [2], "data_offsets": [0, 8]}})", std::string(8, '\0'))),
            "SFT-003");
  EXPECT_EQ(code_of(with_header(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 16]}})", std::string(8, '\0'))),
            "SFT-004");
  EXPECT_EQ(code_of(with_header(R"({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})", std::string(8, '\0'))),
            "SFT-004");
  EXPECT_EQ(code_of(with_header(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}})", std::string(8, '\0'))),
            "SFT-004");
  EXPECT_EQ(code_of(with_header(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                    "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
                                std::string(12, '\0'))),
            "SFT-004");
  EXPECT_EQ(code_of(with_header(R"({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}})", std::string(8, '\0'))),
            "SFT-007");
}
