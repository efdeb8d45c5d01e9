// transaxx — emitter of axx_hw_pe, the processing element.
//
// The PE holds one instance of every mode's multiplier, each the characterized multiplier's own
// Verilog (the record's top with its parameter overrides). Operand isolation (Correale, "Overview
// of the power minimization techniques employed in the IBM PowerPC 4xx embedded controllers",
// ISLPED 1995): a multiplier whose mode is not selected, or whose operand is not valid, sees
// constant zero inputs, so only the selected multiplier switches. Operand registers load only
// on valid data, so bubbles do not toggle them either.
#include <fmt/format.h>

#include "hwgen/emit.hpp"

namespace axx::hwgen {

namespace {

std::string extend(const DesignSpec& spec, const std::string& v16) {
  const int acc = spec.array.acc_bits;
  if (acc == 16) return v16;
  return spec.array.is_signed ? fmt::format("{{{{{}{{{}[15]}}}}, {}}}", acc - 16, v16, v16)
                              : fmt::format("{{{}'d0, {}}}", acc - 16, v16);
}

}  // namespace

std::string emit_pe(const DesignSpec& spec) {
  const bool ws = spec.array.dataflow == Dataflow::kWeightStationary;
  const int acc = spec.array.acc_bits;
  const size_t nm = spec.modes.size();
  const int mw = mode_bits(spec);
  std::string s =
      banner(spec, "axx_hw_pe", ws ? "processing element, weight-stationary" : "processing element, output-stationary");
  s += "module axx_hw_pe (\n";
  s += "    input  wire             clk,\n";
  s += "    input  wire             rst,       // synchronous, clears the valid bit\n";
  if (nm > 1) s += fmt::format("    input  wire [{}:0]       mode,      // which multiplier is active\n", mw - 1);
  if (ws) {
    s += "    input  wire             load,      // weight shift: w_q <= w_in\n";
  } else {
    s += "    input  wire             clear,     // acc_q <= 0 at the start of a tile\n";
    s += "    input  wire             drain,     // acc_q <= acc_in: sums shift down to the output\n";
  }
  s += "    input  wire [7:0]       w_in,\n";
  s += "    output wire [7:0]       w_out,\n";
  s += "    input  wire [7:0]       a_in,\n";
  s += "    input  wire             v_in,      // a_in (and, OS, w_in) is valid\n";
  s += "    output wire [7:0]       a_out,\n";
  s += "    output wire             v_out,\n";
  const std::string sum_in = ws ? "psum_in" : "acc_in", sum_out = ws ? "psum_out" : "acc_out";
  s += fmt::format("    input  wire [{}:0]      {},\n", acc - 1, sum_in);
  s += fmt::format("    output wire [{}:0]      {}\n", acc - 1, sum_out);
  s += ");\n";
  s += "  reg  [7:0] w_q;\n  reg  [7:0] a_q;\n  reg        v_q;\n";
  s += fmt::format("  reg  [{}:0] {};\n\n", acc - 1, ws ? "psum_q" : "acc_q");
  // Isolation: only the selected multiplier sees the operands, and only when they are valid.
  for (size_t i = 0; i < nm; ++i) {
    const MultiplierSpec& m = spec.modes[i];
    s += fmt::format("  // mode {}: {}\n", i, m.name);
    if (nm > 1) {
      s += fmt::format("  wire       en_{} = mode == {};\n", i, vlit(mw, static_cast<int64_t>(i)));
      s += fmt::format("  wire       act_{} = en_{} & v_in;\n", i, i);
    } else {
      s += fmt::format("  wire       act_{} = v_in;\n", i);
    }
    s += fmt::format("  wire [7:0] ma_{} = {{8{{act_{}}}}} & a_in;\n", i, i);
    if (ws) {
      s += nm > 1 ? fmt::format("  wire [7:0] mb_{} = {{8{{en_{}}}}} & w_q;\n", i, i)
                  : fmt::format("  wire [7:0] mb_{} = w_q;\n", i);
    } else {
      s += fmt::format("  wire [7:0] mb_{} = {{8{{act_{}}}}} & w_in;\n", i, i);
    }
    s += fmt::format("  wire [15:0] p_{};\n", i);
    std::string params;
    for (const auto& [k, v] : m.params) params += (params.empty() ? "" : ", ") + fmt::format(".{}({})", k, v);
    s += fmt::format("  {} {}u_mul_{} (.{}(ma_{}), .{}(mb_{}), .{}(p_{}));\n\n", m.top,
                     params.empty() ? "" : "#(" + params + ") ", i, m.port_a, i, m.port_b, i, m.port_o, i);
  }
  if (nm > 1) {
    s += "  wire [15:0] prod =";
    for (size_t i = 0; i < nm; ++i) s += fmt::format("{} ({{16{{en_{}}}}} & p_{})", i ? " |" : "", i, i);
    s += ";\n";
  } else {
    s += "  wire [15:0] prod = p_0;\n";
  }
  s += fmt::format("  wire [{}:0] prod_x = {};  // {}\n\n", acc - 1, extend(spec, "prod"),
                   spec.array.is_signed ? "sign-extended" : "zero-extended");
  s += "  always @(posedge clk) begin\n";
  if (ws) {
    s += "    if (load) w_q <= w_in;\n";
    s += "    if (v_in) a_q <= a_in;\n";
    s += fmt::format("    psum_q <= psum_in + (v_in ? prod_x : {}'d0);\n", acc);
  } else {
    s += "    if (v_in) begin\n      a_q <= a_in;\n      w_q <= w_in;\n    end\n";
    s += fmt::format("    if (clear) acc_q <= {}'d0;\n", acc);
    s += "    else if (drain) acc_q <= acc_in;\n";
    s += "    else if (v_in) acc_q <= acc_q + prod_x;\n";
  }
  s += "  end\n\n";
  s += "  always @(posedge clk) begin\n    if (rst) v_q <= 1'b0;\n    else v_q <= v_in;\n  end\n\n";
  s += "  assign w_out = w_q;\n  assign a_out = a_q;\n  assign v_out = v_q;\n";
  s += fmt::format("  assign {} = {};\n", sum_out, ws ? "psum_q" : "acc_q");
  s += "endmodule\n";
  return s;
}

}  // namespace axx::hwgen
