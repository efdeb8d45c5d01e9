// cmp42.v — multiplier with approximate 4:2 compressors, unsigned and signed (Baugh-Wooley).
//
// Paper: D. Ha, S. Lee, "Multipliers With Approximate 4-2 Compressors and Error Recovery
//   Modules", IEEE Embedded Systems Letters, 10(1), 2018 (the approximate compressor; the
//   error-recovery module of the paper is not used).
// How it approximates: the 4:2 compressor drops its carry-in and carry-out and computes
//   carry = x1 x2 + x3 x4, sum = (x1 ^ x2) + (x3 ^ x4), which is wrong only for one 1 in each
//   pair (1 instead of 2) and for four 1s (2 instead of 4). In the first reduction stage each
//   column below C compresses its partial products four at a time (in row order, leftovers
//   pass through); everything else, and all later stages, are exact.
// Knob: C 0..12, the number of approximate low-order columns (C <= 3 is exact: those columns
//   hold fewer than four bits; from C = 12 on nothing changes). Each approximate compressor
//   replaces two full adders with two AND-OR gates; the error is never positive.
// Ports: a = activation, b = weight, o = product; cmp42_s8 reads all three as two's complement
//   (modified Baugh-Wooley partial products, 2^15 + 2^8 added).

module cmp42_u8 #(
    parameter C = 8
) (
    input  [7:0]  a,
    input  [7:0]  b,
    output [15:0] o
);
  cmp42_array #(.SIGNED(0), .C(C)) u_array (.a(a), .b(b), .o(o));
endmodule

module cmp42_s8 #(
    parameter C = 8
) (
    input  [7:0]  a,
    input  [7:0]  b,
    output [15:0] o
);
  cmp42_array #(.SIGNED(1), .C(C)) u_array (.a(a), .b(b), .o(o));
endmodule

// The approximate 4:2 compressor: value 2 carry + sum.
module cmp42_compressor (
    input  x1,
    input  x2,
    input  x3,
    input  x4,
    output sum,
    output carry
);
  assign carry = (x1 & x2) | (x3 & x4);
  assign sum   = (x1 ^ x2) | (x3 ^ x4);
endmodule

module cmp42_array #(
    parameter SIGNED = 0,
    parameter C = 8
) (
    input  [7:0]  a,
    input  [7:0]  b,
    output [15:0] o
);
  generate
    if (C < 0 || C > 12) begin : g_bad_c
      $error("cmp42: parameter C must be in [0, 12]");
    end
  endgenerate

  // pp[16*j + c]: partial product of row j (weight bit b[j]) in column c.
  wire [127:0] pp;
  genvar j, c, g;
  generate
    for (j = 0; j < 8; j = j + 1) begin : g_pp_row
      for (c = 0; c < 16; c = c + 1) begin : g_pp_col
        if (c >= j && c < j + 8) begin : g_bit
          if (SIGNED != 0 && ((c - j == 7) != (j == 7))) begin : g_nand
            assign pp[16*j+c] = ~(a[c-j] & b[j]);
          end else begin : g_and
            assign pp[16*j+c] = a[c-j] & b[j];
          end
        end else begin : g_empty
          assign pp[16*j+c] = 1'b0;
        end
      end
    end
  endgenerate

  // First reduction stage. Column c holds rows JLO..JHI; with c < C its first 4 * GROUPS bits
  // (rows JLO .. JLO + 4 GROUPS - 1) feed compressors; the other bits stay in `exact_pp`.
  wire [127:0] exact_pp;
  wire [15:0] sum0, sum1, carry0, carry1;  // compressor outputs of group 0 / 1 of each column
  assign carry0[0] = 1'b0;
  assign carry1[0] = 1'b0;
  assign sum0[15] = 1'b0;
  assign sum1[15] = 1'b0;
  generate
    for (c = 0; c < 15; c = c + 1) begin : g_col
      localparam integer JLO = (c > 7) ? c - 7 : 0;
      localparam integer JHI = (c < 7) ? c : 7;
      localparam integer GROUPS = (c < C) ? (JHI - JLO + 1) / 4 : 0;
      for (j = 0; j < 8; j = j + 1) begin : g_pass
        if (j >= JLO && j < JLO + 4 * GROUPS) begin : g_taken
          assign exact_pp[16*j+c] = 1'b0;
        end else begin : g_kept
          assign exact_pp[16*j+c] = pp[16*j+c];
        end
      end
      for (g = 0; g < 2; g = g + 1) begin : g_group
        wire s, cy;
        if (g < GROUPS) begin : g_cmp
          cmp42_compressor u_cmp (
              .x1(pp[16*(JLO+4*g)+c]),
              .x2(pp[16*(JLO+4*g+1)+c]),
              .x3(pp[16*(JLO+4*g+2)+c]),
              .x4(pp[16*(JLO+4*g+3)+c]),
              .sum(s),
              .carry(cy)
          );
        end else begin : g_none
          assign s  = 1'b0;
          assign cy = 1'b0;
        end
      end
      assign sum0[c] = g_group[0].s;
      assign sum1[c] = g_group[1].s;
      assign carry0[c+1] = g_group[0].cy;
      assign carry1[c+1] = g_group[1].cy;
    end
    for (j = 0; j < 8; j = j + 1) begin : g_col15
      assign exact_pp[16*j+15] = pp[16*j+15];
    end
  endgenerate

  // Remaining reduction: exact.
  function [15:0] add_rows(input [127:0] r);
    integer k;
    begin
      add_rows = 16'd0;
      for (k = 0; k < 8; k = k + 1) add_rows = add_rows + r[16*k+:16];
    end
  endfunction

  assign o = add_rows(exact_pp) + sum0 + sum1 + carry0 + carry1 +
             (SIGNED != 0 ? 16'h8100 : 16'h0000);
endmodule
