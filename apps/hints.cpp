// transaxx — the hints table (see hints.hpp). One row per code; the code's message (docs/errors.md)
// says what is wrong, the hint which option of which command sets it.
#include "apps/hints.hpp"

namespace axx::app {

const std::vector<Hint>& hints() {
  static const std::vector<Hint> table = {
      // characterize/
      {"CHR-010", "characterize", "--clock-mhz takes a positive frequency in MHz"},
      {"CHR-011", "characterize", "--vectors takes 10000 to 10000000 operand pairs"},
      {"CHR-012", "characterize", "--name sets the record name: no '/', not starting with '.'"},
      {"CHR-103", "library build", "-j/--jobs takes at least 1"},
      {"CHR-105", "library build", "--only takes names of multipliers in the inputs"},
      {"STIM-001", "characterize", "--stimulus takes 'uniform' or a .npy histogram of 256 x 256 counts"},
      {"STIM-002", "characterize", "--stimulus takes a 256 x 256 histogram: row = activation, column = weight"},
      {"STIM-003", "characterize", "--stimulus takes a histogram of finite, non-negative counts"},
      {"STIM-004", "characterize", "--stimulus takes a histogram with at least one non-zero count"},
      // eda/ (read by characterize)
      {"YSY-003", "characterize", "--top names the multiplier's top module"},
      {"YSY-013", "characterize", "--top names the multiplier's top module"},
      {"YSY-014", "characterize", "--a and --b name the activation and the weight input ports"},
      {"YSY-015", "characterize", "--a and --b name the activation and the weight input ports"},
      // hwgen/
      {"HWG-003", "hwgen", "--acc-bits sets the accumulator width"},
      {"HWG-012", "hwgen", "--library names the multiplier library folder"},
      // emulation/import/
      {"IMP-006", "eval", "--channels, --input-size and --classes give a TorchScript model's input (the same on layers, sensitivity, finetune)"},
      // emulation/ (read by the model commands)
      {"EMU-100", "eval", "--device takes cpu, cuda or auto (the same on train, layers, sensitivity, search, finetune; a flow: [flow] device)"},
      {"EMU-101", "eval", "--device cuda needs a CUDA build and a GPU (docs/gpu.md); --device cpu or auto runs without one"},
      {"EMU-090", "finetune", "--gradient takes ste or lut (a flow: [finetune] gradient)"},
      {"TRN-001", "eval", "--eval-batch takes at least 1"},
      {"TRN-003", "train", "--out names another folder, or --no-resume starts this one over"},
      {"TRN-005", "eval", "--threads takes at least 1"},
      {"TRN-008", "eval", "--model names the model file"},
      {"TRN-009", "eval", "--calib-images takes at least 1"},
      {"TRN-010", "eval", "--config names the approximation config"},
      {"TRN-012", "train", "--epochs takes at least 1"},
      {"TRN-013", "train", "--train-batch takes at least 1"},
      {"TRN-014", "train", "--lr takes a positive learning rate"},
      {"TRN-015", "train", "--warmup takes 0 or more epochs, fewer than --epochs"},
      {"TRN-016", "train", "--label-smoothing takes a value in [0, 1)"},
      {"TRN-018", "finetune", "--config names the approximation config to fine-tune under"},
      {"TRN-019", "train", "--no-resume starts over without the saved state"},
      {"TRN-020", "sensitivity", "--library names the multiplier library folder"},
      {"TRN-021", "layers", "--calib-images takes at least 1"},
      {"TRN-022", "layers", "--sample-rows takes at least 1"},
      {"TRN-023", "layers", "--pool-values takes at least 1"},
      {"TRN-025", "layers", "--dataset (and --data) give the images for histograms and operands"},
      {"VIT-004", "eval", "--preset names the model shape (e.g. deit_tiny_patch16_224)"},
      {"IMP-014", "eval", "--heads gives the number of attention heads"},
      {"IMP-015", "eval", "--model names the model file"},
      {"IMP-030", "eval", "--heads gives the number of attention heads; it must divide the embedding width"},
      {"DATA-002", "eval", "--data names the dataset folder"},
      {"DATA-009", "eval", "--data names the dataset folder"},
      // model_search/
      {"MSR-001", "search", "--budget takes at least 1"},
      {"MSR-002", "search", "--library names the multiplier library folder"},
      {"MSR-003", "search", "--max-drop takes 0 or more"},
      {"MSR-004", "search", "--signedness takes any, signed or unsigned"},
      {"MSR-009", "search", "--eval-images takes 0 or more"},
      // search/
      {"SRC-001", "search", "--budget takes at least 1"},
      // flows/
      {"FLOW-004", "flow run", "start at the stage that has not run with --from, or run the whole flow (no --from or --only)"},
      {"FLOW-005", "flow run", "--from, --to and --only take stage names; `transaxx flow stages` lists them"},
      {"FLOW-018", "flow run", "give --only, or --from and/or --to, not both"},
      {"FLOW-019", "flow run", "--from must name a stage at or before --to"},
  };
  return table;
}

const Hint* find_hint(const std::string& code) {
  for (const Hint& h : hints()) {
    if (code == h.code) return &h;
  }
  return nullptr;
}

}  // namespace axx::app
