// mitchell.v — Mitchell's logarithmic multiplier, unsigned and signed (sign-magnitude).
//
// Paper: J. N. Mitchell, "Computer Multiplication and Division Using Binary Logarithms",
//   IRE Transactions on Electronic Computers, EC-11(4), 1962.
// How it approximates: log2(2^k (1 + f)) is taken as k + f (leading-one position plus the bits
//   below it as a fraction); the two logarithms are added and decoded with the same
//   piecewise-linear antilogarithm, so a multiplier becomes a leading-one detector, shifters
//   and one adder. The error is never positive (down to about -11% of the product at W = 7).
// Knob: W 1..7, the fraction bits of each logarithm that are kept (W = 7: Mitchell's exact 8-bit
//   form). Fewer bits narrow the adder and shifters; the truncated result is rounded down.
// Ports: a = activation, b = weight, o = product. mitchell_s8 reads them as two's complement and
//   runs the unsigned datapath on |a| and |b| (exact absolute value), negating the product.

module mitchell_u8 #(
    parameter W = 7
) (
    input  [7:0]  a,
    input  [7:0]  b,
    output [15:0] o
);
  generate
    if (W < 1 || W > 7) begin : g_bad_w
      $error("mitchell: parameter W must be in [1, 7]");
    end
  endgenerate

  // Leading-one detector: characteristic of the logarithm.
  function [2:0] leading_one(input [7:0] v);
    integer i;
    begin
      leading_one = 3'd0;
      for (i = 0; i < 8; i = i + 1) if (v[i]) leading_one = i[2:0];
    end
  endfunction

  localparam [6:0] KEEP = ~((7'd1 << (7 - W)) - 7'd1);

  wire [2:0] ka = leading_one(a);
  wire [2:0] kb = leading_one(b);
  // Normalizing shift puts the leading one at bit 7; the 7 bits below are the fraction.
  /* verilator lint_off UNUSEDSIGNAL */  // bit 7 is the leading one itself
  wire [7:0] na = a << (3'd7 - ka);
  wire [7:0] nb = b << (3'd7 - kb);
  /* verilator lint_on UNUSEDSIGNAL */
  wire [6:0] fa = na[6:0] & KEEP;
  wire [6:0] fb = nb[6:0] & KEEP;

  // Add the logarithms: fraction sum (its carry is an integer bit) and characteristic sum.
  wire [7:0] fsum = {1'b0, fa} + {1'b0, fb};
  wire [4:0] ksum = {2'b00, ka} + {2'b00, kb} + {4'd0, fsum[7]};

  // Antilogarithm: 1.f when the fraction sum stayed below 1, else the fraction sum itself
  // (already 1.x) with the characteristic one higher; value = mant * 2^ksum / 128.
  wire [7:0] mant = fsum[7] ? fsum : {1'b1, fsum[6:0]};
  /* verilator lint_off UNUSEDSIGNAL */  // bits 6..0 are below the integer part: rounded down
  wire [22:0] scaled = {15'd0, mant} << ksum;
  /* verilator lint_on UNUSEDSIGNAL */

  assign o = (a == 8'd0 || b == 8'd0) ? 16'd0 : scaled[22:7];
endmodule

module mitchell_s8 #(
    parameter W = 7
) (
    input  [7:0]  a,
    input  [7:0]  b,
    output [15:0] o
);
  // |a| and |b| fit 8 unsigned bits (|-128| = 128).
  wire [7:0] mag_a = a[7] ? (~a + 8'd1) : a;
  wire [7:0] mag_b = b[7] ? (~b + 8'd1) : b;
  wire [15:0] mag_o;
  mitchell_u8 #(.W(W)) u_core (.a(mag_a), .b(mag_b), .o(mag_o));
  assign o = (a[7] ^ b[7]) ? (~mag_o + 16'd1) : mag_o;
endmodule
