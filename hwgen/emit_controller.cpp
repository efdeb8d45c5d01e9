// transaxx — emitter of axx_hw_ctrl, the tile controller.
//
// A tile starts when `start` is high in IDLE; the mode and the stream length are latched then.
//   WS: LOAD (rows + 1 cycles: read W rows rows−1 .. 0, shift them down), RUN (len + rows + cols
//       cycles: read len rows of A, write output row m when it leaves the de-skew), DONE.
//   OS: CLEAR (1 cycle), RUN (len + rows + cols − 1 cycles: read column k of A and row k of W
//       together), DRAIN (rows cycles: the bottom row's sums are written, rows − 1 first), DONE.
// Memories are synchronous: data arrives the cycle after the read enable, so the valid bit
// sent with it is the read enable delayed one cycle. cycle_model.hpp counts the same cycles.
#include <fmt/format.h>

#include "hwgen/emit.hpp"

namespace axx::hwgen {

std::string emit_controller(const DesignSpec& spec) {
  const ArrayParams& a = spec.array;
  const bool ws = a.dataflow == Dataflow::kWeightStationary;
  const bool modes = spec.modes.size() > 1;
  const int mw = mode_bits(spec), lw = len_bits(spec), sa = stream_addr_bits(spec), ra = row_addr_bits(spec);
  const int cw = clog2(int64_t{a.stream_depth} + a.rows + a.cols + 2) + 1;
  const int wa = ws ? ra : sa, oa = ws ? sa : ra;
  const std::string len_x = cw > lw ? fmt::format("{{{}'d0, len_q}}", cw - lw) : "len_q";
  std::string s = banner(spec, "axx_hw_ctrl", "tile controller");
  s += "module axx_hw_ctrl (\n    input  wire clk,\n    input  wire rst,\n    input  wire start,\n";
  if (modes) {
    s += fmt::format("    input  wire [{}:0] mode_in,\n", mw - 1);
    s += fmt::format("    output reg  [{}:0] mode_q,     // the mode register, set per tile (layer)\n", mw - 1);
  }
  s += fmt::format("    input  wire [{}:0] len,        // {} of this tile, 1..{}\n", lw - 1,
                   ws ? "rows of A (M)" : "reduction length (K)", a.stream_depth);
  s += "    output wire busy,\n    output wire done,\n";
  s += fmt::format("    output wire s_rd_en,          // stream memory (A{})\n", ws ? " rows" : " columns");
  s += fmt::format("    output reg  [{}:0] s_rd_addr,\n", sa - 1);
  s += fmt::format("    output wire w_rd_en,          // weight memory (W rows)\n");
  s += fmt::format("    output reg  [{}:0] w_rd_addr,\n", wa - 1);
  s += "    output reg  v_q,              // the stream data now arriving is valid\n";
  if (ws) {
    s += "    output reg  load_q,           // the weight row now arriving shifts into the array\n";
  } else {
    s += "    output wire clear,\n    output wire drain,\n";
  }
  s += "    output wire o_wr_en,          // output memory (rows of the result)\n";
  s += fmt::format("    output reg  [{}:0] o_wr_addr\n);\n", oa - 1);
  s += "  localparam [2:0] S_IDLE = 3'd0;\n";
  s += fmt::format("  localparam [2:0] S_{} = 3'd1;\n", ws ? "LOAD" : "CLEAR");
  s += "  localparam [2:0] S_RUN = 3'd2;\n";
  if (!ws) s += "  localparam [2:0] S_DRAIN = 3'd3;\n";
  s += "  localparam [2:0] S_DONE = 3'd4;\n\n";
  s += "  reg [2:0] state;\n";
  s += fmt::format("  reg [{}:0] cnt;\n  reg [{}:0] len_q;\n\n", cw - 1, lw - 1);
  s += "  assign busy = state != S_IDLE;\n  assign done = state == S_DONE;\n";
  if (ws) {
    s += fmt::format("  assign w_rd_en = state == S_LOAD && cnt < {};\n", vlit(cw, a.rows));
    s += fmt::format("  assign s_rd_en = state == S_RUN && cnt < {};\n", len_x);
    s += fmt::format("  assign o_wr_en = state == S_RUN && cnt >= {};\n\n", vlit(cw, a.rows + a.cols));
  } else {
    s += fmt::format("  assign s_rd_en = state == S_RUN && cnt < {};\n", len_x);
    s += "  assign w_rd_en = s_rd_en;\n";
    s += "  assign clear = state == S_CLEAR;\n  assign drain = state == S_DRAIN;\n";
    s += "  assign o_wr_en = drain;\n\n";
  }
  s += "  always @(posedge clk) begin\n";
  s += "    if (rst) begin\n      state <= S_IDLE;\n";
  s += fmt::format("      cnt <= {};\n      len_q <= {};\n", vlit(cw, 0), vlit(lw, 0));
  s += "      v_q <= 1'b0;\n";
  if (ws) s += "      load_q <= 1'b0;\n";
  if (modes) s += fmt::format("      mode_q <= {};\n", vlit(mw, 0));
  s += fmt::format("      s_rd_addr <= {};\n      w_rd_addr <= {};\n      o_wr_addr <= {};\n", vlit(sa, 0), vlit(wa, 0),
                   vlit(oa, 0));
  s += "    end else begin\n";
  s += "      v_q <= s_rd_en;\n";
  if (ws) s += "      load_q <= w_rd_en;\n";
  s += fmt::format("      if (s_rd_en) s_rd_addr <= s_rd_addr + {};\n", vlit(sa, 1));
  if (ws) {
    s += fmt::format("      if (w_rd_en) w_rd_addr <= w_rd_addr - {};\n", vlit(wa, 1));
    s += fmt::format("      if (o_wr_en) o_wr_addr <= o_wr_addr + {};\n", vlit(oa, 1));
  } else {
    s += fmt::format("      if (w_rd_en) w_rd_addr <= w_rd_addr + {};\n", vlit(wa, 1));
    s += fmt::format("      if (o_wr_en) o_wr_addr <= o_wr_addr - {};\n", vlit(oa, 1));
  }
  s += "      case (state)\n";
  s += "        S_IDLE: if (start) begin\n";
  s += fmt::format("          state <= S_{};\n          cnt <= {};\n          len_q <= len;\n", ws ? "LOAD" : "CLEAR",
                   vlit(cw, 0));
  if (modes) s += "          mode_q <= mode_in;\n";
  s += fmt::format("          s_rd_addr <= {};\n", vlit(sa, 0));
  if (ws) {
    s += fmt::format("          w_rd_addr <= {};\n          o_wr_addr <= {};\n", vlit(wa, a.rows - 1), vlit(oa, 0));
  } else {
    s += fmt::format("          w_rd_addr <= {};\n          o_wr_addr <= {};\n", vlit(wa, 0), vlit(oa, a.rows - 1));
  }
  s += "        end\n";
  if (ws) {
    s += fmt::format("        S_LOAD: if (cnt == {}) begin\n", vlit(cw, a.rows));
    s += fmt::format("          state <= S_RUN;\n          cnt <= {};\n", vlit(cw, 0));
    s += fmt::format("        end else cnt <= cnt + {};\n", vlit(cw, 1));
    s += fmt::format("        S_RUN: if (cnt == {} + {}) begin\n", len_x, vlit(cw, a.rows + a.cols - 1));
    s += "          state <= S_DONE;\n";
    s += fmt::format("        end else cnt <= cnt + {};\n", vlit(cw, 1));
  } else {
    s += "        S_CLEAR: state <= S_RUN;\n";
    s += fmt::format("        S_RUN: if (cnt == {} + {}) begin\n", len_x, vlit(cw, a.rows + a.cols - 2));
    s += fmt::format("          state <= S_DRAIN;\n          cnt <= {};\n", vlit(cw, 0));
    s += fmt::format("        end else cnt <= cnt + {};\n", vlit(cw, 1));
    s += fmt::format("        S_DRAIN: if (cnt == {}) begin\n", vlit(cw, a.rows - 1));
    s += "          state <= S_DONE;\n";
    s += fmt::format("        end else cnt <= cnt + {};\n", vlit(cw, 1));
  }
  s += "        S_DONE: state <= S_IDLE;\n";
  s += "        default: state <= S_IDLE;\n";
  s += "      endcase\n    end\n  end\nendmodule\n";
  return s;
}

}  // namespace axx::hwgen
