// Library loading, power model, candidate pruning, operand-weighted error features and
// approximation-config round trips.
#include <gtest/gtest.h>

#include <cmath>

#include "common/fs.hpp"
#include "common/json.hpp"
#include "common/npy.hpp"
#include "common/sha256.hpp"
#include "search/library.hpp"
#include "search/power.hpp"
#include "search/space.hpp"
#include "test_util.hpp"

using namespace axx;
using namespace axx::search;
using namespace axx::search::test;

namespace {

ModelLayers two_layers() {
  ModelLayers m;
  m.model = "tiny";
  m.layers = {{"blocks.0.mlp.fc1", 1000, {}}, {"blocks.0.mlp.fc2", 3000, {}}};
  return m;
}

}  // namespace

TEST(MultiplierLibrary, LoadsRecordsOfTheFixture) {
  const auto lib = load_multiplier_library(fixture_library());
  EXPECT_EQ(lib.multipliers.size(), 15u);
  const int e = lib.find("exact_s8");
  ASSERT_GE(e, 0);
  EXPECT_TRUE(lib.multipliers[size_t(e)].is_signed);
  EXPECT_NEAR(lib.multipliers[size_t(e)].energy_pj_per_op, 18.30291521658863, 1e-9);
  const auto& b = lib.multipliers[size_t(lib.find("bam_s8_v4"))];
  EXPECT_DOUBLE_EQ(b.mse, 248.25);
  EXPECT_DOUBLE_EQ(b.mean_error, -12.25);
}

TEST(MultiplierLibrary, EmptyLibraryIsSrc002) {
  const auto d = temp_dir("empty");
  write_json_atomic(d / "library.json", Json{{"version", 1}, {"multipliers", Json::array()}});
  AXX_EXPECT_CODE(load_multiplier_library(d), "SRC-002");
  MultiplierLibrary lib;
  AXX_EXPECT_CODE(SearchSpace::build(lib, two_layers(), nullptr), "SRC-002");
}

TEST(MultiplierLibrary, MissingFolderOrRecordIsLibError) {
  AXX_EXPECT_CODE(load_multiplier_library("/nonexistent/lib"), "LIB-001");
  const auto d = temp_dir("norecord");
  write_json_atomic(d / "library.json", Json{{"version", 1}, {"multipliers", {{{"name", "ghost"}}}}});
  AXX_EXPECT_CODE(load_multiplier_library(d), "LIB-006");
  // A record without the metrics the search needs, or with no energy per operation.
  write_json_atomic(d / "ghost.json", Json{{"signed", true}, {"hw", {{"energy_pj_per_op", 1.0}}}});
  AXX_EXPECT_CODE(load_multiplier_library(d), "LIB-009");
  write_json_atomic(d / "ghost.json", Json{{"signed", true},
                                           {"error", {{"mae_pct", 0.1}, {"wce_pct", 1.0}, {"mse", 2.0}, {"mean_error", 0.0}}},
                                           {"hw", {{"energy_pj_per_op", 0.0}}}});
  AXX_EXPECT_CODE(load_multiplier_library(d), "SRC-003");
}

TEST(PowerModel, SumsMacsTimesEnergyAndIsRelativeToAllExact) {
  const auto lib = load_multiplier_library(fixture_library());
  const auto m = two_layers();
  PowerModel pm(lib, m, "exact_s8");
  const int e = lib.find("exact_s8"), b = lib.find("bam_s8_v8");
  const double ee = lib.multipliers[size_t(e)].energy_pj_per_op, eb = lib.multipliers[size_t(b)].energy_pj_per_op;
  EXPECT_NEAR(pm.exact_energy_pj(), 4000 * ee, 1e-6);
  const PowerEstimate p = pm.estimate({e, b});
  EXPECT_NEAR(p.energy_pj, 1000 * ee + 3000 * eb, 1e-6);
  EXPECT_NEAR(p.relative, (1000 * ee + 3000 * eb) / (4000 * ee), 1e-12);
  EXPECT_NEAR(pm.estimate({e, e}).relative, 1.0, 1e-15);
  AXX_EXPECT_CODE(PowerModel(lib, m, "exact_x9"), "SRC-012");
}

