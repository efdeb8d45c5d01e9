// transaxx train — training from scratch with resumable checkpoints, and approximation-aware
// fine-tuning (see train.hpp).
#include <ATen/ATen.h>
#include <fmt/format.h>
#include <torch/nn/functional/loss.h>
#include <torch/optim/adamw.h>
#include <torch/serialize.h>

#include <chrono>
#include <filesystem>

#include "common/error.hpp"
#include "common/fs.hpp"
#include "common/progress.hpp"
#include "emulation/device.hpp"
#include "emulation/lut_grad.hpp"
#include "emulation/models/safetensors.hpp"
#include "emulation/train/engine.hpp"

namespace axx::train {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

Json acc_json(const Accuracy& a) {
  return {{"top1", a.top1}, {"top5", a.top5}, {"images", a.images}, {"seconds", a.seconds}};
}

// AdamW with timm's grouping: no weight decay on biases, norms, class token and position embedding.
std::unique_ptr<torch::optim::AdamW> make_optimizer(const Model& m, double lr, double wd) {
  std::vector<at::Tensor> decay, no_decay;
  for (auto& p : m->named_parameters()) {
    const std::string& n = p.key();
    if (p.value().dim() <= 1 || n == "cls_token" || n == "pos_embed") {
      no_decay.push_back(p.value());
    } else {
      decay.push_back(p.value());
    }
  }
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(lr).weight_decay(wd)));
  groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(lr).weight_decay(0)));
  return std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(lr).weight_decay(wd));
}

struct EpochStats {
  double loss = 0, top1 = 0;
  int64_t steps = 0;
};

// One pass over the (shuffled) training set, stopping early at `max_step` (global step count).
EpochStats run_epoch(const Model& m, torch::optim::AdamW& opt, const data::Dataset& d, int64_t batch,
                     int64_t& step, int64_t total_steps, int64_t max_step, double peak, double floor,
                     int64_t warmup, double smoothing, bool augment, bool flip, uint64_t seed, const std::string& label,
                     bool progress) {
  m->train();
  at::Generator g = at::detail::createCPUGenerator(seed);
  at::Tensor perm = at::randperm(d.size(), g, at::kLong);
  const int64_t n_batches = d.size() / batch;  // drop the ragged last batch
  std::unique_ptr<Progress> bar;
  if (progress) bar = std::make_unique<Progress>(label, size_t(n_batches * batch), "images");
  EpochStats s;
  double loss_sum = 0;
  int64_t correct = 0, seen = 0;
  namespace F = torch::nn::functional;
  for (int64_t b = 0; b < n_batches && step < max_step; ++b) {
    at::Tensor idx = perm.narrow(0, b * batch, batch);
    at::Tensor x = d.images.index_select(0, idx);
    at::Tensor y = d.labels.index_select(0, idx);
    if (augment) x = augment_batch(x, flip, g);
    set_lr(opt, schedule_lr(step, total_steps, peak, floor, warmup));
    opt.zero_grad();
    at::Tensor logits = m.forward(x);
    y = y.to(logits.device());
    at::Tensor loss = F::cross_entropy(logits, y, F::CrossEntropyFuncOptions().label_smoothing(smoothing));
    loss.backward();
    opt.step();
    ++step;
    ++s.steps;
    loss_sum += loss.item<double>();
    correct += logits.argmax(1).eq(y).sum().item<int64_t>();
    seen += batch;
    if (bar) bar->advance(size_t(batch), fmt::format("loss {:.3f}", loss_sum / double(s.steps)));
  }
  if (bar) bar->finish();
  s.loss = s.steps ? loss_sum / double(s.steps) : 0;
  s.top1 = seen ? double(correct) / double(seen) : 0;
  return s;
}

void save_checkpoint(const fs::path& dir, models::VisionTransformer& m, torch::optim::AdamW& opt, int epoch,
                     int64_t step, const Json& history, const Json& options) {
  // Order matters for a kill at any point: the JSON that names the epoch is renamed in last, so
  // it never points at weights or optimizer state older than itself.
  models::save_vit(m, (dir / "checkpoint.safetensors").string());
  const fs::path tmp = dir / "checkpoint_optim.pt.tmp";
  torch::save(opt, tmp.string());
  fs::rename(tmp, dir / "checkpoint_optim.pt");
  write_json_atomic(dir / "checkpoint.json",
                    Json{{"epoch", epoch}, {"step", step}, {"history", history}, {"options", options}});
}

