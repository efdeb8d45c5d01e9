// transaxx — emitter of axx_hw_array: rows × cols PEs and the links between them.
//
// Activations (with their valid bit) enter at the left of each row and move one PE right per
// cycle. Weights enter at the top of each column: WS shifts them down while `load` is high and
// then holds them; OS streams them down every valid cycle. Sums enter the top row as zero and
// leave at the bottom: WS partial sums move down one row per cycle; OS sums stay in place and
// shift down only while `drain` is high.
#include <fmt/format.h>

#include "hwgen/emit.hpp"

namespace axx::hwgen {

std::string emit_array(const DesignSpec& spec) {
  const bool ws = spec.array.dataflow == Dataflow::kWeightStationary;
  const int rows = spec.array.rows, cols = spec.array.cols, acc = spec.array.acc_bits;
  const bool modes = spec.modes.size() > 1;
  std::string s = banner(spec, "axx_hw_array", "the grid of processing elements");
  s += "module axx_hw_array (\n    input  wire clk,\n    input  wire rst,\n";
  if (modes) s += fmt::format("    input  wire [{}:0] mode,\n", mode_bits(spec) - 1);
  s += ws ? "    input  wire load,\n" : "    input  wire clear,\n    input  wire drain,\n";
  // WS with compensation: column c's sums start at its correction instead of zero.
  const bool sum_top = ws && spec.array.compensation;
  if (sum_top) s += fmt::format("    input  wire [{}:0] sum_top,     // column c's initial sum\n", acc * cols - 1);
  s += fmt::format("    input  wire [{}:0] w_top,       // column c at [8c+7:8c]\n", 8 * cols - 1);
  s += fmt::format("    input  wire [{}:0] a_left,      // row r at [8r+7:8r], already skewed\n", 8 * rows - 1);
  s += fmt::format("    input  wire [{}:0] v_left,\n", rows - 1);
  s += fmt::format("    output wire [{}:0] sum_bottom  // column c at [{}c+{}:{}c]\n);\n", acc * cols - 1, acc, acc - 1,
                   acc);
  s += fmt::format("  localparam ROWS = {};\n  localparam COLS = {};\n  localparam ACC = {};\n\n", rows, cols, acc);
  s += "  // Link (r, c) enters PE (r, c); the extra row/column are the array's far edges.\n";
  s += "  /* verilator lint_off UNUSEDSIGNAL */  // weights leaving the bottom row and activations\n";
  s += "                                      // leaving the right column are not used\n";
  s += "  wire [8*(ROWS+1)*COLS-1:0] w_link;\n";
  s += "  wire [8*ROWS*(COLS+1)-1:0] a_link;\n";
  s += "  wire [ROWS*(COLS+1)-1:0]   v_link;\n";
  s += "  /* verilator lint_on UNUSEDSIGNAL */\n";
  s += "  wire [ACC*(ROWS+1)*COLS-1:0] s_link;\n\n";
  s += "  assign w_link[8*COLS-1:0] = w_top;\n";
  s += sum_top ? "  assign s_link[ACC*COLS-1:0] = sum_top;\n"
               : fmt::format("  assign s_link[ACC*COLS-1:0] = {}'d0;\n", acc * cols);
  s += "  assign sum_bottom = s_link[ACC*(ROWS+1)*COLS-1:ACC*ROWS*COLS];\n\n";
  s += "  genvar r, c;\n  generate\n";
  s += "    for (r = 0; r < ROWS; r = r + 1) begin : g_row\n";
  s += "      assign a_link[8*r*(COLS+1) +: 8] = a_left[8*r +: 8];\n";
  s += "      assign v_link[r*(COLS+1)] = v_left[r];\n";
  s += "      for (c = 0; c < COLS; c = c + 1) begin : g_col\n";
  s += "        axx_hw_pe u_pe (\n";
  s += "            .clk(clk),\n            .rst(rst),\n";
  if (modes) s += "            .mode(mode),\n";
  s += ws ? "            .load(load),\n" : "            .clear(clear),\n            .drain(drain),\n";
  s += "            .w_in(w_link[8*(r*COLS+c) +: 8]),\n";
  s += "            .w_out(w_link[8*((r+1)*COLS+c) +: 8]),\n";
  s += "            .a_in(a_link[8*(r*(COLS+1)+c) +: 8]),\n";
  s += "            .v_in(v_link[r*(COLS+1)+c]),\n";
  s += "            .a_out(a_link[8*(r*(COLS+1)+c+1) +: 8]),\n";
  s += "            .v_out(v_link[r*(COLS+1)+c+1]),\n";
  s += fmt::format("            .{}(s_link[ACC*(r*COLS+c) +: ACC]),\n", ws ? "psum_in" : "acc_in");
  s += fmt::format("            .{}(s_link[ACC*((r+1)*COLS+c) +: ACC])\n", ws ? "psum_out" : "acc_out");
  s += "        );\n      end\n    end\n  endgenerate\nendmodule\n";
  return s;
}

}  // namespace axx::hwgen
