// transaxx — emitter of axx_hw_top: the controller, the skew lines, the array and (WS) the
// de-skew, with three simple synchronous memory ports (one-cycle read latency):
//   stream  s_rd_*  WS: row m of A (lane r = A[m][r]);  OS: column k of A (lane r = A[r][k])
//   weight  w_rd_*  row k of W (lane c = W[k][c])
//   output  o_wr_*  row of the result (lane c, acc_bits each)
#include <fmt/format.h>

#include "hwgen/emit.hpp"

namespace axx::hwgen {

std::string emit_top(const DesignSpec& spec) {
  const ArrayParams& a = spec.array;
  const bool ws = a.dataflow == Dataflow::kWeightStationary;
  const bool modes = spec.modes.size() > 1;
  const int mw = mode_bits(spec), lw = len_bits(spec), sa = stream_addr_bits(spec), ra = row_addr_bits(spec);
  const int wa = ws ? ra : sa, oa = ws ? sa : ra;
  const int r = a.rows, c = a.cols, acc = a.acc_bits;
  std::string s = banner(spec, "axx_hw_top", "the accelerator: controller, skew, array, memory ports");
  s += "module axx_hw_top (\n    input  wire clk,\n    input  wire rst,\n";
  s += "    input  wire start,            // one cycle, in IDLE: run one tile\n";
  if (modes) s += fmt::format("    input  wire [{}:0] mode,       // multiplier of this tile's layer\n", mw - 1);
  s += fmt::format("    input  wire [{}:0] len,        // {}, 1..{}\n", lw - 1, ws ? "rows of A (M)" : "K",
                   a.stream_depth);
  s += "    output wire busy,\n    output wire done,\n";
  if (a.compensation) {
    s += "    input  wire t_wr_en,          // compensation table write, between tiles: t[t_wr_addr] <= t_wr_data\n";
    s += "    input  wire [7:0] t_wr_addr,  // weight code b\n";
    s += fmt::format("    input  wire [{}:0] t_wr_data, // t(b) of the layer, two's complement\n",
                     comp_table_bits(a) - 1);
  }
  s += fmt::format("    output wire s_rd_en,\n    output wire [{}:0] s_rd_addr,\n    input  wire [{}:0] s_rd_data,\n",
                   sa - 1, 8 * r - 1);
  s += fmt::format("    output wire w_rd_en,\n    output wire [{}:0] w_rd_addr,\n    input  wire [{}:0] w_rd_data,\n",
                   wa - 1, 8 * c - 1);
  s +=
      fmt::format("    output wire o_wr_en,\n    output wire [{}:0] o_wr_addr,\n    output wire [{}:0] o_wr_data\n);\n",
                  oa - 1, acc * c - 1);
  if (modes) s += fmt::format("  wire [{}:0] mode_q;\n", mw - 1);
  s += ws ? "  wire v_q, load_q;\n" : "  wire v_q, clear, drain;\n";
  s += "\n  axx_hw_ctrl u_ctrl (\n      .clk(clk),\n      .rst(rst),\n      .start(start),\n";
  if (modes) s += "      .mode_in(mode),\n      .mode_q(mode_q),\n";
  s += "      .len(len),\n      .busy(busy),\n      .done(done),\n";
  s += "      .s_rd_en(s_rd_en),\n      .s_rd_addr(s_rd_addr),\n      .w_rd_en(w_rd_en),\n      "
       ".w_rd_addr(w_rd_addr),\n";
  s += "      .v_q(v_q),\n";
  s += ws ? "      .load_q(load_q),\n" : "      .clear(clear),\n      .drain(drain),\n";
  s += "      .o_wr_en(o_wr_en),\n      .o_wr_addr(o_wr_addr)\n  );\n\n";
  s += fmt::format("  wire [{}:0] a_skewed;\n  wire [{}:0] v_skewed;\n", 8 * r - 1, r - 1);
  s += "  axx_hw_skew u_skew (\n";
  if (r > 1) s += "      .clk(clk),\n      .rst(rst),\n";
  s += fmt::format(
      "      .d_in(s_rd_data),\n      .v_in({{{}{{v_q}}}}),\n      .d_out(a_skewed),\n      .v_out(v_skewed)\n  );\n\n",
      r);
  std::string w_top = "w_rd_data";
  if (!ws) {
    s += fmt::format("  wire [{}:0] w_skewed;\n  axx_hw_wskew u_wskew (\n", 8 * c - 1);
    if (c > 1) s += "      .clk(clk),\n";
    s += "      .d_in(w_rd_data),\n      .d_out(w_skewed)\n  );\n\n";
    w_top = "w_skewed";
  }
  if (a.compensation) {
    // Compensation: cleared when a tile starts, one lookup per weight code entering a column
    // (WS: the rows shifted in during LOAD; OS: the rows streamed with the activations).
    s += fmt::format("  wire [{}:0] {};\n", acc * c - 1, ws ? "corr" : "sums_corrected");
    s += fmt::format("  wire [{}:0] sums;\n", acc * c - 1);
    s += "  axx_hw_comp u_comp (\n      .clk(clk),\n      .t_wr_en(t_wr_en),\n      .t_wr_addr(t_wr_addr),\n"
         "      .t_wr_data(t_wr_data),\n      .clr(start & ~busy),\n";
    s += ws ? "      .en(load_q),\n" : "      .en(v_q),\n";
    for (int j = 0; j < c; ++j) s += fmt::format("      .w{}(w_rd_data[{}:{}]),\n", j, 8 * j + 7, 8 * j);
    for (int j = 0; j < c; ++j) {
      const std::string lane = fmt::format("[{}:{}]", acc * j + acc - 1, acc * j);
      const std::string end = j + 1 == c ? "\n" : ",\n";
      s += ws ? fmt::format("      .corr{}(corr{}){}", j, lane, end)
              : fmt::format("      .s{}(sums{}),\n      .o{}(sums_corrected{}){}", j, lane, j, lane, end);
    }
    s += "  );\n\n";
    s += "  axx_hw_array u_array (\n      .clk(clk),\n      .rst(rst),\n";
  } else {
    s += fmt::format("  wire [{}:0] sums;\n  axx_hw_array u_array (\n      .clk(clk),\n      .rst(rst),\n",
                     acc * c - 1);
  }
  if (modes) s += "      .mode(mode_q),\n";
  s += ws ? "      .load(load_q),\n" : "      .clear(clear),\n      .drain(drain),\n";
  if (ws && a.compensation) s += "      .sum_top(corr),\n";
  s += fmt::format(
      "      .w_top({}),\n      .a_left(a_skewed),\n      .v_left(v_skewed),\n      .sum_bottom(sums)\n  );\n\n",
      w_top);
  if (ws) {
    s += "  axx_hw_deskew u_deskew (\n";
    if (c > 1) s += "      .clk(clk),\n";
    s += "      .d_in(sums),\n      .d_out(o_wr_data)\n  );\n";
  } else {
    s += a.compensation ? "  assign o_wr_data = sums_corrected;\n" : "  assign o_wr_data = sums;\n";
  }
  s += "endmodule\n";
  return s;
}

}  // namespace axx::hwgen
