// bam.v — broken-array multiplier (BAM), unsigned and signed (Baugh-Wooley array).
//
// Paper: H. R. Mahdiani, A. Ahmadi, S. M. Fakhraie, C. Lucas, "Bio-Inspired Imprecise
//   Computational Blocks for Efficient VLSI Implementation of Soft-Computing Applications",
//   IEEE Transactions on Circuits and Systems I: Regular Papers, 57(4), 2010.
// How it approximates: the carry-save array multiplier is "broken": every cell of the
//   partial-product columns below VBL and of the rows (weight bits) below HBL is removed; the
//   partial products that remain are summed exactly, so the error is never positive.
// Knobs: VBL 0..15 (columns), HBL 0..7 (rows); VBL = HBL = 0 is the exact array. Each removed
//   column/row saves its AND gates and adder cells; the error grows about 2x per column.
// Ports: a = activation, b = weight, o = product; bam_s8 reads all three as two's complement
//   (modified Baugh-Wooley: sign-bit partial products complemented, 2^15 + 2^8 added).

module bam_u8 #(
    parameter VBL = 0,
    parameter HBL = 0
) (
    input  [7:0]  a,
    input  [7:0]  b,
    output [15:0] o
);
  bam_array #(.SIGNED(0), .VBL(VBL), .HBL(HBL)) u_array (.a(a), .b(b), .o(o));
endmodule

module bam_s8 #(
    parameter VBL = 0,
    parameter HBL = 0
) (
    input  [7:0]  a,
    input  [7:0]  b,
    output [15:0] o
);
  bam_array #(.SIGNED(1), .VBL(VBL), .HBL(HBL)) u_array (.a(a), .b(b), .o(o));
endmodule

module bam_array #(
    parameter SIGNED = 0,
    parameter VBL = 0,
    parameter HBL = 0
) (
    /* verilator lint_off UNUSEDSIGNAL */  // broken cells leave operand bits unread
    input  [7:0]  a,
    input  [7:0]  b,
    /* verilator lint_on UNUSEDSIGNAL */
    output [15:0] o
);
  generate
    if (VBL < 0 || VBL > 15) begin : g_bad_vbl
      $error("bam: parameter VBL must be in [0, 15]");
    end
    if (HBL < 0 || HBL > 7) begin : g_bad_hbl
      $error("bam: parameter HBL must be in [0, 7]");
    end
  endgenerate

  // rows[16*j + c]: the cell of row j (weight bit b[j]) in column c; broken cells are absent.
  wire [127:0] rows;
  genvar j, c;
  generate
    for (j = 0; j < 8; j = j + 1) begin : g_row
      for (c = 0; c < 16; c = c + 1) begin : g_col
        if (c >= j && c < j + 8 && c >= VBL && j >= HBL) begin : g_cell
          if (SIGNED != 0 && ((c - j == 7) != (j == 7))) begin : g_nand
            assign rows[16*j+c] = ~(a[c-j] & b[j]);
          end else begin : g_and
            assign rows[16*j+c] = a[c-j] & b[j];
          end
        end else begin : g_absent
          assign rows[16*j+c] = 1'b0;
        end
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

  // The Baugh-Wooley constant 2^15 + 2^8 turns the complemented sign cells into a
  // two's-complement sum.
  assign o = add_rows(rows) + (SIGNED != 0 ? 16'h8100 : 16'h0000);
endmodule
