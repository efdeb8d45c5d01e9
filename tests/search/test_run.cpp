// run_search end to end: files, checkpoint/resume equivalence, bad input.
#include <gtest/gtest.h>

#include "common/fs.hpp"
#include "search/run.hpp"
#include "test_util.hpp"

using namespace axx;
using namespace axx::search;
using namespace axx::search::test;

namespace fs = std::filesystem;

namespace {

struct Killed {};

/// Scores with the toy model; throws Killed once `kill_after` configurations are scored.
class ToyEvaluator : public Evaluator {
 public:
  explicit ToyEvaluator(const ToyProblem& p, int64_t kill_after = -1) : p_(p), kill_after_(kill_after) {}
  std::vector<double> evaluate(const SearchSpace& s, const std::vector<Config>& cs) override {
    std::vector<double> out;
    for (const auto& c : cs) {
      if (kill_after_ >= 0 && scored_ >= kill_after_) throw Killed{};
      out.push_back(p_.accuracy(s, c));
      ++scored_;
    }
    return out;
  }
  std::vector<std::string> layer_names() const override { return p_.model.names(); }
  int64_t scored() const { return scored_; }

 private:
  const ToyProblem& p_;
  int64_t kill_after_;
  int64_t scored_ = 0;
};

SearchOptions options_for(const ToyProblem& p, const std::string& algo, int64_t budget, const fs::path& out) {
  SearchOptions o;
  o.library = p.library;
  o.model = p.model;
  o.sensitivity = p.sensitivity;
  o.algo = algo;
  o.budget = budget;
  o.seed = 42;
  o.batch = 3;
  o.reference = {1.0, 0.5};
  o.out_dir = out;
  o.mcts.simulations = 150;
  return o;
}

void expect_same(const AlgorithmRun& a, const AlgorithmRun& b) {
  ASSERT_EQ(a.evaluations.size(), b.evaluations.size()) << a.algo;
  for (size_t i = 0; i < a.evaluations.size(); ++i) {
    EXPECT_EQ(a.evaluations[i].config, b.evaluations[i].config) << a.algo << " eval " << i;
    EXPECT_EQ(a.evaluations[i].accuracy, b.evaluations[i].accuracy);
  }
  ASSERT_EQ(a.front.size(), b.front.size());
  for (size_t i = 0; i < a.front.size(); ++i) EXPECT_EQ(a.front[i].config, b.front[i].config);
  EXPECT_EQ(a.hypervolume, b.hypervolume);
}

}  // namespace

TEST(RunSearch, WritesFrontConfigsPlotSummaryAndCheckpoint) {
  const ToyProblem p = small_toy(12, 6, 31);
  const auto out = temp_dir("out");
  SearchOptions o = options_for(p, "mcts", 30, out);
  o.compare = {"nsga2", "random", "greedy"};
  ToyEvaluator ev(p);
  const SearchResult r = run_search(o, ev);
  EXPECT_EQ(r.primary.evaluations.size(), 30u);
  ASSERT_EQ(r.baselines.size(), 3u);
  EXPECT_EQ(ev.scored(), int64_t(r.primary.evaluations.size() + r.baselines[0].evaluations.size() +
                                 r.baselines[1].evaluations.size() + r.baselines[2].evaluations.size()));
  for (const char* f : {"summary.json", "front.svg", "mcts/checkpoint.json", "mcts/front.csv", "mcts/front.json",
                        "mcts/evaluations.csv", "nsga2/front.json", "random/front.json", "greedy/front.json"}) {
    EXPECT_TRUE(fs::exists(out / f)) << f;
  }
  const Json front = read_json_file(out / "mcts/front.json");
  ASSERT_EQ(front["points"].size(), r.primary.front.size());
  const auto space = SearchSpace::build(o.library, o.model, &*o.sensitivity, o.space);
  for (size_t i = 0; i < r.primary.front.size(); ++i) {
    const std::string file = front["points"][i]["config_file"].get<std::string>();
    const Json cfg = read_json_file(out / "mcts" / file);
    EXPECT_EQ(cfg["version"], 1);
    EXPECT_EQ(space.from_approx_config(cfg), r.primary.front[i].config);
  }
  const Json summary = read_json_file(out / "summary.json");
  EXPECT_EQ(summary["algorithms"].size(), 4u);
  EXPECT_NEAR(summary["algorithms"][0]["hypervolume"].get<double>(), r.primary.hypervolume, 1e-15);
  const std::string svg = read_file(out / "front.svg");
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("nsga2"), std::string::npos);
  // The plot is byte-stable.
  std::vector<AlgorithmRun> runs{r.primary};
  runs.insert(runs.end(), r.baselines.begin(), r.baselines.end());
  EXPECT_EQ(plot_fronts_svg(runs, o.reference), svg);
}

