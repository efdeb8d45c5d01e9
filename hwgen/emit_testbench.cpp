// transaxx — emitter of axx_hw_tb, the self-checking testbench, and its stimuli.
//
// The testbench holds every tile's operands and the golden LUT-GEMM results in memories read
// with $readmemh, models the three memory ports (synchronous, one-cycle read latency), runs the
// tiles one after the other in their modes, compares every output word, counts the controller's
// busy cycles per tile and prints one line per tile:
//   AXX_TILE test=<i> mode=<m> len=<l> cycles=<n> errors=<e>
// and at the end `AXX_RESULT tests=<n> errors=<e>` before $finish. The clock is driven by the
// simulation's main program (port clk), so the testbench needs no timing constructs.
#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <random>

#include "hwgen/emit.hpp"
#include "hwgen/golden.hpp"

namespace axx::hwgen {

namespace {

// One memory word: lane i (width bits, two's complement raw pattern) at bits [w*i+w-1 : w*i].
std::string hex_word(const std::vector<int64_t>& lanes, int width) {
  const int bits = width * static_cast<int>(lanes.size());
  const int digits = (bits + 3) / 4;
  std::string out(static_cast<size_t>(digits), '0');
  for (int d = 0; d < digits; ++d) {
    int v = 0;
    for (int b = 0; b < 4; ++b) {
      const int bit = 4 * d + b;
      if (bit >= bits) break;
      const uint64_t lane = static_cast<uint64_t>(lanes[static_cast<size_t>(bit / width)]);
      v |= static_cast<int>((lane >> (bit % width)) & 1) << b;
    }
    out[static_cast<size_t>(digits - 1 - d)] = "0123456789abcdef"[v];
  }
  return out;
}

// The t table of testbench tile `i` of a mode (make_tile_tests in emit.hpp).
std::vector<int32_t> tile_table(const std::vector<int32_t>& lut, bool is_signed, int i, std::mt19937_64& rng) {
  std::vector<int32_t> t(256);
  if (i == 0) {
    // The real table under a peaked histogram: codes near zero most frequent, as activations are.
    std::vector<double> hist(256);
    for (int c = 0; c < 256; ++c) {
      const int v = is_signed ? static_cast<int8_t>(c) : c;
      hist[static_cast<size_t>(c)] = std::exp(-std::abs(v) / 24.0) * static_cast<double>(1 + rng() % 4);
    }
    return compensation_table(lut, hist, is_signed);
  }
  for (int b = 0; b < 256; ++b) {
    t[static_cast<size_t>(b)] =
        i == 1 ? ((b & 1) ? 65535 : -65536) : static_cast<int32_t>(rng() % 131072) - 65536;
  }
  return t;
}

}  // namespace

std::vector<TileTest> make_tile_tests(const DesignSpec& spec, int per_mode, uint64_t seed) {
  const ArrayParams& a = spec.array;
  const bool ws = a.dataflow == Dataflow::kWeightStationary;
  std::mt19937_64 rng(seed);
  std::mt19937_64 comp_rng(seed ^ 0x636f6d70656e7361ull);  // tables: the operands stay those without compensation
  std::vector<TileTest> tests;
  for (size_t mode = 0; mode < spec.modes.size(); ++mode) {
    for (int i = 0; i < per_mode; ++i) {
      TileTest t;
      t.mode = static_cast<int>(mode);
      t.len = i == 0 ? a.stream_depth : 1 + static_cast<int>(rng() % static_cast<uint64_t>(a.stream_depth));
      const int m = ws ? t.len : a.rows, k = ws ? a.rows : t.len, n = a.cols;
      t.a.resize(static_cast<size_t>(m) * k);
      t.w.resize(static_cast<size_t>(k) * n);
      // Tile 1 of each mode uses the largest-magnitude operands: the accumulator's worst case.
      const bool extreme = i == 1;
      const uint8_t big = a.is_signed ? 0x80 : 0xff;
      for (auto& v : t.a) v = extreme ? big : static_cast<uint8_t>(rng());
      for (auto& v : t.w) v = extreme ? big : static_cast<uint8_t>(rng());
      if (a.compensation) t.table = tile_table(spec.modes[mode].lut, a.is_signed, i, comp_rng);
      t.expected = lut_gemm_compensated(spec.modes[mode].lut, t.table, t.a, t.w, m, k, n, a.acc_bits, a.is_signed);
      tests.push_back(std::move(t));
    }
  }
  return tests;
}

std::vector<GeneratedFile> emit_testbench(const DesignSpec& spec, const std::vector<TileTest>& tests) {
  const ArrayParams& a = spec.array;
  const bool ws = a.dataflow == Dataflow::kWeightStationary;
  const bool modes = spec.modes.size() > 1;
  const int r = a.rows, c = a.cols, acc = a.acc_bits, depth = a.stream_depth;
  const int mw = mode_bits(spec), lw = len_bits(spec), sa = stream_addr_bits(spec), ra = row_addr_bits(spec);
  const int wa = ws ? ra : sa, oa = ws ? sa : ra;
  const int nt = static_cast<int>(tests.size());
  const int sd = depth, wd = ws ? r : depth, od = ws ? depth : r;  // words per test in each memory

  const bool comp = a.compensation;
  std::string a_hex, w_hex, e_hex, i_hex, t_hex;
  for (const TileTest& t : tests) {
    for (int word = 0; word < sd; ++word) {
      std::vector<int64_t> lanes(static_cast<size_t>(r), 0);
      if (word < t.len) {
        for (int i = 0; i < r; ++i)
          lanes[static_cast<size_t>(i)] =
              ws ? t.a[static_cast<size_t>(word) * r + i] : t.a[static_cast<size_t>(i) * t.len + word];
      }
      a_hex += hex_word(lanes, 8) + "\n";
    }
    for (int word = 0; word < wd; ++word) {
      std::vector<int64_t> lanes(static_cast<size_t>(c), 0);
      if (ws || word < t.len) {
        for (int j = 0; j < c; ++j) lanes[static_cast<size_t>(j)] = t.w[static_cast<size_t>(word) * c + j];
      }
      w_hex += hex_word(lanes, 8) + "\n";
    }
    const int out_rows = ws ? t.len : r;
    for (int word = 0; word < od; ++word) {
      std::vector<int64_t> lanes(static_cast<size_t>(c), 0);
      if (word < out_rows) {
        for (int j = 0; j < c; ++j) lanes[static_cast<size_t>(j)] = t.expected[static_cast<size_t>(word) * c + j];
      }
      e_hex += hex_word(lanes, acc) + "\n";
    }
    i_hex += fmt::format("{:04x}{:04x}\n", t.mode, t.len);
    for (int32_t v : t.table) t_hex += hex_word({v}, comp_table_bits(a)) + "\n";
  }

  auto zext32 = [](const std::string& sig, int bits) {
    return bits >= 32 ? sig : fmt::format("{{{}'d0, {}}}", 32 - bits, sig);
  };
  std::string s = banner(spec, "axx_hw_tb", "self-checking testbench (clock driven by the simulation's main)");
  s += "module axx_hw_tb (\n    input wire clk\n);\n";
  s += fmt::format(
      "  localparam integer TESTS = {};\n  localparam integer SD = {};\n  localparam integer WD = {};\n"
      "  localparam integer OD = {};\n\n",
      nt, sd, wd, od);
  s += fmt::format("  reg [{}:0] a_mem [0:{}];\n", 8 * r - 1, nt * sd - 1);
  s += fmt::format("  reg [{}:0] w_mem [0:{}];\n", 8 * c - 1, nt * wd - 1);
  s += fmt::format("  reg [{}:0] exp_mem [0:{}];\n", acc * c - 1, nt * od - 1);
  s += fmt::format("  reg [31:0] info [0:{}];     // {{mode[15:0], len[15:0]}} per tile\n", nt - 1);
  s += fmt::format("  reg [{}:0] o_mem [0:{}];\n", acc * c - 1, od - 1);
  if (comp) s += fmt::format("  reg [{}:0] t_mem [0:{}];    // each tile's compensation table\n", comp_table_bits(a) - 1, nt * 256 - 1);
  s += "\n";
  s += "  initial begin\n    $readmemh(\"a.hex\", a_mem);\n    $readmemh(\"w.hex\", w_mem);\n"
       "    $readmemh(\"exp.hex\", exp_mem);\n    $readmemh(\"info.hex\", info);\n";
  if (comp) s += "    $readmemh(\"t.hex\", t_mem);\n";
  s += "  end\n\n";
  s += "  reg rst = 1'b1;\n  reg start = 1'b0;\n";
  if (modes) s += fmt::format("  reg [{}:0] mode = {}'d0;\n", mw - 1, mw);
  s += fmt::format("  reg [{}:0] len = {}'d0;\n", lw - 1, lw);
  if (comp) {
    s += "  reg t_wr_en = 1'b0;\n  reg [7:0] t_wr_addr = 8'd0;\n";
    s += fmt::format("  reg [{}:0] t_wr_data = {}'d0;\n  integer tidx = 0;\n", comp_table_bits(a) - 1,
                     comp_table_bits(a));
  }
  s += "  wire busy, done, s_rd_en, w_rd_en, o_wr_en;\n";
  s += fmt::format("  wire [{}:0] s_rd_addr;\n  wire [{}:0] w_rd_addr;\n  wire [{}:0] o_wr_addr;\n", sa - 1, wa - 1,
                   oa - 1);
  s += fmt::format("  reg  [{}:0] s_rd_data = {}'d0;\n  reg  [{}:0] w_rd_data = {}'d0;\n  wire [{}:0] o_wr_data;\n\n",
                   8 * r - 1, 8 * r, 8 * c - 1, 8 * c, acc * c - 1);
  s += "  axx_hw_top dut (\n      .clk(clk),\n      .rst(rst),\n      .start(start),\n";
  if (modes) s += "      .mode(mode),\n";
  s += "      .len(len),\n      .busy(busy),\n      .done(done),\n";
  if (comp) s += "      .t_wr_en(t_wr_en),\n      .t_wr_addr(t_wr_addr),\n      .t_wr_data(t_wr_data),\n";
  s += "      .s_rd_en(s_rd_en),\n      .s_rd_addr(s_rd_addr),\n      .s_rd_data(s_rd_data),\n"
       "      .w_rd_en(w_rd_en),\n      .w_rd_addr(w_rd_addr),\n      .w_rd_data(w_rd_data),\n"
       "      .o_wr_en(o_wr_en),\n      .o_wr_addr(o_wr_addr),\n      .o_wr_data(o_wr_data)\n  );\n\n";
  s += "  integer tick = 0, phase = 0, test = 0, cycles = 0, errors = 0, total = 0;\n\n";
  s += "  // Output words of tile t that differ from the golden results (rows 0 .. rows-1).\n";
  s += "  function integer check_tile(input integer t, input integer rows);\n";
  s += "    integer row, bad;\n    begin\n      bad = 0;\n";
  s += "      for (row = 0; row < OD; row = row + 1) begin\n";
  s += "        if (row < rows && o_mem[row] !== exp_mem[t * OD + row]) begin\n";
  s += "          bad = bad + 1;\n";
  s += "          if (bad <= 4) $display(\"AXX_MISMATCH test=%0d row=%0d got=%h expected=%h\", t, row, o_mem[row], "
       "exp_mem[t * OD + row]);\n";
  s += "        end\n      end\n      check_tile = bad;\n    end\n  endfunction\n\n";
  s += "  // Memory ports: synchronous read (data the cycle after the enable), write at the clock.\n";
  s += "  always @(posedge clk) begin\n";
  s += fmt::format("    if (s_rd_en) s_rd_data <= a_mem[test * SD + {}];\n", zext32("s_rd_addr", sa));
  s += fmt::format("    if (w_rd_en) w_rd_data <= w_mem[test * WD + {}];\n", zext32("w_rd_addr", wa));
  s += "    if (o_wr_en) o_mem[o_wr_addr] <= o_wr_data;\n  end\n\n";
  s += "  always @(posedge clk) begin\n";
  s += "    tick <= tick + 1;\n    rst <= tick < 3;\n    start <= 1'b0;\n    if (busy) cycles <= cycles + 1;\n";
  if (comp) s += "    t_wr_en <= 1'b0;\n";
  s += "    case (phase)\n";
  s += "      0: if (tick == 5) phase <= 1;\n";
  if (comp) {
    // The tile's table first, one entry a cycle through the write port, then the tile.
    s += "      1: begin\n        t_wr_en <= 1'b1;\n        t_wr_addr <= tidx[7:0];\n"
         "        t_wr_data <= t_mem[test * 256 + tidx];\n        tidx <= tidx == 255 ? 0 : tidx + 1;\n"
         "        if (tidx == 255) phase <= 6;\n      end\n";
    s += "      6: begin\n        start <= 1'b1;\n";
  } else {
    s += "      1: begin\n        start <= 1'b1;\n";
  }
  if (modes) s += fmt::format("        mode <= info[test][{}:16];\n", 16 + mw - 1);
  s += fmt::format("        len <= info[test][{}:0];\n", lw - 1);
  s += "        cycles <= 0;\n        phase <= 2;\n      end\n";
  s += "      2: if (done) phase <= 3;\n";
  s += ws ? "      3: begin\n        errors <= check_tile(test, {16'd0, info[test][15:0]});\n        phase <= 4;\n     "
            " end\n"
          : fmt::format("      3: begin\n        errors <= check_tile(test, {});\n        phase <= 4;\n      end\n", r);
  s += "      4: begin\n        total <= total + errors;\n";
  s += "        $display(\"AXX_TILE test=%0d mode=%0d len=%0d cycles=%0d errors=%0d\", test, info[test][31:16], "
       "info[test][15:0], cycles, errors);\n";
  s += "        test <= test + 1;\n        phase <= test + 1 == TESTS ? 5 : 1;\n      end\n";
  s += "      5: begin\n        $display(\"AXX_RESULT tests=%0d errors=%0d\", TESTS, total);\n        $finish;\n      "
       "end\n";
  s += "      default: phase <= 5;\n    endcase\n  end\nendmodule\n";

  std::vector<GeneratedFile> files = {
      {"tb/axx_hw_tb.v", s}, {"tb/a.hex", a_hex}, {"tb/w.hex", w_hex}, {"tb/exp.hex", e_hex}, {"tb/info.hex", i_hex}};
  if (comp) files.push_back({"tb/t.hex", t_hex});
  return files;
}

}  // namespace axx::hwgen