TEST(SearchSpace, PrunesToThePerLayerParetoSetWithExactFirst) {
  const auto lib = load_multiplier_library(fixture_library());
  const auto m = two_layers();
  SpaceOptions so;
  so.signedness = Signedness::signed_only;
  const auto s = SearchSpace::build(lib, m, nullptr, so);
  for (size_t l = 0; l < s.num_layers(); ++l) {
    const auto& c = s.candidates(l);
    ASSERT_GE(c.size(), 2u);
    EXPECT_EQ(lib.multipliers[size_t(c[0].mult)].name, "exact_s8");
    for (size_t k = 0; k < c.size(); ++k) {
      EXPECT_TRUE(lib.multipliers[size_t(c[k].mult)].is_signed);
      if (k) {
        EXPECT_LT(c[k].power_share, c[k - 1].power_share);  // power falls ...
        EXPECT_GT(c[k].noise, c[k - 1].noise);              // ... error rises
      }
    }
  }
  SpaceOptions all = so;
  all.prune = false;
  const auto u = SearchSpace::build(lib, m, nullptr, all);
  EXPECT_GT(u.candidates(0).size(), s.candidates(0).size());
  SpaceOptions cap = so;
  cap.max_candidates = 3;
  const auto t = SearchSpace::build(lib, m, nullptr, cap);
  EXPECT_EQ(t.candidates(0).size(), 3u);
  EXPECT_EQ(t.candidates(0)[0].mult, lib.find("exact_s8"));
  cap.max_candidates = 1;
  AXX_EXPECT_CODE(SearchSpace::build(lib, m, nullptr, cap), "SRC-019");
}

TEST(SearchSpace, MeasuredDropsPruneOnlyWhereTheCheaperDesignIsNoNoisier) {
  // Every signed design gets the same measured drop on every layer (as on a few hundred images,
  // where small drops are all zero): drops alone would keep only the cheapest design. A cheaper
  // design dominates only when it is also no noisier, so the power-noise Pareto set survives.
  const auto lib = load_multiplier_library(fixture_library());
  const auto m = two_layers();
  SpaceOptions so;
  so.signedness = Signedness::signed_only;
  SensitivityTable flat;
  flat.model = "tiny";
  for (const auto& l : m.layers)
    for (const auto& mi : lib.multipliers) flat.drops[l.name][mi.name] = 0.0;
  const auto by_noise = SearchSpace::build(lib, m, nullptr, so);
  const auto s = SearchSpace::build(lib, m, &flat, so);
  for (size_t l = 0; l < s.num_layers(); ++l) {
    ASSERT_EQ(s.candidates(l).size(), by_noise.candidates(l).size()) << l;
    for (size_t k = 0; k < s.candidates(l).size(); ++k) EXPECT_EQ(s.candidates(l)[k].mult, by_noise.candidates(l)[k].mult);
  }
  // Pruning is on power, drop and noise together: a design off the power-noise front stays when
  // its measured drop is below every design that beats it on power and noise, else it goes.
  SpaceOptions unpruned = so;
  unpruned.prune = false;
  const auto u = SearchSpace::build(lib, m, nullptr, unpruned);
  std::string off_front;
  for (const auto& k : u.candidates(0)) {
    bool kept = false;
    for (const auto& b : by_noise.candidates(0)) kept = kept || b.mult == k.mult;
    if (!kept) off_front = lib.multipliers[size_t(k.mult)].name;
  }
  ASSERT_FALSE(off_front.empty());
  auto has = [&](const SearchSpace& sp, const std::string& name) {
    for (const auto& k : sp.candidates(0))
      if (lib.multipliers[size_t(k.mult)].name == name) return true;
    return false;
  };
  SensitivityTable t = flat;
  t.drops[m.layers[0].name][off_front] = -0.01;  // measured better than every other design
  EXPECT_TRUE(has(SearchSpace::build(lib, m, &t, so), off_front)) << off_front;
  t.drops[m.layers[0].name][off_front] = 0.05;
  EXPECT_FALSE(has(SearchSpace::build(lib, m, &t, so), off_front)) << off_front;
}

