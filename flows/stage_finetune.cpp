// Flow stage "finetune": approximation-aware retraining (`transaxx finetune`, straight-through
// estimator, or LUT gradients with [finetune] gradient = "lut") of front points picked one at a
// time: each is the cheapest point predicted to land within max_drop of exact 8-bit after
// fine-tuning, its accuracy before plus what fine-tuning is expected to win back (a prior of half
// the [finetune] window's span, then the mean of what the points fine-tuned so far won back);
// cheaper than any point that landed, more accurate than any that missed, never below the window
// (next_pick). Up to [finetune] points fine-tunings; the stage stops when no point is predicted
// to improve the headline. With [finetune] calibration other than the flow's (noise_aware), the
// points that could make the headline are measured again with it first. Points come from the
// combined front of the search, its baselines and the uniform configurations (one multiplier on
// every layer; all measured the same way). The headline is the cheapest fine-tuned point measured
// within max_drop after fine-tuning. A flow killed during this stage keeps the points it finished
// (StageContext::run_once) and picks the same ones again.
#include <fmt/format.h>

#include <algorithm>

#include "common/error.hpp"
#include "flows/flow_stages.hpp"

namespace axx::flows {

namespace fs = std::filesystem;

namespace {

/// The measured front of the search and its baselines together (power ascending, accuracy
/// rising): every algorithm's front points, re-measured on the test set where the search did
/// so ("test_accuracy"), keeping those no other point dominates. Each point carries its "algo"
/// and an absolute "config" path.
std::vector<Json> front_points(const Json& search) {
  const fs::path dir = search.at("dir").get<std::string>();
  const Json summary = read_json_file(search.at("summary").get<std::string>());
  std::vector<Json> all;
  for (const auto& a : summary.at("algorithms")) {
    for (const auto& q : a.at("points")) {
      Json p = q;
      p["algo"] = a.at("algo");
      p["config"] = (dir / p.at("config_file").get<std::string>()).string();
      p["test_accuracy"] = p.contains("accuracy_full") ? p.at("accuracy_full") : p.at("accuracy");
      all.push_back(p);
    }
  }
  // The uniform configurations (one multiplier on every layer), measured like the fronts.
  for (const auto& u : summary.value("uniform", Json::array())) {
    if (u.value("accuracy_full", Json(nullptr)).is_null()) continue;
    Json p = u;
    p["algo"] = "uniform";
    p["config"] = (dir / p.at("config_file").get<std::string>()).string();
    p["test_accuracy"] = p.at("accuracy_full");
    all.push_back(p);
  }
  // Power ascending, then accuracy descending: a point is kept when it beats every cheaper one.
  std::stable_sort(all.begin(), all.end(), [](const Json& a, const Json& b) {
    const double pa = a["power_rel"].get<double>(), pb = b["power_rel"].get<double>();
    return pa != pb ? pa < pb : a["test_accuracy"].get<double>() > b["test_accuracy"].get<double>();
  });
  // Uniform configurations the front dominates stay in the list, marked (the report lists them;
  // they are never fine-tuned).
  std::vector<Json> front;
  double best = -1;
  for (auto& p : all) {
    const double acc = p["test_accuracy"].get<double>();
    if (acc > best) {
      best = acc;
    } else if (p["algo"] == "uniform") {
      p["dominated"] = true;
    } else {
      continue;
    }
    p["index"] = front.size();
    front.push_back(p);
  }
  return front;
}

/// The calibration arguments of the flow with the method of [finetune] calibration.
std::vector<std::string> finetune_calibration_args(const StageContext& ctx, const std::string& method) {
  std::vector<std::string> a = calibration_args(ctx);
  for (size_t i = 0; i + 1 < a.size(); ++i)
    if (a[i] == "--calibration") a[i + 1] = method;
  return a;
}

/// `transaxx VERB` on one front point, as the flow measures it: the model, the data, the
/// calibration `method`, the flow's test images, the point's configuration and the compensation.
std::vector<std::string> point_command(const StageContext& ctx, const std::string& verb, const std::string& method,
                                       const std::string& config, const std::string& compensation) {
  std::vector<std::string> args{verb};
  for (const auto& a : model_args(ctx)) args.push_back(a);
  for (const auto& a : data_args(ctx.spec())) args.push_back(a);
  for (const auto& a : finetune_calibration_args(ctx, method)) args.push_back(a);
  args.insert(args.end(), {"--test-limit", std::to_string(ctx.spec().table("data").at("test_limit").get<int64_t>()),
                           "--config", config, "--compensation", compensation});
  return args;
}

/// [finetune] calibration other than the flow's: the accuracy of the front points that could make
/// the headline (those no costlier than the cheapest within max_drop) is measured again with it,
/// on the same images, so the window and the "before" of each pick use the calibration the points
/// are fine-tuned and measured with. The earlier accuracy is kept as "flow_calibration_accuracy".
void remeasure(StageContext& ctx, std::vector<Json>& front, double exact8, double max_drop, const std::string& method,
               const std::string& compensation) {
  const Json* safe = cheapest_within(front, exact8 - max_drop);
  const double cap = safe ? safe->at("power_rel").get<double>() : 1.0;
  const fs::path dir = ctx.dir() / "remeasured";
  fs::create_directories(dir);
  for (auto& p : front) {
    if (p.at("power_rel").get<double>() > cap) continue;
    const fs::path result = dir / fmt::format("point_{}.json", p.at("index").get<int64_t>());
    std::vector<std::string> args = point_command(ctx, "eval", method, p.at("config").get<std::string>(), compensation);
    args.insert(args.end(), {"--result", result.string()});
    ctx.run(fmt::format("remeasure-point{}", p.at("index").get<int64_t>()), args);
    p["flow_calibration_accuracy"] = p.at("test_accuracy");
    p["test_accuracy"] = read_json_file(result).at("top1");
  }
  // Which points the others dominate, on the new accuracies.
  double best = -1;
  for (auto& p : front) {
    if (p.at("power_rel").get<double>() > cap) break;
    const double acc = p.at("test_accuracy").get<double>();
    p["dominated"] = acc <= best;
    best = std::max(best, acc);
  }
}

}  // namespace

const Json* cheapest_within(const std::vector<Json>& front, double floor) {
  for (const auto& p : front)
    if (p.at("power_rel").get<double>() < 1.0 - 1e-9 && p.at("test_accuracy").get<double>() >= floor - 1e-12)
      return &p;
  return nullptr;
}

double expected_recovery(const std::vector<Json>& done, double exact8, double max_drop, double window) {
  window = std::max(window, max_drop);
  const double line = exact8 - max_drop;
  double sum = 0.5 * (window - max_drop);  // the prior, weighing as one fine-tuned point
  int n = 1;
  for (const auto& d : done) {
    const double before = d.at("before_top1").get<double>();
    if (before >= line) continue;  // started within max_drop: how much more it could win is not seen
    sum += d.at("after_top1").get<double>() - before;
    ++n;
  }
  return std::max(0.0, sum / n);
}

Json next_pick(const std::vector<Json>& front, double exact8, double max_drop, double window,
               const std::vector<Json>& done) {
  window = std::max(window, max_drop);
  const double line = exact8 - max_drop;
  const double recovery = expected_recovery(done, exact8, max_drop, window);
  // Costlier than the cheapest point already within max_drop (fine-tuned and landed, or before
  // fine-tuning the safe one) cannot improve the headline; at or below the accuracy of a point
  // that missed, fine-tuning is not expected to land.
  double landed_at = 1.0 - 1e-9, missed = -1.0;  // never all-exact
  for (const auto& d : done) {
    const double best = std::max(d.at("before_top1").get<double>(), d.at("after_top1").get<double>());
    if (best >= line - 1e-12)
      landed_at = std::min(landed_at, d.at("power_rel").get<double>());
    else
      missed = std::max(missed, d.at("before_top1").get<double>());
  }
  // A landed point was no costlier than the safe one when picked, so landed_at is the tighter cap.
  const Json* safe = cheapest_within(front, line);
  const double safe_at = safe ? safe->at("power_rel").get<double>() : 1.0;
  for (const auto& p : front) {
    const double power = p.at("power_rel").get<double>(), acc = p.at("test_accuracy").get<double>();
    if (power >= landed_at || power > safe_at) break;
    if (p.value("dominated", false) || acc < exact8 - window - 1e-12 || acc <= missed) continue;
    bool tried = false;
    for (const auto& d : done) tried = tried || d.at("front_index") == p.at("index");
    if (tried || acc + recovery < line - 1e-12) continue;
    Json pick = p;
    pick["predicted_top1"] = std::max(acc, std::min(acc + recovery, exact8));
    return pick;
  }
  return nullptr;
}

std::string headline_line(const Json& h) {
  if (h.is_null()) return "";
  const double saved = 100.0 * (1.0 - h.at("power_rel").get<double>());
  return fmt::format("{:.1f} % of the multiplier energy saved at {:.2f} % top-1 after fine-tuning ({:.2f} % before; "
                     "exact 8-bit {:.2f} %, {:+.2f} pt)",
                     saved, 100.0 * h.at("after_top1").get<double>(), 100.0 * h.at("before_top1").get<double>(),
                     100.0 * h.at("exact8_top1").get<double>(),
                     100.0 * (h.at("after_top1").get<double>() - h.at("exact8_top1").get<double>()));
}

StageDef finetune_stage() {
  StageDef s;
  s.name = "finetune";
  s.what = "approximation-aware fine-tuning of the chosen front points";
  // 2: the uniform pick may be a uniform configuration the front dominates (2026-12-03).
  // 3: points picked one at a time by predicted accuracy after fine-tuning (2026-12-03).
  s.results_version = 3;
  s.reads = {"model", "calibrate", "search"};
  s.inputs = [](const FlowSpec& spec) {
    Json finetune = spec.table("finetune");
    if (finetune.value("compensation", "search") == "search") finetune.erase("compensation");  // as before it
    if (finetune.value("calibration", "calibrate") == "calibrate") finetune.erase("calibration");  // as before it
    if (finetune.value("gradient", "ste") == "ste") finetune.erase("gradient");  // as before it
    // LUT gradients: the smoothing window of their tables shapes the result, so fine-tunings made
    // before it existed (raw differences) are redone. Keep equal to kDefaultLutGradientWindow of
    // emulation/lut_grad.hpp (flows/ does not include emulation/).
    else finetune["lut_gradient_window"] = 8;
    return Json{{"finetune", finetune},
                {"calibrate", spec.table("calibrate")},
                {"data", spec.table("data")},
                {"seed", spec.table("flow")["seed"]}};
  };
  s.run = [](StageContext& ctx) {
    const Json& c = ctx.spec().table("finetune");
    const double exact8 = ctx.outputs_of("calibrate").at("exact8_top1").get<double>();
    std::vector<Json> front = front_points(ctx.outputs_of("search"));
    const double max_drop = c.at("max_drop").get<double>();
    const std::string comp = c.at("compensation").get<std::string>() == "search"
                                 ? ctx.spec().table("search").at("compensation").get<std::string>()
                                 : c.at("compensation").get<std::string>();
    std::string calibration = c.at("calibration").get<std::string>();
    if (calibration == "calibrate") calibration = ctx.spec().table("calibrate").at("method").get<std::string>();
    if (calibration != ctx.spec().table("calibrate").at("method").get<std::string>())
      remeasure(ctx, front, exact8, max_drop, calibration, comp);
    // One point at a time: each pick is the cheapest front point predicted to land within max_drop
    // after fine-tuning, given what the points fine-tuned so far won back (next_pick).
    const double window = c.at("window").get<double>();
    const std::string gradient = c.at("gradient").get<std::string>();
    Json points = Json::array();
    std::vector<Json> done;
    for (size_t k = 0; k < size_t(c.at("points").get<int64_t>()); ++k) {
      const Json p = next_pick(front, exact8, max_drop, window, done);
      if (p.is_null()) break;
      const fs::path dir = ctx.dir() / fmt::format("point_{}", k);
      fs::create_directories(dir);
      std::vector<std::string> args = point_command(ctx, "finetune", calibration, p.at("config").get<std::string>(), comp);
      if (gradient != "ste") args.insert(args.end(), {"--gradient", gradient});
      args.insert(args.end(), {"--max-steps", std::to_string(c.at("steps").get<int64_t>()), "--lr", Json(c.at("lr")).dump(),
                               "--train-limit", std::to_string(c.at("train_limit").get<int64_t>()), "--out",
                               (dir / "model.safetensors").string(), "--result", (dir / "result.json").string()});
      // A flow killed during fine-tuning keeps the points it finished (minutes each); the picks
      // after them follow from their results, so a rerun picks the same points.
      ctx.run_once(fmt::format("finetune-point{}", k), args, dir / "done.json",
                   {dir / "result.json", dir / "model.safetensors"});
      const Json r = read_json_file(dir / "result.json");
      points.push_back({{"front_index", p.at("index")},
                        {"algo", p.at("algo")},
                        {"config", p.at("config")},
                        {"power_rel", p.at("power_rel")},
                        {"energy_pj", p.value("energy_pj", 0.0)},
                        {"search_accuracy", p.at("accuracy")},
                        {"test_accuracy", p.at("test_accuracy")},
                        {"before_top1", r.at("before").at("top1")},
                        {"after_top1", r.at("after").at("top1")},
                        {"steps", r.value("steps", int64_t{0})},
                        {"gradient", gradient},
                        {"calibration", calibration},
                        {"flow_calibration_accuracy", p.value("flow_calibration_accuracy", Json(nullptr))},
                        {"predicted_top1", p.at("predicted_top1")},
                        {"within_max_drop", std::max(r.at("before").at("top1").get<double>(),
                                                     r.at("after").at("top1").get<double>()) >= exact8 - max_drop - 1e-12},
                        {"model", (dir / "model.safetensors").string()}});
      done.push_back(points.back());
      ctx.message(fmt::format("      point {}: {:.3f} of the energy, {:.2f} % -> {:.2f} % (predicted {:.2f} %)", k,
                              p.at("power_rel").get<double>(), 100.0 * r.at("before").at("top1").get<double>(),
                              100.0 * r.at("after").at("top1").get<double>(), 100.0 * p.at("predicted_top1").get<double>()));
    }
    // The headline: the cheapest fine-tuned point measured within max_drop (after fine-tuning, or
    // before when fine-tuning did not help: the design without it is measured too).
    Json headline = nullptr;
    for (const auto& p : points) {
      if (!p.at("within_max_drop").get<bool>()) continue;
      const double before = p.at("before_top1").get<double>(), after = p.at("after_top1").get<double>();
      if (headline.is_null() || p.at("power_rel").get<double>() < headline.at("power_rel").get<double>()) {
        headline = {{"power_rel", p.at("power_rel")},
                    {"energy_saved", 1.0 - p.at("power_rel").get<double>()},
                    {"before_top1", before},
                    {"after_top1", std::max(before, after)},
                    {"fine_tuned", after >= before},
                    {"exact8_top1", exact8},
                    {"max_drop", max_drop},
                    {"config", p.at("config")},
                    {"model", p.at("model")},
                    {"algo", p.at("algo")}};
      }
    }
    // The design point for the hardware: the headline's, else the cheapest front point measured
    // within max_drop, else the most accurate front point (never one chosen below the window).
    Json hw = headline.is_null() ? Json(nullptr) : headline.at("config");
    if (const Json* safe = cheapest_within(front, exact8 - max_drop); hw.is_null() && safe) hw = safe->at("config");
    if (hw.is_null() && !front.empty()) hw = front.back().at("config");
    return Json{{"points", points}, {"exact8_top1", exact8}, {"hardware_config", hw}, {"headline", headline}};
  };
  s.required_files = [](const Json& out) {
    std::vector<std::string> f;
    for (size_t k = 0; k < out.at("points").size(); ++k) f.push_back(fmt::format("point_{}/result.json", k));
    return f;
  };
  return s;
}

}  // namespace axx::flows
