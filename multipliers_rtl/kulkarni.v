// kulkarni.v — underdesigned multiplier built from Kulkarni's approximate 2x2 block, unsigned.
//
// Paper: P. Kulkarni, P. Gupta, M. Ercegovac, "Trading Accuracy for Power with an Underdesigned
//   Multiplier Architecture", 24th International Conference on VLSI Design, 2011.
// How it approximates: the 2x2 building block outputs 3 bits, exact except 3 x 3 = 7 (111)
//   instead of 9; larger multipliers add the 2x2 sub-products with exact adders. Here the 8x8
//   product is the sum of 16 blocks a[2p+1:2p] x b[2q+1:2q] at weight 4^(p+q), and the blocks
//   with p + q < D are the approximate one (the others exact).
// Knob: D 0..7; D = 0 is exact, D = 7 makes all 16 blocks approximate (the paper's design).
//   Each approximate block drops its fourth output bit and simplifies its logic; the error is
//   never positive and only appears when both 2-bit digits are 3.
// Ports: a = activation, b = weight, o = product, all unsigned.

module kulkarni_u8 #(
    parameter D = 7
) (
    input  [7:0]  a,
    input  [7:0]  b,
    output [15:0] o
);
  generate
    if (D < 0 || D > 7) begin : g_bad_d
      $error("kulkarni: parameter D must be in [0, 7]");
    end
  endgenerate

  // blocks[16*(4p+q) +: 16]: sub-product of digits p (of a) and q (of b), already shifted.
  wire [255:0] blocks;
  genvar p, q;
  generate
    for (p = 0; p < 4; p = p + 1) begin : g_p
      for (q = 0; q < 4; q = q + 1) begin : g_q
        wire [3:0] m;
        if (p + q < D) begin : g_approx
          kulkarni_block_approx u_blk (.x(a[2*p+:2]), .y(b[2*q+:2]), .m(m));
        end else begin : g_exact
          kulkarni_block_exact u_blk (.x(a[2*p+:2]), .y(b[2*q+:2]), .m(m));
        end
        assign blocks[16*(4*p+q)+:16] = {12'd0, m} << (2 * (p + q));
      end
    end
  endgenerate

  function [15:0] add_blocks(input [255:0] v);
    integer n;
    begin
      add_blocks = 16'd0;
      for (n = 0; n < 16; n = n + 1) add_blocks = add_blocks + v[16*n+:16];
    end
  endfunction

  assign o = add_blocks(blocks);
endmodule

// The underdesigned 2x2 block: m[3] is always 0, 3 x 3 gives 0111.
module kulkarni_block_approx (
    input  [1:0] x,
    input  [1:0] y,
    output [3:0] m
);
  assign m[0] = x[0] & y[0];
  assign m[1] = (x[1] & y[0]) | (x[0] & y[1]);
  assign m[2] = x[1] & y[1];
  assign m[3] = 1'b0;
endmodule

// The exact 2x2 block.
module kulkarni_block_exact (
    input  [1:0] x,
    input  [1:0] y,
    output [3:0] m
);
  assign m[0] = x[0] & y[0];
  assign m[1] = (x[1] & y[0]) ^ (x[0] & y[1]);
  assign m[2] = (x[1] & y[1]) & ~(x[0] & y[0]);
  assign m[3] = x[1] & y[1] & x[0] & y[0];
endmodule
