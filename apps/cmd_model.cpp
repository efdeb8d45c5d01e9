// transaxx train / eval / sensitivity / finetune — the native ViT on real data (emulation/train).
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
#include "emulation/train/train.hpp"
#include "mpi/mpi.hpp"
#endif

namespace axx::app {

#ifdef AXX_HAVE_MODELS
namespace {

void add_model_options(CLI::App* c, train::EvalOptions& e) {
  add_model_file_options(c, e);
  add_dataset_options(c, e.data, "test");
  add_test_limit(c, e.data.limit);
  c->add_option("--split", e.data.split, "dataset split to evaluate: test or train")->default_val(e.data.split);
  add_calibration_options(c, e.quant.calib_images, e.quant.calibration, e.quant.percentile,
                          "training images used for calibration (seeded random subset)", "the config's, else max");
  add_compensation_option(c, e.quant.compensation, "the config's, else none");
  add_run_options(c, e.run, "seed of the calibration images (finetune: also of the shuffling)", true);
}

void print(const Json& r, bool json, const std::string& summary) {
  if (json) {
    std::cout << r.dump(2) << "\n";
  } else {
    std::cout << summary;
  }
}

struct TrainArgs {
  train::TrainOptions o;
  bool no_resume = false, no_augment = false, json = false;
};
struct EvalArgs {
  train::EvalOptions o;
  std::string out;
  bool exact8 = false, json = false;
};
struct SensArgs {
  train::SensitivityOptions o;
  bool json = false;
};
struct FineArgs {
  train::FinetuneOptions o;
  std::string result;
  bool json = false;
};

}  // namespace

void add_model_commands(CLI::App& app) {
  auto ta = std::make_shared<TrainArgs>();
  auto* t = app.add_subcommand("train", "Train a native ViT from scratch (AdamW, warm-up + cosine, label smoothing); "
                                        "checkpoints every epoch, resumes a killed run");
  auto& to = ta->o;
  t->add_option("--preset", to.preset, "model preset: vit_fmnist, vit_fmnist_micro, vit_cifar_tiny, deit_*/vit_*_patch16_224")
      ->default_val(to.preset);
  add_dataset_options(t, to.train_data, "training");
  alias(t, "--limit", to.train_data.limit,
        t->add_option("--train-limit", to.train_data.limit, "use only the first N training images (0 = all)")
            ->default_val(to.train_data.limit));
  add_test_limit(t, to.eval_images, "test images evaluated after each epoch: the first N (0 = all)", "");
  t->add_option("--out", to.out_dir, "run folder: model.safetensors, checkpoint.*, result.json")->default_val(to.out_dir);
  t->add_option("--epochs", to.epochs, "epochs")->default_val(to.epochs);
  t->add_option("--max-steps", to.max_steps, "stop after N optimizer steps (0 = epochs decide)")->default_val(to.max_steps);
  t->add_option("--train-batch", to.train_batch, "images per optimizer step")->default_val(to.train_batch);
  t->add_option("--lr", to.lr, "peak learning rate")->default_val(to.lr);
  t->add_option("--min-lr", to.min_lr, "final learning rate of the cosine")->default_val(to.min_lr);
  t->add_option("--weight-decay", to.weight_decay, "AdamW weight decay")->default_val(to.weight_decay);
  t->add_option("--warmup", to.warmup, "share of steps in linear warm-up, [0, 1)")->default_val(to.warmup);
  t->add_option("--label-smoothing", to.label_smoothing, "[0, 1)")->default_val(to.label_smoothing);
  t->add_flag("--no-augment", ta->no_augment, "no random shifts / flips");
  t->add_flag("--no-resume", ta->no_resume, "start over even when the run folder has a checkpoint");
  t->add_option("--stop-after-epochs", to.stop_after_epochs, "stop after N epochs as if killed (testing resume)");
  t->add_flag("--json", ta->json, "print the result as JSON");
  add_run_options(t, to.run, "seed of the initialization, shuffling and augmentation", true);
  t->callback([ta] {
    auto& o = ta->o;
    o.train_data.split = "train";
    o.test_data = o.train_data;
    o.test_data.split = "test";
    o.test_data.limit = 0;
    o.resume = !ta->no_resume;
    o.augment = !ta->no_augment;
    const Json r = train::train_model(o);
    print(r, ta->json,
          fmt::format("trained {} in {:.1f} s: test top-1 {:.2f}%, top-5 {:.2f}% ({} images)\n  model {}\n",
                      o.preset, r["seconds"].get<double>(), 100 * r.value("test_top1", 0.0),
                      100 * r.value("test_top5", 0.0), r.value("test_images", 0), r["model"].get<std::string>()));
  });

  auto ea = std::make_shared<EvalArgs>();
  auto* e = app.add_subcommand("eval", "Top-1/top-5 of a model in fp32, exact 8-bit, or with an approximation config");
  add_model_options(e, ea->o);
  e->add_option("--config", ea->o.quant.config, "approximation config JSON (per-layer multipliers)");
  e->add_flag("--exact8", ea->exact8, "every layer quantized to 8 bits with the exact multiplier");
  e->add_option("--save-calibration", ea->o.quant.save_calibration, "write the calibrated ranges (JSON)");
  alias(e, "--out", ea->out, e->add_option("--result", ea->out, "also write the result JSON there"));
  e->add_flag("--json", ea->json, "print the result as JSON");
  e->callback([ea] {
    auto& o = ea->o;
    if (ea->exact8 && !o.quant.config.empty()) throw UsageError("CLI-004", "--exact8 and --config exclude each other");
    o.quant.mode = ea->exact8 ? "exact8" : o.quant.config.empty() ? "fp32" : "config";
    const Json r = train::evaluate_model(o);
    if (!ea->out.empty()) write_json_atomic(ea->out, r);
    print(r, ea->json,
          fmt::format("{} [{}]: top-1 {:.2f}%, top-5 {:.2f}% on {} images ({:.0f} images/s)\n", o.model, o.quant.mode,
                      100 * r["top1"].get<double>(), 100 * r["top5"].get<double>(), r["images"].get<int64_t>(),
                      r["images_per_s"].get<double>()));
  });

  auto sa = std::make_shared<SensArgs>();
  auto* s = app.add_subcommand("sensitivity", "Each layer approximated alone with each multiplier of a library: table "
                                              "(CSV/JSON) and heat map (SVG) of the accuracy drop");
  add_model_options(s, sa->o.eval);
  s->add_option("--library", sa->o.library, "multiplier library folder (from `transaxx library build`)")->required();
  s->add_option("--multipliers", sa->o.multipliers, "multipliers to try (default: all of the library)");
  s->add_option("--layers", sa->o.layers, "layers to try (default: every approximable layer)");
  s->add_option("--out", sa->o.out_dir,
                "folder for sensitivity.csv/.json/.svg; a killed run resumes from sensitivity.partial.json there")
      ->default_val(sa->o.out_dir);
  s->add_option("--stop-after", sa->o.stop_after, "stop after N new rows as if killed (testing resume)");
  s->add_flag("--json", sa->json, "print the result as JSON");
  s->callback([sa] {
    const Json r = train::run_sensitivity(sa->o);
    if (!mpi::is_root()) return;  // under mpirun rank 0 writes and reports
    print(r, sa->json,
          fmt::format("sensitivity: {} rows{} (exact 8-bit top-1 {:.2f}%)\n  {}\n  {}\n", r["rows"].size(),
                      r["resumed_rows"].get<int64_t>() > 0
                          ? fmt::format(", {} of them from an earlier run", r["resumed_rows"].get<int64_t>())
                          : "",
                      100 * r["baseline"]["exact8_top1"].get<double>(), r["files"]["csv"].get<std::string>(),
                      r["files"]["svg"].get<std::string>()));
  });

  auto fa = std::make_shared<FineArgs>();
  auto* f = app.add_subcommand("finetune", "Approximation-aware retraining with a config (straight-through or LUT gradients); "
                                           "reports accuracy before and after");
  add_model_options(f, fa->o.eval);
  f->add_option("--config", fa->o.eval.quant.config, "approximation config JSON")->required();
  f->add_option("--train-limit", fa->o.train_data.limit, "use only the first N training images (0 = all)")->default_val(fa->o.train_data.limit);
  f->add_option("--epochs", fa->o.epochs, "epochs")->default_val(fa->o.epochs);
  f->add_option("--max-steps", fa->o.max_steps, "optimizer steps instead of epochs (0 = epochs)")->default_val(fa->o.max_steps);
  f->add_option("--train-batch", fa->o.train_batch, "images per step")->default_val(fa->o.train_batch);
  f->add_option("--lr", fa->o.lr, "learning rate (cosine to lr/100)")->default_val(fa->o.lr);
  f->add_option("--gradient", fa->o.gradient,
                "backward of the approximate products: ste (straight-through, the exact product's gradient) or "
                "lut (the multiplier table's finite differences, averaged over +-8 neighbouring codes)")
      ->check(CLI::IsMember({"ste", "lut"}))
      ->default_val(fa->o.gradient);
  f->add_option("--out", fa->o.out, "fine-tuned model (.safetensors)");
  f->add_option("--result", fa->result, "also write the result JSON there");
  f->add_flag("--json", fa->json, "print the result as JSON");
  f->callback([fa] {
    auto& o = fa->o;
    o.eval.quant.mode = "config";
    const auto lim = o.train_data.limit;
    o.train_data = o.eval.data;
    o.train_data.split = "train";
    o.train_data.limit = lim;
    const Json r = train::finetune_model(o);
    if (!fa->result.empty()) write_json_atomic(fa->result, r);
    print(r, fa->json,
          fmt::format("finetune ({} steps, {} gradients, {:.1f} s): top-1 {:.2f}% -> {:.2f}%\n", r["steps"].get<int64_t>(),
                      fa->o.gradient, r["seconds"].get<double>(), 100 * r["before"]["top1"].get<double>(),
                      100 * r["after"]["top1"].get<double>()));
  });
}

#else

void add_model_commands(CLI::App&) {}

#endif

}  // namespace axx::app
