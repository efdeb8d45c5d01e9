// The search reads `transaxx sensitivity`'s own output (a "rows" list) as a sensitivity table.
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "search/model.hpp"

using namespace axx;
using namespace axx::search;

TEST(SensitivityRows, RowsBecomeDropsWithTheExactBaselineAndModelId) {
  const Json j = Json::parse(R"({"model": "m.safetensors", "model_id": "m@0123456789ab",
      "baseline": {"fp32_top1": 0.91, "exact8_top1": 0.9, "exact8_top5": 0.99},
      "rows": [{"layer": "blocks.0.mlp.fc1", "multiplier": "bam_s8_v6", "top1": 0.89, "top5": 0.99, "drop_top1": 0.01},
               {"layer": "head", "multiplier": "drum_u8_k4", "top1": 0.905, "top5": 0.99, "drop_top1": -0.005}]})");
  const SensitivityTable s = parse_sensitivity(j);
  EXPECT_EQ(s.model, "m@0123456789ab");
  EXPECT_EQ(s.base_accuracy, 0.9);
  EXPECT_EQ(s.drop("blocks.0.mlp.fc1", "bam_s8_v6"), 0.01);
  EXPECT_EQ(s.drop("head", "drum_u8_k4"), -0.005);
  EXPECT_FALSE(s.drop("head", "bam_s8_v6").has_value());
  // And the converted table round-trips through the search's own format.
  const SensitivityTable t = parse_sensitivity(to_json(s));
  EXPECT_EQ(t.drops, s.drops);
  EXPECT_EQ(t.model, s.model);
}

TEST(SensitivityRows, MalformedRowsAreSrc025) {
  for (const char* text : {R"({"rows": [], "baseline": {}})",
                           R"({"rows": [{"layer": "head", "multiplier": "x"}], "baseline": {"exact8_top1": 0.9}})",
                           R"({"rows": {}, "baseline": {"exact8_top1": 0.9}})",
                           R"({"rows": [], "baseline": {"exact8_top1": 1.5}})"}) {
    try {
      parse_sensitivity(Json::parse(text));
      FAIL() << "accepted " << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), "SRC-025") << text;
    }
  }
}