[[noreturn]] void too_few_training_images(int64_t images, int64_t batch) {
  throw UsageError("TRN-017", fmt::format("{} training images is less than one batch of {}", images, batch));
}

}  // namespace

Json train_model(const TrainOptions& o) {
  set_threads(o.run.threads);
  const c10::Device device = emu::resolve_device(o.run.device);
  if (o.epochs < 1) throw UsageError("TRN-012", fmt::format("{} epochs: give at least 1", o.epochs));
  if (o.train_batch < 1) {
    throw UsageError("TRN-013", fmt::format("the training batch size is {}; it must be >= 1", o.train_batch));
  }
  if (!(o.lr > 0)) throw UsageError("TRN-014", fmt::format("the learning rate is {}; it must be > 0", o.lr));
  if (o.warmup < 0 || o.warmup >= 1) {
    throw UsageError("TRN-015", fmt::format("the warmup fraction is {}; it must be in [0, 1)", o.warmup));
  }
  if (o.label_smoothing < 0 || o.label_smoothing >= 1) {
    throw UsageError("TRN-016", fmt::format("the label smoothing is {}; it must be in [0, 1)", o.label_smoothing));
  }
  const auto t0 = Clock::now();
  const fs::path dir = o.out_dir;
  ensure_writable_dir(dir);

  const data::Dataset train = data::load_dataset(o.train_data);
  data::DatasetSpec ts = o.test_data;
  if (o.eval_images > 0) ts.limit = o.eval_images;
  const data::Dataset test = data::load_dataset(ts);

  // The options that shape the run; a checkpoint made with others is not resumed.
  const Json shape = {{"preset", o.preset}, {"dataset", o.train_data.kind}, {"train_images", train.size()},
                      {"epochs", o.epochs}, {"max_steps", o.max_steps}, {"train_batch", o.train_batch},
                      {"lr", o.lr}, {"seed", o.run.seed}};
  models::VisionTransformer m{nullptr};
  int start_epoch = 0;
  int64_t step = 0;
  Json history = Json::array();
  const bool have_ckpt = fs::exists(dir / "checkpoint.json");
  if (o.resume && have_ckpt) {
    const Json ck = read_json_file(dir / "checkpoint.json");
    if (!ck.contains("options") || ck["options"] != shape) {
      throw Error("TRN-003", fmt::format("{}: the checkpoint was made with other options ({}); use the same options, "
                                         "another output folder, or start over without resuming",
                                         (dir / "checkpoint.json").string(), ck.value("options", Json()).dump()));
    }
    m = models::load_vit((dir / "checkpoint.safetensors").string());
    start_epoch = ck.at("epoch").get<int>();
    step = ck.at("step").get<int64_t>();
    history = ck.at("history");
  } else {
    m = models::make_vit(models::find_preset(o.preset).config, o.run.seed);
  }
  check_fits(m->config(), train);
  check_fits(m->config(), test);
  m->to(device);  // before the optimizer, which holds the parameters

  const int64_t per_epoch = train.size() / o.train_batch;
  if (per_epoch < 1) too_few_training_images(train.size(), o.train_batch);
  const int64_t total = o.max_steps > 0 ? std::min<int64_t>(o.max_steps, per_epoch * o.epochs) : per_epoch * o.epochs;
  const int64_t warmup = int64_t(o.warmup * double(total));
  auto opt = make_optimizer(m, o.lr, o.weight_decay);
  if (o.resume && have_ckpt) {
    try {
      torch::load(*opt, (dir / "checkpoint_optim.pt").string(), device);
    } catch (const std::exception& e) {
      throw Error("TRN-019", fmt::format("{}: unreadable optimizer state ({}); delete the checkpoint or start over "
                                         "without resuming",
                                         (dir / "checkpoint_optim.pt").string(), e.what()));
    }
  }
  const bool flip = o.train_data.kind != "fashion-mnist";  // garment classes are not mirror-symmetric everywhere
  Json result;
  result["resumed_from_epoch"] = start_epoch;
  int epoch = start_epoch;
  for (; epoch < o.epochs && step < total; ++epoch) {
    if (o.stop_after_epochs > 0 && epoch - start_epoch >= o.stop_after_epochs) break;
    const auto te = Clock::now();
    const EpochStats s =
        run_epoch(m, *opt, train, o.train_batch, step, total, total, o.lr, o.min_lr, warmup, o.label_smoothing, o.augment,
                  flip, o.run.seed * 1000003 + uint64_t(epoch), fmt::format("epoch {}/{}", epoch + 1, o.epochs), o.run.progress);
    const Accuracy a = evaluate(m, test, o.run.batch_size, "test", o.run.progress);
    history.push_back({{"epoch", epoch + 1}, {"steps", step}, {"loss", s.loss}, {"train_top1", s.top1},
                       {"test_top1", a.top1}, {"test_top5", a.top5}, {"seconds", since(te)}});
    save_checkpoint(dir, m, *opt, epoch + 1, step, history, shape);
  }
  const bool complete = epoch >= o.epochs || step >= total;
  const fs::path model_path = dir / "model.safetensors";
  if (complete) models::save_vit(m, model_path.string());
  result["complete"] = complete;
  result["model"] = complete ? model_path.string() : "";
  result["checkpoint"] = (dir / "checkpoint.safetensors").string();
  result["preset"] = o.preset;
  result["device"] = device.str();
  result["config"] = Json::object();
  for (const auto& kv : models::to_metadata(m->config())) result["config"][kv.first.substr(4)] = kv.second;
  result["parameters"] = [&] {
    int64_t n = 0;
    for (const auto& p : m->parameters()) n += p.numel();
    return n;
  }();
  result["steps"] = step;
  result["epochs"] = history;
  if (!history.empty()) {
    result["test_top1"] = history.back()["test_top1"];
    result["test_top5"] = history.back()["test_top5"];
    result["test_images"] = test.size();
  }
  result["seconds"] = since(t0);
  write_json_atomic(dir / "result.json", result);
  return result;
}

