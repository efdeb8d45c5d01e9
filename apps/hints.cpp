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
