// transaxx — emitter of the delay lines around the array: axx_hw_skew (activations enter row r
// r cycles late, so that row r meets the partial sums of rows above it), axx_hw_wskew (OS:
// weights enter column c c cycles late) and axx_hw_deskew (WS: column c's sums leave c cycles
// after column 0's, and are held back cols−1−c cycles so that a whole output row is written at
// once). Lanes with delay 0 are wires.
#include <fmt/format.h>

#include <algorithm>

#include "hwgen/emit.hpp"

namespace axx::hwgen {

std::string emit_delay_lines(const DesignSpec& spec, const std::string& module, const std::string& what, int width,
                             const std::vector<int>& delays, bool with_valid) {
  const int lanes = static_cast<int>(delays.size());
  std::string s = banner(spec, module, what);
  // A delay line with no delay at all needs no clock (and Verilator would flag it unused).
  const bool clocked = *std::max_element(delays.begin(), delays.end()) > 0;
  s += fmt::format("module {} (\n", module);
  if (clocked) s += "    input  wire clk,\n";
  if (clocked && with_valid) s += "    input  wire rst,\n";
  s += fmt::format("    input  wire [{}:0] d_in,   // lane i at [{}i+{}:{}i]\n", width * lanes - 1, width, width - 1,
                   width);
  if (with_valid) s += fmt::format("    input  wire [{}:0] v_in,\n", lanes - 1);
  s += fmt::format("    output wire [{}:0] d_out{}\n", width * lanes - 1, with_valid ? "," : "");
  if (with_valid) s += fmt::format("    output wire [{}:0] v_out\n", lanes - 1);
  s += ");\n";
  for (int i = 0; i < lanes; ++i) {
    const int d = delays[static_cast<size_t>(i)];
    const std::string in = fmt::format("d_in[{}:{}]", width * i + width - 1, width * i);
    const std::string out = fmt::format("d_out[{}:{}]", width * i + width - 1, width * i);
    s += fmt::format("  // lane {}: {} cycle{}\n", i, d, d == 1 ? "" : "s");
    if (d == 0) {
      s += fmt::format("  assign {} = {};\n", out, in);
      if (with_valid) s += fmt::format("  assign v_out[{}] = v_in[{}];\n", i, i);
      continue;
    }
    s += fmt::format("  reg [{}:0] q_{};\n", width * d - 1, i);
    if (with_valid) s += fmt::format("  reg [{}:0] vq_{};\n", d - 1, i);
    s += "  always @(posedge clk) begin\n";
    s += d == 1 ? fmt::format("    q_{} <= {};\n", i, in)
                : fmt::format("    q_{} <= {{q_{}[{}:0], {}}};\n", i, i, width * (d - 1) - 1, in);
    s += "  end\n";
    if (with_valid) {
      s += fmt::format("  always @(posedge clk) begin\n    if (rst) vq_{} <= {}'d0;\n", i, d);
      s += d == 1 ? fmt::format("    else vq_{} <= v_in[{}];\n", i, i)
                  : fmt::format("    else vq_{} <= {{vq_{}[{}:0], v_in[{}]}};\n", i, i, d - 2, i);
      s += "  end\n";
      s += fmt::format("  assign v_out[{}] = vq_{}[{}];\n", i, i, d - 1);
    }
    s += fmt::format("  assign {} = q_{}[{}:{}];\n", out, i, width * d - 1, width * (d - 1));
  }
  s += "endmodule\n";
  return s;
}

}  // namespace axx::hwgen