TEST(RunSearch, ResumeAfterAKillGivesTheUninterruptedFront) {
  const ToyProblem p = small_toy(12, 6, 33);
  for (const auto& info : algorithms()) {
    const std::string algo = info.name;
    ToyEvaluator full_ev(p);
    const SearchResult full = run_search(options_for(p, algo, 25, temp_dir(algo + "_full")), full_ev);
    // Killed after 10 configurations (mid-batch: batch 3), then resumed in a fresh process.
    const auto dir = temp_dir(algo + "_killed");
    ToyEvaluator dying(p, 10);
    EXPECT_THROW(run_search(options_for(p, algo, 25, dir), dying), Killed) << algo;
    const Json ck = read_json_file(dir / algo / "checkpoint.json");
    EXPECT_EQ(ck["evaluations"].size(), 9u) << algo;  // three whole batches survived
    ToyEvaluator resumed_ev(p);
    const SearchResult resumed = run_search(options_for(p, algo, 25, dir), resumed_ev);
    expect_same(full.primary, resumed.primary);
    EXPECT_EQ(resumed.primary.replayed, 9);
    EXPECT_EQ(resumed_ev.scored(), int64_t(full.primary.evaluations.size()) - 9) << algo;
    // Resuming a finished search scores nothing and returns the same front.
    ToyEvaluator idle(p);
    const SearchResult again = run_search(options_for(p, algo, 25, dir), idle);
    EXPECT_EQ(idle.scored(), 0);
    expect_same(full.primary, again.primary);
  }
}

TEST(RunSearch, StopCallbackPausesAndResumeFinishes) {
  const ToyProblem p = small_toy(12, 6, 35);
  ToyEvaluator full_ev(p);
  const SearchResult full = run_search(options_for(p, "mcts", 24, temp_dir("full")), full_ev);
  const auto dir = temp_dir("stopped");
  SearchOptions o = options_for(p, "mcts", 24, dir);
  o.on_progress = [](const SearchProgress& pr) { return pr.used < 12; };
  ToyEvaluator ev1(p);
  const SearchResult part = run_search(o, ev1);
  EXPECT_FALSE(part.primary.complete);
  EXPECT_EQ(part.primary.evaluations.size(), 12u);
  o.on_progress = nullptr;
  ToyEvaluator ev2(p);
  const SearchResult rest = run_search(o, ev2);
  EXPECT_TRUE(rest.primary.complete);
  EXPECT_EQ(ev2.scored(), 12);
  expect_same(full.primary, rest.primary);
}

TEST(RunSearch, CheckpointOfAnotherSearchIsRefused) {
  const ToyProblem p = small_toy(12, 6, 37);
  const auto dir = temp_dir("ck");
  ToyEvaluator ev(p);
  run_search(options_for(p, "random", 10, dir), ev);
  SearchOptions o = options_for(p, "random", 10, dir);
  o.seed = 43;
  AXX_EXPECT_CODE(run_search(o, ev), "SRC-008");
  o.seed = 42;
  o.resume = false;  // starting over is allowed
  EXPECT_NO_THROW(run_search(o, ev));
  // Same fingerprint, but a log the search would not produce (edited by hand): the replay
  // notices the divergence.
  Json ck = read_json_file(dir / "random" / "checkpoint.json");
  const auto space = SearchSpace::build(o.library, o.model, &*o.sensitivity, o.space);
  const std::string first = ck["evaluations"][0]["config"][0].get<std::string>();
  for (const auto& c : space.candidates(0)) {
    const std::string& name = o.library.multipliers[size_t(c.mult)].name;
    if (name != first) {
      ck["evaluations"][0]["config"][0] = name;
      break;
    }
  }
  write_json_atomic(dir / "random" / "checkpoint.json", ck);
  o.resume = true;
  AXX_EXPECT_CODE(run_search(o, ev), "SRC-016");
  write_file_atomic(dir / "random" / "checkpoint.json", "{\"kind\": \"something else\"}");
  o.resume = true;
  AXX_EXPECT_CODE(run_search(o, ev), "SRC-009");
}

TEST(RunSearch, BadInputIsReportedWithItsCode) {
  const ToyProblem p = small_toy(12, 6, 39);
  ToyEvaluator ev(p);
  SearchOptions o = options_for(p, "mcts", 0, {});
  AXX_EXPECT_CODE(run_search(o, ev), "SRC-001");
  o.budget = 10;
  o.algo = "annealing";
  AXX_EXPECT_CODE(run_search(o, ev), "SRC-010");
  o.algo = "mcts";
  o.mcts.exploration = -1;
  AXX_EXPECT_CODE(run_search(o, ev), "SRC-014");
  o.mcts.exploration = 0.4;
  o.batch = 0;
  AXX_EXPECT_CODE(run_search(o, ev), "SRC-014");
  o.batch = 2;
  SearchOptions empty = o;
  empty.library.multipliers.clear();
  AXX_EXPECT_CODE(run_search(empty, ev), "SRC-002");
  // An evaluator that runs another model.
  const ToyProblem other = small_toy(13, 6, 39);
  ToyEvaluator other_ev(other);
  AXX_EXPECT_CODE(run_search(o, other_ev), "SRC-013");
  // A sensitivity table of another model.
  SearchOptions wrong = o;
  wrong.sensitivity->drops["blocks.11.mlp.fc2"]["toy_s8_00"] = 0.01;
  AXX_EXPECT_CODE(run_search(wrong, ev), "SRC-026");
  // An evaluator returning the wrong count.
  struct Short : Evaluator {
    std::vector<double> evaluate(const SearchSpace&, const std::vector<Config>&) override { return {}; }
  } short_ev;
  AXX_EXPECT_CODE(run_search(o, short_ev), "SRC-011");
}
