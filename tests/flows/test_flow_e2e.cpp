// The whole co-design flow on a tiny problem (tests/data/flows/tiny.toml: four multipliers, a
// micro ViT trained for a few steps on Fashion-MNIST, a small search, a 2×3 array): every stage
// runs for real, the artefacts hold what they must, a rerun skips everything, and a flow killed
// in the middle of the search resumes to the same front.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <set>
#include <thread>

#include "common/fs.hpp"
#include "common/json.hpp"
#include "../cli_util.hpp"

using namespace axx;
namespace fs = std::filesystem;


namespace {

class FlowE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    runs_ = new fs::path(test::temp_dir("flow-e2e"));
    first_ = new test::CliResult(test::run_cli(
        {"flow", "run", test::data("flows/tiny.toml").string(), "--runs", runs_->string(), "--no-progress", "--json"}));
  }
  static void TearDownTestSuite() {
    fs::remove_all(*runs_);
    delete runs_;
    delete first_;
  }
  static fs::path dir() { return *runs_ / "tiny"; }
  static fs::path* runs_;
  static test::CliResult* first_;
};
fs::path* FlowE2E::runs_ = nullptr;
test::CliResult* FlowE2E::first_ = nullptr;

Json statuses(const std::string& output) {
  const size_t start = output.find("{\n");
  if (start == std::string::npos) return nullptr;
  const Json j = Json::parse(output.substr(start));
  Json s = Json::object();
  for (const auto& st : j.at("stages")) s[st.at("stage").get<std::string>()] = st.at("status");
  return s;
}

}  // namespace

