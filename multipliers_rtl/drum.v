// drum.v — dynamic-range unbiased multiplier (DRUM), unsigned and signed (sign-magnitude).
//
// Paper: S. Hashemi, R. I. Bahar, S. Reda, "DRUM: A Dynamic Range Unbiased Multiplier for
//   Approximate Applications", IEEE/ACM International Conference on Computer-Aided Design
//   (ICCAD), 2015.
// How it approximates: a leading-one detector finds each operand's top bit; an operand of K or
//   more bits is cut to the K bits starting at its leading one, and the lowest kept bit is
//   forced to 1, which centres the truncation error on zero (unbiased). A K x K multiplier
//   multiplies the two segments and a barrel shifter restores the dropped weight.
// Knob: K 3..8, the segment width (bits); K = 8 never truncates (exact). The multiplier shrinks
//   quadratically with K; the relative error roughly halves per extra bit.
// Ports: a = activation, b = weight, o = product. drum_s8 reads them as two's complement and
//   runs the unsigned datapath on |a| and |b| (exact absolute value; the authors' signed
//   release uses one's complement instead), negating the product.

module drum_u8 #(
    parameter K = 6
) (
    input  [7:0]  a,
    input  [7:0]  b,
    output [15:0] o
);
  generate
    if (K < 3 || K > 8) begin : g_bad_k
      $error("drum: parameter K must be in [3, 8]");
    end
  endgenerate

  function [2:0] leading_one(input [7:0] v);
    integer i;
    begin
      leading_one = 3'd0;
      for (i = 0; i < 8; i = i + 1) if (v[i]) leading_one = i[2:0];
    end
  endfunction

  // An operand needs cutting when it has more than K significant bits: v >= 2^K.
  localparam [7:0] WIDE = (K >= 8) ? 8'd0 : ~((8'd1 << K) - 8'd1);
  wire cut_a = (a & WIDE) != 8'd0;
  wire cut_b = (b & WIDE) != 8'd0;
  // Shift = leading-one position - (K - 1) when cut.
  localparam integer KM1_INT = K - 1;
  localparam [2:0] KM1 = KM1_INT[2:0];
  wire [2:0] sa = cut_a ? leading_one(a) - KM1 : 3'd0;
  wire [2:0] sb = cut_b ? leading_one(b) - KM1 : 3'd0;
  /* verilator lint_off UNUSEDSIGNAL */  // only the K-1 bits above the unbiasing bit are kept
  wire [7:0] a_shifted = a >> sa;
  wire [7:0] b_shifted = b >> sb;
  /* verilator lint_on UNUSEDSIGNAL */
  // K-bit segments, the unbiasing 1 in the lowest bit of a cut operand.
  wire [K-1:0] ma = cut_a ? {a_shifted[K-1:1], 1'b1} : a[K-1:0];
  wire [K-1:0] mb = cut_b ? {b_shifted[K-1:1], 1'b1} : b[K-1:0];

  wire [15:0] prod = {{(16 - K) {1'b0}}, ma} * {{(16 - K) {1'b0}}, mb};
  assign o = prod << ({1'b0, sa} + {1'b0, sb});
endmodule

module drum_s8 #(
    parameter K = 6
) (
    input  [7:0]  a,
    input  [7:0]  b,
    output [15:0] o
);
  // |a| and |b| fit 8 unsigned bits (|-128| = 128).
  wire [7:0] mag_a = a[7] ? (~a + 8'd1) : a;
  wire [7:0] mag_b = b[7] ? (~b + 8'd1) : b;
  wire [15:0] mag_o;
  drum_u8 #(.K(K)) u_core (.a(mag_a), .b(mag_b), .o(mag_o));
  assign o = (a[7] ^ b[7]) ? (~mag_o + 16'd1) : mag_o;
endmodule