TEST(SearchSpace, PowerOfConfigsMatchesThePowerModel) {
  const auto lib = load_multiplier_library(fixture_library());
  const auto m = two_layers();
  const auto s = SearchSpace::build(lib, m, nullptr);
  EXPECT_NEAR(s.power_rel(s.all_exact()), 1.0, 1e-12);
  const Config c = s.all_cheapest();
  EXPECT_NEAR(s.power_rel(c), s.power(c).relative, 1e-12);
  EXPECT_LT(s.power_rel(c), 0.5);
}

TEST(SearchSpace, ApproxConfigRoundTripAndOtherModelErrors) {
  const auto lib = load_multiplier_library(fixture_library());
  const auto m = two_layers();
  const auto s = SearchSpace::build(lib, m, nullptr);
  const Config c = s.all_cheapest();
  const Json j = s.to_approx_config(c);
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["default"], "exact");
  EXPECT_EQ(j["layers"].size(), 2u);
  EXPECT_EQ(s.from_approx_config(j), c);
  // Layers not listed take the default ("exact" = exact_s8).
  EXPECT_EQ(s.from_approx_config(Json{{"version", 1}, {"layers", Json::object()}}), s.all_exact());
  // A config of another model.
  Json other{{"version", 1}, {"layers", {{"blocks.7.attn.qkv", "exact_s8"}}}};
  AXX_EXPECT_CODE(s.from_approx_config(other), "SRC-022");
  AXX_EXPECT_CODE(s.check(Config{0, 0, 0}), "SRC-005");
  Json unknown{{"version", 1}, {"layers", {{"blocks.0.mlp.fc1", "nonexistent_mult"}}}};
  AXX_EXPECT_CODE(s.from_approx_config(unknown), "SRC-006");
  // A library multiplier that pruning removed is not a candidate either.
  SpaceOptions all;
  all.prune = false;
  const auto u = SearchSpace::build(lib, m, nullptr, all);
  std::string removed;
  for (const auto& cu : u.candidates(0)) {
    bool kept = false;
    for (const auto& cs : s.candidates(0)) kept |= cs.mult == cu.mult;
    if (!kept) removed = lib.multipliers[size_t(cu.mult)].name;
  }
  ASSERT_FALSE(removed.empty());
  Json pruned{{"version", 1}, {"layers", {{"blocks.0.mlp.fc1", removed}}}};
  AXX_EXPECT_CODE(s.from_approx_config(pruned), "SRC-006");
}

TEST(SearchSpace, SensitivityOfAnotherModelIsRefused) {
  const auto lib = load_multiplier_library(fixture_library());
  SensitivityTable t;
  t.model = "tiny";
  t.base_accuracy = 0.9;
  t.drops["blocks.9.mlp.fc1"]["bam_s8_v8"] = 0.01;
  AXX_EXPECT_CODE(SearchSpace::build(lib, two_layers(), &t), "SRC-026");
  t.drops.clear();
  t.model = "resnet";
  AXX_EXPECT_CODE(SearchSpace::build(lib, two_layers(), &t), "SRC-007");
  AXX_EXPECT_CODE(parse_sensitivity(Json{{"version", 1}, {"base_accuracy", 2.0}, {"drops", Json::object()}}),
                  "SRC-025");
}

