// transaxx — the options the commands on models share (train, eval, sensitivity, finetune in
// cmd_model.cpp; layers, search in cmd_search.cpp): one adder per group, so each meaning has one
// spelling in every command. Earlier spellings stay as hidden aliases (alias()): they work, and
// --help shows only the current name.
//
//   --model --preset --heads --channels --input-size --classes   the model file and its shape
//   --dataset --data --img-size                                   the dataset
//   --calib-images --calibration --percentile                     calibration (training images)
//   --compensation                                                error compensation (none | mean)
//   --threads --eval-batch --data-seed --no-progress --device     how it runs
//   --test-limit / --train-limit                                  first N test / training images
// Only with LibTorch (AXX_HAVE_MODELS); the header itself needs no LibTorch.
#pragma once

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "emulation/data/dataset.hpp"
#include "emulation/train/train.hpp"

namespace axx::app {

/// A hidden second name `old_name` for the option `current` (which writes `var`): the old
/// spelling keeps working and is not shown in --help (given with the new one, the later wins).
template <class T>
CLI::Option* alias(CLI::App* c, const std::string& old_name, T& var, CLI::Option* current) {
  return c->add_option(old_name, var, "old name of " + current->get_name())->group("");
}

/// The model file and its input spec. `positional`: the file may also be given without --model
/// (`transaxx layers MODEL`). O has model, preset, heads, channels, image_size, num_classes
/// (train::EvalOptions, train::LayerStatsOptions).
template <class O>
void add_model_file_options(CLI::App* c, O& o, bool positional = false) {
  c->add_option(positional ? "--model,model" : "--model", o.model,
                "model file: .safetensors (from `transaxx train`, or timm/DeiT names) or TorchScript .pt/.pth/.ts "
                "(torch.jit.save of a scripted module)")
      ->required();
  c->add_option("--preset", o.preset, "model shape for safetensors files without transaxx metadata (e.g. from timm)");
  c->add_option("--heads", o.heads, "timm safetensors: attention heads (not stored by timm; default: the preset's, else "
                                    "embed_dim / 64)");
  c->add_option("--channels", o.channels, "TorchScript: input channels (default: sidecar JSON model.json)");
  c->add_option("--input-size", o.image_size, "TorchScript: input height = width, pixels (default: sidecar JSON)");
  c->add_option("--classes", o.num_classes, "TorchScript: number of logits (default: sidecar JSON)");
}

/// --dataset, --data, --img-size. `what`: "test", "training", ... `kind_default`: the dataset's
/// default in words (the kind's value when empty).
inline void add_dataset_options(CLI::App* c, data::DatasetSpec& d, const std::string& what,
                                const std::string& kind_default = "") {
  auto* k = c->add_option("--dataset", d.kind,
                          what + " dataset: fashion-mnist, cifar10, folder" +
                              (kind_default.empty() ? "" : " (default: " + kind_default + ")"));
  if (kind_default.empty()) k->default_val(d.kind);
  c->add_option("--data", d.path,
                what + " dataset folder (default for fashion-mnist: /usr/share/datasets/fashion-mnist, Debian "
                       "package dataset-fashion-mnist)");
  c->add_option("--img-size", d.img_size, "folder datasets: image side after resize + centre crop")
      ->default_val(d.img_size);
}

/// --test-limit: the first N test images. `old_name`: its earlier name ("" = none).
inline void add_test_limit(CLI::App* c, int64_t& limit, const std::string& help = "use only the first N test images (0 = all)",
                           const std::string& old_name = "--limit") {
  auto* o = c->add_option("--test-limit", limit, help)->default_val(limit);
  if (!old_name.empty()) alias(c, old_name, limit, o);
}

/// --calib-images, --calibration, --percentile. `old_images`: an earlier name of --calib-images.
inline void add_calibration_options(CLI::App* c, int64_t& images, std::string& method, double& percentile,
                                    const std::string& images_help, const std::string& method_default,
                                    const std::string& old_images = "") {
  auto* i = c->add_option("--calib-images", images, images_help)->default_val(images);
  if (!old_images.empty()) alias(c, old_images, images, i);
  c->add_option("--calibration", method, "calibration method: max, percentile, mse, entropy, noise_aware "
                                             "(percentile for exact layers; approximate ones clip where "
                                             "quantization plus multiplier error is least) (default: " +
                                             method_default + ")");
  c->add_option("--percentile", percentile,
                "percentile for --calibration percentile or noise_aware (e.g. 99.99)");
}

/// --compensation none|mean: every layer's error compensation (docs/architecture.md "Error
/// compensation"); `what_default` says what applies without it.
inline void add_compensation_option(CLI::App* c, std::string& mode, const std::string& what_default) {
  c->add_option("--compensation", mode,
                "error compensation of the approximate products: none, or mean (subtract each weight code's "
                "mean error under the layer's calibrated activation histogram) (default: " + what_default + ")")
      ->check(CLI::IsMember({"none", "mean"}));
}

/// --threads, --eval-batch, --data-seed, --no-progress, --device. `old_names`: also the earlier --batch and
/// --seed of the model commands.
inline void add_run_options(CLI::App* c, train::RunOptions& r, const std::string& seed_help, bool old_names) {
  c->add_option("--threads", r.threads, "LibTorch threads")->default_val(r.threads);
  auto* b = c->add_option("--eval-batch", r.batch_size, "images per forward pass in evaluation")->default_val(r.batch_size);
  auto* s = c->add_option("--data-seed", r.seed, seed_help)->default_val(r.seed);
  if (old_names) {
    alias(c, "--batch", r.batch_size, b);
    alias(c, "--seed", r.seed, s);
  }
  c->add_flag("--no-progress{false}", r.progress, "no progress bars on stderr");
  c->add_option("--device", r.device,
                "where the model runs: cpu, cuda (a GPU; needs a CUDA build, docs/gpu.md) or auto (cuda when "
                "usable, else cpu); data stays on the CPU, batches move over")
      ->check(CLI::IsMember({"cpu", "cuda", "auto"}))
      ->default_val(r.device);
}

}  // namespace axx::app
