// transaxx — the Boolean function of a Liberty cell output ("function" attribute), compiled
// once and evaluated 64 input vectors at a time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace axx::flows {

/// A compiled Boolean function over a cell's input pins, evaluated 64 vectors at a time.
class BoolFunction {
 public:
  /// Parses a Liberty function string (operators ! ' & * space | + ^, constants 0 1).
  /// `pins` are the cell's input pin names; text that does not parse over them (an unknown
  /// name, a missing ')') throws axx::Error "LTY-003", more than 255 pins "LTY-004".
  static BoolFunction parse(const std::string& text, const std::vector<std::string>& pins);
  /// inputs[k] is the word of pin k; returns the word of the output.
  uint64_t eval(const uint64_t* inputs) const;
  const std::string& text() const { return text_; }

 private:
  enum Op : uint8_t { kPin, kZero, kOne, kNot, kAnd, kOr, kXor };
  struct Instr { Op op; uint8_t pin; };
  std::vector<Instr> code_;
  std::string text_;
};

}  // namespace axx::flows
