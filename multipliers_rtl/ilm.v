// ilm.v — iterative logarithmic multiplier (ILM), unsigned and signed (sign-magnitude).
//
// Paper: Z. Babic, A. Avramovic, P. Bulic, "An Iterative Logarithmic Multiplier",
//   Microprocessors and Microsystems, 35(1), 2011.
// How it approximates: with x = 2^k1 + r1 and y = 2^k2 + r2, a basic block computes
//   x * 2^k2 + r2 * 2^k1 (= x y - r1 r2) from two leading-one detectors, two shifters and an
//   adder; each further block does the same for the residues r1, r2 and its result is added.
//   The error is never positive; a block whose input has a zero residue makes the product exact.
// Knob: ITER 1..8, the number of basic blocks (1: one-stage ILM; 8 is always exact on 8 bits).
//   Each block costs about one leading-one detector pair, two shifters and one adder.
// Ports: a = activation, b = weight, o = product. ilm_s8 reads them as two's complement and runs
//   the unsigned datapath on |a| and |b| (exact absolute value), negating the product.

module ilm_u8 #(
    parameter ITER = 2
) (
    input  [7:0]  a,
    input  [7:0]  b,
    output [15:0] o
);
  generate
    if (ITER < 1 || ITER > 8) begin : g_bad_iter
      $error("ilm: parameter ITER must be in [1, 8]");
    end
  endgenerate

  genvar n;
  generate
    for (n = 0; n < ITER; n = n + 1) begin : g_stage
      wire [7:0] x, y;
      /* verilator lint_off UNUSEDSIGNAL */  // the last block's residues are dropped: its error
      wire [7:0] rx, ry;
      /* verilator lint_on UNUSEDSIGNAL */
      wire [15:0] p, acc;
      if (n == 0) begin : g_first
        assign x = a;
        assign y = b;
        assign acc = p;
      end else begin : g_next
        assign x = g_stage[n-1].rx;
        assign y = g_stage[n-1].ry;
        assign acc = g_stage[n-1].acc + p;
      end
      ilm_block u_block (.x(x), .y(y), .p(p), .rx(rx), .ry(ry));
    end
  endgenerate

  assign o = g_stage[ITER-1].acc;
endmodule

// Basic block: p = x * 2^k2 + ry * 2^k1 (0 when x or y is 0); rx, ry: residues for the next one.
module ilm_block (
    input  [7:0]  x,
    input  [7:0]  y,
    output [15:0] p,
    output [7:0]  rx,
    output [7:0]  ry
);
  function [2:0] leading_one(input [7:0] v);
    integer i;
    begin
      leading_one = 3'd0;
      for (i = 0; i < 8; i = i + 1) if (v[i]) leading_one = i[2:0];
    end
  endfunction

  wire [2:0] k1 = leading_one(x);
  wire [2:0] k2 = leading_one(y);
  assign rx = x & ~(8'd1 << k1);
  assign ry = y & ~(8'd1 << k2);
  wire [15:0] sum = ({8'd0, x} << k2) + ({8'd0, ry} << k1);
  assign p = (x == 8'd0 || y == 8'd0) ? 16'd0 : sum;
endmodule

module ilm_s8 #(
    parameter ITER = 2
) (
    input  [7:0]  a,
    input  [7:0]  b,
    output [15:0] o
);
  // |a| and |b| fit 8 unsigned bits (|-128| = 128).
  wire [7:0] mag_a = a[7] ? (~a + 8'd1) : a;
  wire [7:0] mag_b = b[7] ? (~b + 8'd1) : b;
  wire [15:0] mag_o;
  ilm_u8 #(.ITER(ITER)) u_core (.a(mag_a), .b(mag_b), .o(mag_o));
  assign o = (a[7] ^ b[7]) ? (~mag_o + 16'd1) : mag_o;
endmodule
