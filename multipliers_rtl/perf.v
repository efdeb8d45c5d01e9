// perf.v — partial-product perforation, unsigned and signed (two's complement).
//
// Paper: G. Zervakis, K. Tsoumanis, S. Xydis, D. Soudris, K. Pekmestzi, "Design-Efficient
//   Approximate Multiplication Circuits Through Partial Product Perforation", IEEE Transactions
//   on VLSI Systems, 24(10), 2016.
// How it approximates: K consecutive partial products a * b_j * 2^j, j = J .. J+K-1, are never
//   generated ("perforated"); the accumulation tree only adds the 8-K others, exactly. For
//   signed operands the partial products are those of b = -b_7 2^7 + sum b_j 2^j (rows
//   sign-extended, the b_7 row subtracted).
// Knobs: J 0..7 (first perforated row), K 1..8 (rows), J + K <= 8. Each perforated row removes
//   8 AND gates and one adder row; the error scales with 2^J and is never positive for
//   unsigned operands.
// Ports: a = activation, b = weight, o = product; perf_s8 reads all three as two's complement.

module perf_u8 #(
    parameter J = 0,
    parameter K = 1
) (
    input  [7:0]  a,
    input  [7:0]  b,
    output [15:0] o
);
  perf_array #(.SIGNED(0), .J(J), .K(K)) u_array (.a(a), .b(b), .o(o));
endmodule

module perf_s8 #(
    parameter J = 0,
    parameter K = 1
) (
    input  [7:0]  a,
    input  [7:0]  b,
    output [15:0] o
);
  perf_array #(.SIGNED(1), .J(J), .K(K)) u_array (.a(a), .b(b), .o(o));
endmodule

module perf_array #(
    parameter SIGNED = 0,
    parameter J = 0,
    parameter K = 1
) (
    input  [7:0]  a,
    /* verilator lint_off UNUSEDSIGNAL */  // perforated rows leave weight bits unread
    input  [7:0]  b,
    /* verilator lint_on UNUSEDSIGNAL */
    output [15:0] o
);
  generate
    if (J < 0 || J > 7) begin : g_bad_j
      $error("perf: parameter J must be in [0, 7]");
    end
    if (K < 1 || K > 8) begin : g_bad_k
      $error("perf: parameter K must be in [1, 8]");
    end
    if (J + K > 8) begin : g_bad_jk
      $error("perf: parameters J + K must be at most 8");
    end
  endgenerate

  // The multiplicand as a 16-bit row: zero- or sign-extended.
  wire [15:0] a_ext = {{8{SIGNED != 0 ? a[7] : 1'b0}}, a};

  // rows[16*j +: 16]: partial product j (or 0 when perforated). A signed b_7 row is negated.
  wire [127:0] rows;
  genvar j;
  generate
    for (j = 0; j < 8; j = j + 1) begin : g_row
      if (j >= J && j < J + K) begin : g_perforated
        assign rows[16*j+:16] = 16'd0;
      end else if (SIGNED != 0 && j == 7) begin : g_sign_row
        assign rows[16*j+:16] = b[j] ? (~(a_ext << j) + 16'd1) : 16'd0;
      end else begin : g_row_kept
        assign rows[16*j+:16] = b[j] ? (a_ext << j) : 16'd0;
      end
    end
  endgenerate

  function [15:0] add_rows(input [127:0] r);
    integer k;
    begin
      add_rows = 16'd0;
      for (k = 0; k < 8; k = k + 1) add_rows = add_rows + r[16*k+:16];
    end
  endfunction

  assign o = add_rows(rows);
endmodule