Json finetune_model(const FinetuneOptions& o) {
  set_threads(o.eval.run.threads);
  const auto t0 = Clock::now();
  if (o.eval.quant.mode == "fp32") throw UsageError("TRN-018", "finetune needs a quantized mode (an approximation config or exact8)");
  const emu::GradientMode gradient = emu::parse_gradient_mode(o.gradient, "finetune gradient");
  const Model m = load_any_model(o.eval);
  const data::Dataset test = data::load_dataset(o.eval.data);
  const data::Dataset train = data::load_dataset(o.train_data);
  check_fits(m.input(), train);
  const data::Dataset calib = load_calibration_set(o.eval.data, o.eval.quant.calib_images, o.eval.run.seed);
  const emu::ApproxConfig cfg = quantize_model(m, o.eval.quant, calib, o.eval.run.batch_size);
  const Accuracy before = evaluate(m, test, o.eval.run.batch_size, "before", o.eval.run.progress);

  const int64_t per_epoch = train.size() / o.train_batch;
  if (per_epoch < 1) too_few_training_images(train.size(), o.train_batch);
  const int64_t total = o.max_steps > 0 ? o.max_steps : per_epoch * std::max(1, o.epochs);
  auto opt = make_optimizer(m, o.lr, o.weight_decay);
  int64_t step = 0;
  int epoch = 0;
  const bool flip = o.train_data.kind != "fashion-mnist";
  while (step < total) {
    const emu::GradientModeGuard grad_mode(gradient);
    run_epoch(m, *opt, train, o.train_batch, step, total, total, o.lr, o.lr / 100, 0, o.label_smoothing, false, flip,
              o.eval.run.seed * 1000003 + uint64_t(epoch), fmt::format("finetune {}", epoch + 1), o.eval.run.progress);
    ++epoch;
    // Weights moved: recalibrate activation ranges for the new weights.
    calibrate(m, calib, cfg.calibration, o.eval.run.batch_size);
  }
  const Accuracy after = evaluate(m, test, o.eval.run.batch_size, "after", o.eval.run.progress);
  Json r = {{"before", acc_json(before)}, {"after", acc_json(after)}, {"steps", step}, {"seconds", since(t0)},
            {"compensation", emu::to_string(cfg.compensation)},
            {"config", emu::to_json(cfg)}};
  r["gradient"] = emu::gradient_mode_name(gradient);
  if (gradient == emu::GradientMode::lut) r["lut_gradient_window"] = emu::lut_gradient_window();
  if (!o.out.empty()) {
    // In the model's own format: safetensors for a native ViT, TorchScript for an imported one.
    m.save(o.out, {{"axx.finetuned_with", o.eval.quant.config.empty() ? o.eval.quant.mode : o.eval.quant.config}});
    r["model"] = o.out;
  }
  return r;
}

}  // namespace axx::train
