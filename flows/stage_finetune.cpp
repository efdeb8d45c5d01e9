// Flow stage "finetune": approximation-aware retraining (`transaxx finetune`, straight-through
// estimator, or LUT gradients with [finetune] gradient = "lut") of the chosen front points: the
// cheapest ones within [finetune] window of exact 8-bit before fine-tuning (those fine-tuning is
// expected to bring within max_drop), and the cheapest one already within max_drop; never a point
// below the window. With [finetune] calibration other than the flow's (noise_aware), the points that could
// make the headline are measured again with it first. Points come from the combined front of the search, its baselines and the
// uniform configurations (one multiplier on every layer; all measured the same way). The headline
// is the cheapest fine-tuned point measured within max_drop after fine-tuning. A flow killed
// during this stage keeps the points it finished (StageContext::run_once).
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
  // Uniform configurations the front dominates stay in the list, marked: fine-tuning wins back
  // more on them than on mixed points of similar accuracy, so they may take the uniform pick.
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

/// [finetune] calibration other than the flow's: the accuracy of the front points that could make
/// the headline (those no costlier than the cheapest within max_drop) is measured again with it,
/// on the same images, so the window and the "before" of each pick use the calibration the points
/// are fine-tuned and measured with. The earlier accuracy is kept as "flow_calibration_accuracy".
void remeasure(StageContext& ctx, std::vector<Json>& front, double exact8, double max_drop, const std::string& method,
               const std::string& compensation) {
  double cap = 1.0;
  for (const auto& p : front) {
    if (p.at("test_accuracy").get<double>() >= exact8 - max_drop) {
      cap = p.at("power_rel").get<double>();
      break;
    }
  }
  const fs::path dir = ctx.dir() / "remeasured";
  fs::create_directories(dir);
  for (auto& p : front) {
    if (p.at("power_rel").get<double>() > cap) continue;
    std::vector<std::string> args{"eval"};
    for (const auto& a : model_args(ctx)) args.push_back(a);
    for (const auto& a : data_args(ctx.spec())) args.push_back(a);
    for (const auto& a : finetune_calibration_args(ctx, method)) args.push_back(a);
    const fs::path result = dir / fmt::format("point_{}.json", p.at("index").get<int64_t>());
    args.insert(args.end(), {"--test-limit", std::to_string(ctx.spec().table("data").at("test_limit").get<int64_t>()),
                             "--config", p.at("config").get<std::string>(), "--compensation", compensation,
                             "--result", result.string()});
    ctx.run(fmt::format("remeasure-point{}", p.at("index").get<int64_t>()), args);
    p["flow_calibration_accuracy"] = p.at("test_accuracy");
    p["test_accuracy"] = read_json_file(result).at("top1");
  }
}

}  // namespace