TEST_F(FlowE2E, EveryStageRunsAndItsArtefactsHoldWhatTheyMust) {
  ASSERT_EQ(first_->rc, 0) << first_->output;
  const Json st = statuses(first_->output);
  for (const auto& [stage, status] : st.items()) EXPECT_EQ(status, "ran") << stage;

  // The library holds exactly the four multipliers asked for.
  const Json lib = read_json_file(dir() / "characterize/library/library.json");
  std::set<std::string> mults;
  for (const auto& m : lib.at("multipliers")) mults.insert(m.at("name").get<std::string>());
  EXPECT_EQ(mults, (std::set<std::string>{"exact_s8", "bam_s8_v8", "drum_s8_k4", "booth_s8_v11"}));

  // The front: non-empty, power ascending, accuracy strictly rising (non-dominated), every
  // config names real layers and library multipliers.
  const Json layers = read_json_file(dir() / "calibrate/layers.json");
  std::set<std::string> layer_names;
  for (const auto& l : layers.at("layers")) {
    layer_names.insert(l.at("name").get<std::string>());
    EXPECT_EQ(l.at("m").get<int64_t>() * l.at("k").get<int64_t>() * l.at("n").get<int64_t>() *
                  l.at("count").get<int64_t>(),
              l.at("macs").get<int64_t>())
        << l.at("name");
  }
  EXPECT_EQ(layer_names.size(), 14u);  // vit_fmnist_micro: patch embedding, 2 blocks of 6, head
  const Json front = read_json_file(dir() / "search/mcts/front.json");
  ASSERT_FALSE(front.at("points").empty());
  for (size_t i = 1; i < front.at("points").size(); ++i) {
    const Json &a = front["points"][i - 1], &b = front["points"][i];
    EXPECT_LT(a.at("power_rel").get<double>(), b.at("power_rel").get<double>());
    EXPECT_LT(a.at("accuracy").get<double>(), b.at("accuracy").get<double>());
  }
  for (const auto& p : front.at("points")) {
    const Json cfg = read_json_file(dir() / "search/mcts" / p.at("config_file").get<std::string>());
    for (const auto& [layer, m] : cfg.at("layers").items()) {
      EXPECT_TRUE(layer_names.count(layer)) << layer;
      EXPECT_TRUE(m == "exact" || m == "fp32" || mults.count(m.get<std::string>())) << m;
    }
  }
  EXPECT_TRUE(fs::exists(dir() / "search/random/front.json"));

  // Sensitivity: one row per layer and multiplier.
  const Json sens = read_json_file(dir() / "sensitivity/sensitivity.json");
  EXPECT_EQ(sens.at("rows").size(), layer_names.size() * (mults.size() - 1))
      << "one row per (layer, approximate multiplier)";

  // Fine-tuning ran on one chosen point and reports both accuracies.
  const Json ft = read_json_file(dir() / "finetune/stage.json").at("outputs");
  ASSERT_EQ(ft.at("points").size(), 1u);
  EXPECT_LT(ft["points"][0].at("power_rel").get<double>(), 1.0);
  EXPECT_TRUE(fs::exists(ft["points"][0].at("model").get<std::string>()));

  // The accelerator was verified: lint clean, bit-exact in every mode, cycles equal the model.
  const Json man = read_json_file(dir() / "hwgen/design/manifest.json");
  EXPECT_EQ(man.at("parameters").at("rows"), 2);
  EXPECT_EQ(man.at("parameters").at("cols"), 3);
  EXPECT_EQ(man.at("verification").at("lint").at("clean"), true);
  EXPECT_EQ(man.at("verification").at("simulation").at("errors"), 0);
  EXPECT_EQ(man.at("verification").at("simulation").at("cycles_match_model"), true);
  EXPECT_GT(man.at("verification").at("synthesis").at("area_um2").get<double>(), 0);
  // Power came from operands recorded in the model's layers, not from random stimuli.
  const Json hw = read_json_file(dir() / "hwgen/stage.json");
  EXPECT_NE(hw.at("outputs").at("power_operands"), "uniform random");
  const std::string hwlog = read_file(dir() / "hwgen/logs/01-hwgen.log");
  EXPECT_NE(hwlog.find("--operands-a"), std::string::npos) << hwlog.substr(0, 2000);
  EXPECT_NE(hwlog.find("model.s8.a.npy"), std::string::npos);

  // The report: every section, inline pictures, no external references.
  const std::string html = read_file(dir() / "report/report.html");
  for (const char* s : {"1. Multiplier library", "2. Error maps", "3. Layer sensitivity", "4. Accuracy&ndash;power front",
                        "5. Chosen configurations", "6. Accelerator", "7. How this was made"}) {
    EXPECT_NE(html.find(s), std::string::npos) << s;
  }
  size_t svgs = 0;
  for (size_t p = html.find("<svg"); p != std::string::npos; p = html.find("<svg", p + 1)) ++svgs;
  EXPECT_GE(svgs, 5u);  // library, ≥ 1 error map, sensitivity, front, fine-tuning
  // The fine-tuning figure: the chosen point from before to after, over the max_drop band.
  EXPECT_NE(html.find("before (hollow) and after fine-tuning"), std::string::npos);
  EXPECT_NE(html.find("shaded: within"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org"));  // only SVG namespaces
  EXPECT_EQ(html.find("<script"), std::string::npos);
  const Json rep = read_json_file(dir() / "report/report.json");
  EXPECT_EQ(rep.at("chosen").size(), 1u);
  EXPECT_TRUE(rep.at("accelerator").at("verification").is_object());
}

TEST_F(FlowE2E, ARerunSkipsEveryStage) {
  ASSERT_EQ(first_->rc, 0) << first_->output;
  const auto again = test::run_cli(
      {"flow", "run", test::data("flows/tiny.toml").string(), "--runs", runs_->string(), "--no-progress", "--json"});
  ASSERT_EQ(again.rc, 0) << again.output;
  const Json st = statuses(again.output);
  ASSERT_EQ(st.size(), 8u);
  for (const auto& [stage, status] : st.items()) EXPECT_EQ(status, "skipped") << stage;
}

TEST_F(FlowE2E, AFlowKilledDuringTheSearchResumesToTheSameFront) {
  ASSERT_EQ(first_->rc, 0) << first_->output;
  const Json reference = read_json_file(dir() / "search/mcts/front.json").at("points");

  fs::remove_all(dir() / "search");  // so the checkpoint awaited below is the new run's
  const pid_t pid = test::spawn_quiet({"flow", "run", test::data("flows/tiny.toml").string(), "--runs", runs_->string(),
                                       "--from", "search", "--to", "search", "--force", "--no-progress"});
  ASSERT_GT(pid, 0);
  // Kill once the search has checkpointed some configurations.
  const fs::path ckpt = dir() / "search/mcts/checkpoint.json";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(600);
  while (!fs::exists(ckpt) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the flow finished before it could be killed";
  EXPECT_FALSE(fs::exists(dir() / "search/stage.json"));
  EXPECT_TRUE(fs::exists(dir() / "search/stage.started.json"));

  const auto resumed = test::run_cli(
      {"flow", "run", test::data("flows/tiny.toml").string(), "--runs", runs_->string(), "--no-progress", "--json"});
  ASSERT_EQ(resumed.rc, 0) << resumed.output;
  const Json st = statuses(resumed.output);
  EXPECT_EQ(st.at("search"), "ran");
  for (const char* s : {"characterize", "model", "calibrate", "sensitivity", "finetune", "hwgen", "report"}) {
    EXPECT_EQ(st.at(s), "skipped") << s;
  }
  EXPECT_EQ(read_json_file(dir() / "search/mcts/front.json").at("points"), reference);
}

TEST_F(FlowE2E, AFlowKilledDuringFineTuningKeepsThePointsItFinished) {
  ASSERT_EQ(first_->rc, 0) << first_->output;
  const fs::path ft = dir() / "finetune";
  const Json finished = read_json_file(ft / "stage.json");
  const fs::path model = ft / "point_0/model.safetensors";
  ASSERT_TRUE(fs::exists(ft / "point_0/done.json"));
  const auto written = fs::last_write_time(model);
  // What a kill after the first point leaves: the stage started with these inputs, no record.
  fs::remove(ft / "stage.json");
  write_json_atomic(ft / "stage.started.json", Json{{"inputs_sha256", finished.at("inputs_sha256")}});

  const auto resumed = test::run_cli(
      {"flow", "run", test::data("flows/tiny.toml").string(), "--runs", runs_->string(), "--no-progress", "--json"});
  ASSERT_EQ(resumed.rc, 0) << resumed.output;
  const Json st = statuses(resumed.output);
  EXPECT_EQ(st.at("finetune"), "ran");
  EXPECT_EQ(st.at("hwgen"), "skipped");  // the same inputs: nothing downstream changes
  EXPECT_NE(resumed.output.find("finetune-point0: finished before the interruption, reused"), std::string::npos)
      << resumed.output;
  const Json again = read_json_file(ft / "stage.json");
  EXPECT_TRUE(again.at("commands").at(0).value("reused", false));
  EXPECT_EQ(fs::last_write_time(model), written);  // not fine-tuned again
  EXPECT_EQ(again.at("outputs"), finished.at("outputs"));
}

// [finetune] calibration = "noise_aware": the points that could make the headline are measured
// again with it, and the fine-tuning measures the same accuracy before it starts.
TEST(FlowE2ENoiseAware, FineTunedPointsAreMeasuredAndFineTunedWithTheirCalibration) {
  const fs::path runs = test::temp_dir("flow-e2e-noise");
  const auto r = test::run_cli({"flow", "run", test::data("flows/tiny_noise.toml").string(), "--runs", runs.string(),
                                "--to", "finetune", "--no-progress", "--json"});
  ASSERT_EQ(r.rc, 0) << r.output;
  const fs::path ft = runs / "tiny_noise" / "finetune";
  const Json st = read_json_file(ft / "stage.json");
  const Json& points = st.at("outputs").at("points");
  ASSERT_FALSE(points.empty());
  for (const auto& p : points) {
    EXPECT_EQ(p.at("calibration"), "noise_aware");
    const fs::path again = ft / "remeasured" / fmt::format("point_{}.json", p.at("front_index").get<int64_t>());
    ASSERT_TRUE(fs::exists(again)) << again;
    EXPECT_EQ(p.at("test_accuracy"), read_json_file(again).at("top1"));
    EXPECT_EQ(p.at("before_top1"), p.at("test_accuracy"));  // same calibration, same images
    EXPECT_TRUE(p.at("flow_calibration_accuracy").is_number());
  }
  bool noise_aware_finetune = false;
  for (const auto& c : st.at("commands")) {
    const std::string cmd = c.at("command");
    if (cmd.find(" finetune ") != std::string::npos)
      noise_aware_finetune = cmd.find("--calibration noise_aware") != std::string::npos;
  }
  EXPECT_TRUE(noise_aware_finetune);
  fs::remove_all(runs);
}

TEST_F(FlowE2E, MalformedFlowFileIsAUsageErrorNamingTheLine) {
  const fs::path d = test::temp_dir("flow-bad");
  write_file_atomic(d / "bad.toml", "[model]\nfile = \"m.safetensors\"\n\n[search]\nbudjet = 5\n");
  const auto r = test::run_cli({"flow", "run", (d / "bad.toml").string(), "--runs", (d / "runs").string()});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("FLOW-002"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("bad.toml:5"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(d / "runs"));
  fs::remove_all(d);
}
