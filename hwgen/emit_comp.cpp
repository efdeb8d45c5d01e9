// transaxx — emitter of axx_hw_comp, the control-variate compensation block (COMPENSATION.md).
//
// One table t of 256 entries (the layer's, written by the host through t_wr_* before the
// layer's tiles), one combinational read port per column, and one correction register per
// column: cleared when a tile starts, corr_c <= corr_c − t[w_c] for every weight (B) code that
// enters column c with the tile (WS: the rows shifted in during LOAD; OS: the rows streamed
// during RUN). Arithmetic modulo 2^acc_bits, the accumulators' wrap.
//   WS: corr_c is the initial value of column c's partial sums (the array's top edge, instead
//       of zero): no adder in the sum path.
//   OS: the sums stay in the PEs; o_c = s_c + corr_c as the bottom row drains (one adder per
//       column at the output).
// Per-column ports (w<c>, corr<c> / s<c>, o<c>) keep every port at most 64 bits wide, so the
// gate-level power simulation can drive them (hwgen/verify).
#include <fmt/format.h>

#include "hwgen/emit.hpp"

namespace axx::hwgen {

std::string emit_comp(const DesignSpec& spec) {
  const ArrayParams& a = spec.array;
  const bool ws = a.dataflow == Dataflow::kWeightStationary;
  const int acc = a.acc_bits, tw = comp_table_bits(a), cols = a.cols;
  std::string s = banner(spec, "axx_hw_comp", "compensation: the layer's t table, per-column lookups and corrections");
  s += "module axx_hw_comp (\n    input  wire clk,\n";
  s += "    input  wire t_wr_en,           // host: t[t_wr_addr] <= t_wr_data (between tiles)\n";
  s += "    input  wire [7:0] t_wr_addr,   // weight code b\n";
  s += fmt::format("    input  wire [{}:0] t_wr_data,  // t(b), two's complement{}\n", tw - 1,
                   tw < 17 ? fmt::format(" (low {} bits)", tw) : "");
  s += "    input  wire clr,               // a tile starts: corrections <= 0\n";
  s += "    input  wire en,                // the w<c> now arriving belong to the tile\n";
  for (int c = 0; c < cols; ++c) s += fmt::format("    input  wire [7:0] w{},\n", c);
  for (int c = 0; c < cols; ++c) {
    const bool last = c + 1 == cols;
    if (ws) {
      s += fmt::format("    output wire [{}:0] corr{}{}\n", acc - 1, c, last ? "" : ",");
    } else {
      s += fmt::format("    input  wire [{}:0] s{},\n", acc - 1, c);
    }
  }
  if (!ws) {
    for (int c = 0; c < cols; ++c) {
      s += fmt::format("    output wire [{}:0] o{}{}\n", acc - 1, c, c + 1 == cols ? "" : ",");
    }
  }
  s += ");\n";
  s += fmt::format("  reg [{}:0] tbl [0:255];\n", tw - 1);
  s += "  always @(posedge clk) begin\n    if (t_wr_en) tbl[t_wr_addr] <= t_wr_data;\n  end\n\n";
  for (int c = 0; c < cols; ++c) {
    s += fmt::format("  // column {}\n", c);
    s += fmt::format("  wire [{}:0] t_{} = tbl[w{}];\n", tw - 1, c, c);
    const std::string tx = acc > tw ? fmt::format("{{{{{}{{t_{}[{}]}}}}, t_{}}}", acc - tw, c, tw - 1, c)
                                    : fmt::format("t_{}", c);
    s += fmt::format("  reg  [{}:0] corr_q{};\n", acc - 1, c);
    s += "  always @(posedge clk) begin\n";
    s += fmt::format("    if (clr) corr_q{} <= {};\n", c, vlit(acc, 0));
    s += fmt::format("    else if (en) corr_q{} <= corr_q{} - {};\n", c, c, tx);
    s += "  end\n";
    if (ws) {
      s += fmt::format("  assign corr{} = corr_q{};\n\n", c, c);
    } else {
      s += fmt::format("  assign o{} = s{} + corr_q{};\n\n", c, c, c);
    }
  }
  s += "endmodule\n";
  return s;
}

}  // namespace axx::hwgen
