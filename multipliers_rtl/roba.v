// roba.v — rounding-based approximate multiplier (RoBA), unsigned and signed (sign-magnitude).
//
// Paper: R. Zendegani, M. Kamal, M. Bahadori, A. Afzali-Kusha, M. Pedram, "RoBA Multiplier: A
//   Rounding-Based Approximate Multiplier for High-Speed yet Energy-Efficient Digital Signal
//   Processing", IEEE Transactions on VLSI Systems, 25(2), 2017.
// How it approximates: each operand is rounded to its nearest power of two (ar, br; the ties
//   3 * 2^(p-2) go up to 2^p), and a * b is replaced by ar * b + br * a - ar * br, which drops
//   the term (a - ar)(b - br); the three products are shifts, so the multiplier becomes two
//   rounding units, three shifters and an add/subtract.
// Knobs: none (the paper's design point).
// Ports: a = activation, b = weight, o = product. roba_s8 reads them as two's complement and runs
//   the unsigned datapath on |a| and |b| (exact absolute value), negating the product.

module roba_u8 (
    input  [7:0]  a,
    input  [7:0]  b,
    output [15:0] o
);
  // Exponent of the nearest power of two: leading-one position, plus one when the bit right
  // below the leading one is set (ties round up).
  function [3:0] round_exponent(input [7:0] v);
    integer i;
    reg [7:0] lead;
    begin
      lead = 8'd0;
      for (i = 0; i < 8; i = i + 1) if (v[i]) lead = 8'd1 << i;
      round_exponent = 4'd0;
      for (i = 0; i < 8; i = i + 1) if (lead[i]) round_exponent = i[3:0];
      if ((v & (lead >> 1)) != 8'd0) round_exponent = round_exponent + 4'd1;
    end
  endfunction

  wire [3:0] ea = round_exponent(a);
  wire [3:0] eb = round_exponent(b);
  // ar * b + br * a - ar * br: b << ea and a << eb are below 2^16, ar * br at most 2^16.
  wire [17:0] ar_b = {10'd0, b} << ea;
  wire [17:0] br_a = {10'd0, a} << eb;
  wire [17:0] ar_br = 18'd1 << ({1'b0, ea} + {1'b0, eb});
  /* verilator lint_off UNUSEDSIGNAL */  // the result fits 16 bits; 18 hold the intermediate sum
  wire [17:0] approx = ar_b + br_a - ar_br;
  /* verilator lint_on UNUSEDSIGNAL */

  assign o = (a == 8'd0 || b == 8'd0) ? 16'd0 : approx[15:0];
endmodule

module roba_s8 (
    input  [7:0]  a,
    input  [7:0]  b,
    output [15:0] o
);
  // |a| and |b| fit 8 unsigned bits (|-128| = 128).
  wire [7:0] mag_a = a[7] ? (~a + 8'd1) : a;
  wire [7:0] mag_b = b[7] ? (~b + 8'd1) : b;
  wire [15:0] mag_o;
  roba_u8 u_core (.a(mag_a), .b(mag_b), .o(mag_o));
  assign o = (a[7] ^ b[7]) ? (~mag_o + 16'd1) : mag_o;
endmodule