TEST(ModelLayers, ParseRejectsBadInput) {
  AXX_EXPECT_CODE(parse_model_layers(Json{{"version", 1}, {"layers", Json::array()}}), "SRC-004");
  AXX_EXPECT_CODE(parse_model_layers(Json{{"version", 1}, {"layers", {{{"name", "a"}, {"macs", 0}}}}}), "SRC-004");
  AXX_EXPECT_CODE(parse_model_layers(
                      Json{{"version", 1}, {"layers", {{{"name", "a"}, {"macs", 5}}, {{"name", "a"}, {"macs", 5}}}}}),
                  "SRC-004");
  AXX_EXPECT_CODE(parse_model_layers(Json{
                      {"version", 1}, {"layers", {{{"name", "a"}, {"macs", 5}, {"operands", {{"a_s8", {1, 2}}}}}}}}),
                  "SRC-004");
  ModelLayers m = two_layers();
  m.layers[0].operands.a_s8.assign(256, 1.0);
  const ModelLayers back = parse_model_layers(to_json(m));
  EXPECT_EQ(back.names(), m.names());
  EXPECT_EQ(back.layers[0].operands.a_s8.size(), 256u);
}

TEST(ErrorFeatures, LutWeightedByOperandHistogramsMatchesHandComputation) {
  // A multiplier that drops the product's low 4 bits (signed truncation), with its LUT.
  MultiplierInfo m;
  m.name = "trunc4";
  m.is_signed = true;
  m.lut.resize(65536);
  double mse = 0, mean = 0;
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      const int32_t p = exact_product(a, b, true);
      const int32_t t = p & ~15;
      m.lut[size_t(a) * 256 + size_t(b)] = t;
      mse += double(t - p) * double(t - p) / 65536.0;
      mean += double(t - p) / 65536.0;
    }
  }
  m.mse = mse;
  m.mean_error = mean;
  // Uniform operands: LUT features equal the record's (mse, bias).
  double q1, b1, q2, b2;
  error_features(m, {}, {}, q1, b1);
  MultiplierInfo rec = m;
  rec.lut.clear();
  error_features(rec, {}, {}, q2, b2);
  EXPECT_NEAR(q1, q2, 1e-12 * std::max(1.0, q2));
  EXPECT_NEAR(b1, b2, 1e-12);
  // Operands concentrated on a = 3 and b ∈ {5, 16}: errors (15 & −...) computed by hand.
  std::vector<double> ha(256, 0), hb(256, 0);
  ha[3] = 1;
  hb[5] = 1;
  hb[16] = 1;
  double q, bias;
  error_features(m, ha, hb, q, bias);
  // 3·5 = 15 → 0 (error −15); 3·16 = 48 → 48 (error 0).
  const double e2 = 0.5 * 225, signal = 9.0 * 0.5 * (25 + 256);
  EXPECT_NEAR(q, e2 / signal, 1e-12);
  EXPECT_NEAR(bias, -7.5 / std::sqrt(signal), 1e-12);
}

TEST(ErrorFeatures, LutsLoadFromTheLibraryFolder) {
  const auto d = temp_dir("luts");
  const auto src = fixture_library();
  for (const auto& e : std::filesystem::directory_iterator(src))
    std::filesystem::copy(e.path(), d / e.path().filename());
  auto lib = load_multiplier_library(d);
  AXX_EXPECT_CODE(load_luts(lib), "LIB-011");  // the fixture has no .npy files
  std::vector<int32_t> exact(65536);
  for (int a = 0; a < 256; ++a)
    for (int b = 0; b < 256; ++b) exact[size_t(a) * 256 + size_t(b)] = exact_product(a, b, true);
  for (const auto& m : lib.multipliers) write_npy_i32(m.lut_path, exact, {256, 256});
  // The fixture's records carry the hashes of their real tables: the exact table written in their
  // place is not what they were characterized with.
  AXX_EXPECT_CODE(load_luts(lib), "LIB-015");
  for (auto& m : lib.multipliers) m.lut_sha256 = sha256_file(m.lut_path);
  load_luts(lib);
  for (const auto& m : lib.multipliers) EXPECT_EQ(m.lut.size(), 65536u);
}
