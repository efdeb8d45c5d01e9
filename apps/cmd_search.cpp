// transaxx layers / search — the approximable layers of a model (multiply counts, operand
// statistics, real operands for hwgen) and the accuracy–power search over a multiplier library
// with the emulator as evaluator (emulation/train/layer_stats.hpp, model_search.hpp).
// Compiled always; without LibTorch (AXX_WITH_TORCH=OFF) it registers nothing.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "apps/commands.hpp"
#include "common/error.hpp"
#include "common/json.hpp"

#ifdef AXX_HAVE_MODELS
#include "apps/model_options.hpp"
#include "emulation/train/layer_stats.hpp"
#include "model_search/model_search.hpp"
#include "search/algorithm.hpp"
#include "mpi/mpi.hpp"
#endif

namespace axx::app {

#ifdef AXX_HAVE_MODELS
namespace {

struct LayersArgs {
  train::LayerStatsOptions o;
  std::string out;
  bool hist = false, no_hist = false, json = false;
};

struct SearchArgs {
  train::ModelSearchOptions o;
  bool no_final = false, no_resume = false, json = false;
};

std::string algo_help() {
  std::string s;
  for (const auto& a : search::algorithms()) s += fmt::format("{}{} ({})", s.empty() ? "" : "; ", a.name, a.help);
  return s;
}

}  // namespace

void add_search_commands(CLI::App& app) {
  auto la = std::make_shared<LayersArgs>();
  auto* l = app.add_subcommand(
      "layers",
      "The approximable layers of a model in order with multiplications per image (a table); needs no dataset "
      "for that. With a dataset (--dataset/--data): --out writes the search's Layers JSON with operand histograms "
      "(signed and unsigned 8-bit codes), --operands writes real operand samples (.npy) for `transaxx hwgen "
      "--verify --operands-a/--operands-w`");
  add_model_file_options(l, la->o, /*positional=*/true);
  add_dataset_options(l, la->o.data, "statistics",
                      "none: names and multiply counts only; with --data alone: fashion-mnist");
  add_calibration_options(l, la->o.images, la->o.calibration, la->o.percentile,
                          "training images (seeded subset) for calibration and statistics", "max", "--images");
  l->add_option("--out", la->out,
                "write the Layers JSON here (search/model.hpp format; operand histograms only with a dataset)");
  l->add_option("--operands", la->o.operands_dir,
                "folder for operand samples (needs a dataset): <layer>.<s8|u8>.<a|w>.npy, model.<s8|u8>.<a|w>.npy "
                "(a pool over all layers weighted by multiply count), operands.json");
  l->add_option("--sample-rows", la->o.sample_rows, "operand rows kept per layer and operand")
      ->default_val(la->o.sample_rows);
  l->add_option("--pool-values", la->o.pool_values, "values in each model-wide pool file")
      ->default_val(la->o.pool_values);
  auto* hist = l->add_flag("--histograms", la->hist, "operand histograms (needs a dataset; the default with one)");
  l->add_flag("--no-histograms", la->no_hist, "only names and multiply counts (no calibration pass)")->excludes(hist);
  l->add_flag("--json", la->json, "print the Layers JSON instead of the table");
  add_run_options(l, la->o.run, "seed of the training-image subset", false);
  l->callback([l, la] {
    auto& o = la->o;
    const bool with_data = l->count("--dataset") + l->count("--data") > 0;
    if (!with_data) {
      for (const char* f : {"--histograms", "--operands"}) {
        if (l->count(f) > 0) {
          throw UsageError("CLI-006", fmt::format("{} needs a dataset (operand statistics come from its training "
                                                  "images): give --dataset (and --data), or drop {}",
                                                  f, f));
        }
      }
      for (const char* f : {"--calib-images", "--images", "--calibration", "--percentile", "--sample-rows",
                            "--pool-values", "--img-size", "--data-seed"}) {
        if (l->count(f) > 0) {
          std::cerr << fmt::format("transaxx layers: no dataset given, so {} has no effect (names and multiply "
                                   "counts only; --dataset for operand statistics)\n",
                                   f);
        }
      }
      o.data.kind.clear();  // no dataset: one zero image of the model's input shape counts the multiplications
    }
    o.histograms = with_data && !la->no_hist;
    if (!o.operands_dir.empty() && !o.histograms) {
      throw UsageError("CLI-005", "--operands needs the statistics pass; drop --no-histograms");
    }
    const Json r = train::compute_layer_stats(o);
    if (!la->out.empty()) write_json_atomic(la->out, r);
    if (la->json) {
      std::cout << r.dump(2) << "\n";
      return;
    }
    const int64_t total = r["macs_per_image"].get<int64_t>();
    std::cout << fmt::format("{} ({}): {} approximable layers, {} multiplications per image\n",
                             r["model_file"].get<std::string>(), r["model"].get<std::string>(), r["layers"].size(), total);
    std::cout << fmt::format("  {:<4} {:<24} {:<7} {:>12} {:>7}\n", "#", "layer", "kind", "macs/image", "share");
    for (size_t i = 0; i < r["layers"].size(); ++i) {
      const Json& e = r["layers"][i];
      const int64_t m = e["macs"].get<int64_t>();
      std::cout << fmt::format("  {:<4} {:<24} {:<7} {:>12} {:>6.2f}%\n", i, e["name"].get<std::string>(),
                               e["kind"].get<std::string>(), m, total ? 100.0 * double(m) / double(total) : 0.0);
    }
    if (!la->out.empty()) std::cout << "  wrote " << la->out << "\n";
    if (!o.operands_dir.empty()) std::cout << "  operand samples in " << o.operands_dir << " (operands.json)\n";
  });

  auto sa = std::make_shared<SearchArgs>();
  auto& so = sa->o;
  auto* s = app.add_subcommand(
      "search",
      "Search per-layer multiplier configurations on the accuracy-power Pareto front of a model, scoring each "
      "with the emulator on a fixed subset of the test set; writes fronts (CSV/JSON), one approximation config "
      "per front point, front.svg, summary.json and checkpoints (a killed search resumes where it stopped)");
  s->add_option("--model", so.eval.model, "model file: .safetensors, or TorchScript .pt (input spec from its sidecar .json)")->required();
  s->add_option("--preset", so.eval.preset, "model shape for safetensors files without transaxx metadata");
  s->add_option("--library", so.eval.library, "multiplier library folder (from `transaxx library build`)")->required();
  s->add_option("--layers", so.layers_file, "Layers JSON from `transaxx layers --out` (default: computed here)");
  s->add_option("--sensitivity", so.sensitivity_file,
                "per-layer sensitivity: sensitivity.json of `transaxx sensitivity` (or a search table); "
                "strongly advised for mcts and greedy");
  s->add_option("--algo", so.algo, algo_help())->default_val(so.algo);
  s->add_option("--compare", so.compare, "other algorithms run at the same budget and seed, e.g. nsga2,random,greedy")
      ->delimiter(',');
  s->add_option("--budget", so.budget, "configurations scored per algorithm (>= 1)")->default_val(so.budget);
  s->add_option("--seed", so.seed, "search seed (same seed, same result)")->default_val(so.seed);
  alias(s, "--batch", so.batch,
        s->add_option("--config-batch", so.batch, "configurations per evaluator call (and per MCTS round)")
            ->default_val(so.batch));
  s->add_option("--eval-images", so.eval.eval_images,
                "test images scoring each configuration: a fixed subset drawn with --data-seed (0 = all)")
      ->default_val(so.eval.eval_images);
  add_test_limit(s, so.eval.data.limit);
  add_calibration_options(s, so.eval.calib_images, so.eval.calibration, so.eval.percentile,
                          "training images for calibration (and layer statistics)", "max");
  add_compensation_option(s, so.eval.compensation, "none");
  add_dataset_options(s, so.eval.data, "test");
  s->add_option("--max-candidates", so.max_candidates,
                "multipliers per layer after Pareto pruning, exact included (0 = all; else >= 2)")
      ->default_val(so.max_candidates);
  s->add_option("--signedness", so.signedness, "multipliers searched: any, signed, unsigned")->default_val(so.signedness);
  s->add_option("--exploration", so.exploration, "MCTS UCT exploration constant (default 0.4)");
  s->add_option("--simulations", so.simulations, "MCTS tree simulations per proposed configuration (default 400)");
  s->add_option("--population", so.population, "NSGA-II population (default 16)");
  s->add_option("--ref-accuracy", so.ref_accuracy,
                "hypervolume reference accuracy, a fraction (default: all-exact accuracy minus --max-drop)");
  s->add_option("--max-drop", so.max_drop, "accuracy drop counted by the hypervolume (fraction)")
      ->default_val(so.max_drop);
  s->add_flag("--no-final-eval", sa->no_final, "do not re-evaluate the fronts on the whole test set");
  s->add_flag("--no-resume", sa->no_resume, "ignore checkpoints in --out (they are overwritten)");
  s->add_option("--stop-after", so.stop_after, "stop after N scored configurations as if killed (testing resume)");
  s->add_option("--out", so.out_dir, "output folder")->default_val(so.out_dir);
  s->add_flag("--json", sa->json, "print summary.json");
  add_run_options(s, so.eval.run, "seed of the calibration images and the scoring subset", false);
  s->callback([sa] {
    auto& o = sa->o;
    o.final_eval = !sa->no_final;
    o.resume = !sa->no_resume;
    o.progress = o.eval.run.progress;
    o.eval.run.progress = false;  // per-evaluation bars would drown the search's progress lines
    const Json r = train::run_model_search(o);
    if (!mpi::is_root()) return;  // under mpirun rank 0 writes and reports
    if (sa->json) {
      std::cout << r.dump(2) << "\n";
      return;
    }
    const Json& ev = r["evaluation"];
    std::cout << fmt::format(
        "search {} on {} ({} test images per configuration, {} for the fronts; all-exact {:.2f}%)\n",
        r["complete"].get<bool>() ? "complete" : "stopped", r["model"].get<std::string>(), ev["images"].get<int64_t>(),
        ev["full_images"].get<int64_t>(), 100 * ev["exact8_accuracy"].get<double>());
    std::cout << fmt::format("  {:<8} {:>11} {:>6} {:>12} {:>12}\n", "algo", "evaluations", "front", "HV (subset)",
                             "HV (full)");
    for (const Json& a : r["algorithms"]) {
      std::cout << fmt::format("  {:<8} {:>11} {:>6} {:>12.5f} {:>12}\n", a["algo"].get<std::string>(),
                               a.value("evaluations", Json(0)).get<int64_t>(), a["points"].size(),
                               a["hypervolume"].get<double>(),
                               a["hypervolume_full"].is_null() ? std::string("-")
                                                               : fmt::format("{:.5f}", a["hypervolume_full"].get<double>()));
    }
    std::cout << "  " << r["out_dir"].get<std::string>() << "/summary.json, front.svg\n";
  });
}

#else

void add_search_commands(CLI::App&) {}

#endif

}  // namespace axx::app