std::vector<Json> choose_points(const std::vector<Json>& front, double exact8, double max_drop, double window,
                                size_t count) {
  window = std::max(window, max_drop);
  std::vector<Json> in_window;
  const Json* safe = nullptr;
  for (const auto& p : front) {
    if (!(p.at("power_rel").get<double>() < 1.0 - 1e-9)) continue;
    const double acc = p.at("test_accuracy").get<double>();
    if (acc < exact8 - window) continue;
    in_window.push_back(p);
    if (!safe && acc >= exact8 - max_drop) safe = &p;  // never a dominated one: its dominator comes first
  }
  // A point costlier than the safe one cannot improve the headline: it is not fine-tuned.
  if (safe) {
    const double cap = safe->at("power_rel").get<double>();
    std::vector<Json> cheaper;
    for (const auto& p : in_window)
      if (p.at("power_rel").get<double>() < cap || p["index"] == (*safe)["index"]) cheaper.push_back(p);
    in_window = cheaper;
  }
  std::vector<Json> chosen;
  if (count == 0) return chosen;
  const bool safe_is_cheap = safe && !in_window.empty() && in_window.front()["index"] == (*safe)["index"];
  const size_t free_slots = safe && !safe_is_cheap ? count - 1 : count;
  // With two free slots or more, one goes to the cheapest uniform configuration in the window
  // (one multiplier on every layer): fine-tuning wins back more on those than on mixed points of
  // similar accuracy (search/README.md, "What fine-tuning wins back"), so the front's cheapest
  // points do not crowd it out.
  const Json* uniform = nullptr;
  for (const auto& p : in_window) {
    if (p.value("algo", "") == "uniform" && !(safe && p["index"] == (*safe)["index"])) {
      uniform = &p;
      break;
    }
  }
  if (uniform && free_slots >= 2) chosen.push_back(*uniform);
  // The rest, a ladder down the window: with m slots left, slot j takes the cheapest point within
  // window·(m − j)/m of exact 8-bit (the cheapest in the window, then the cheapest within half of
  // it, ...; once a rung offers nothing new, the next cheapest). How much fine-tuning wins back
  // varies from point to point, so the picks spread over the window rather than crowd its bottom
  // (a front point 4 pt below exact rarely comes back within 0.5 pt; one 2 pt below often does).
  auto eligible = [&](const Json& p) {
    if ((safe && p["index"] == (*safe)["index"]) || p.value("dominated", false)) return false;
    for (const auto& c : chosen)
      if (c["index"] == p["index"]) return false;
    return true;
  };
  const size_t rungs = free_slots > chosen.size() ? free_slots - chosen.size() : 0;
  for (size_t j = 0; j < rungs; ++j) {
    const double drop = window * double(rungs - j) / double(rungs);
    const Json* pick = nullptr;
    for (const auto& p : in_window) {
      if (eligible(p) && p.at("test_accuracy").get<double>() >= exact8 - drop - 1e-12) {
        pick = &p;
        break;
      }
    }
    for (const auto& p : in_window) {
      if (pick) break;
      if (eligible(p)) pick = &p;
    }
    if (pick) chosen.push_back(*pick);
  }
  std::stable_sort(chosen.begin(), chosen.end(), [](const Json& a, const Json& b) {
    return a["power_rel"].get<double>() < b["power_rel"].get<double>();
  });
  if (safe) {
    // Safe design last unless it is itself the cheapest in the window (then first).
    if (safe_is_cheap)
      chosen.insert(chosen.begin(), *safe);
    else
      chosen.push_back(*safe);
  }
  while (chosen.size() > count) chosen.pop_back();
  return chosen;
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
  s.results_version = 2;
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
    std::vector<Json> chosen =
        choose_points(front, exact8, max_drop, c.at("window").get<double>(), size_t(c.at("points").get<int64_t>()));
    Json points = Json::array();
    for (size_t k = 0; k < chosen.size(); ++k) {
      Json p = chosen[k];
      const fs::path dir = ctx.dir() / fmt::format("point_{}", k);
      fs::create_directories(dir);
      std::vector<std::string> args{"finetune"};
      for (const auto& a : model_args(ctx)) args.push_back(a);
      for (const auto& a : data_args(ctx.spec())) args.push_back(a);
      for (const auto& a : finetune_calibration_args(ctx, calibration)) args.push_back(a);
      const std::string gradient = c.at("gradient").get<std::string>();
      if (gradient != "ste") args.insert(args.end(), {"--gradient", gradient});  // ste: the command lines as before
      args.insert(args.end(),
                  {"--test-limit", std::to_string(ctx.spec().table("data").at("test_limit").get<int64_t>()), "--config",
                   p.at("config").get<std::string>(), "--max-steps", std::to_string(c.at("steps").get<int64_t>()),
                   "--lr", Json(c.at("lr")).dump(), "--train-limit",
                   std::to_string(c.at("train_limit").get<int64_t>()), "--out", (dir / "model.safetensors").string(),
                   "--result", (dir / "result.json").string()});
      args.insert(args.end(), {"--compensation", comp});
      // A flow killed during fine-tuning keeps the points it finished (minutes each).
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
                        {"model", (dir / "model.safetensors").string()}});
    }
    // The headline: the cheapest fine-tuned point measured within max_drop (after fine-tuning, or
    // before when fine-tuning did not help: the design without it is measured too).
    Json headline = nullptr;
    for (const auto& p : points) {
      const double before = p.at("before_top1").get<double>(), after = p.at("after_top1").get<double>();
      if (std::max(before, after) < exact8 - max_drop) continue;
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
    if (hw.is_null()) {
      for (const auto& p : front) {
        if (p.at("test_accuracy").get<double>() >= exact8 - max_drop) {
          hw = p.at("config");
          break;
        }
      }
    }
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
