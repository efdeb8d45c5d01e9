// ssm.v — static segment multiplier (SSM), unsigned and signed (sign-magnitude).
//
// Paper: S. Narayanamoorthy, H. A. Moghaddam, Z. Liu, T. Park, N. S. Kim, "Energy-Efficient
//   Approximate Multiplication for Digital Signal Processing and Classification Applications",
//   IEEE Transactions on VLSI Systems, 23(6), 2015.
// How it approximates: from each 8-bit operand an M-bit segment is taken at one of two static
//   positions: the low M bits when the top 8-M bits are all zero, else the top M bits. An
//   M x M multiplier multiplies the segments and a small shifter (0, 8-M or 2(8-M) places)
//   restores the weight; no leading-one detector is needed. The error is never positive.
// Knob: M 4..8, the segment width (bits); M = 8 is exact. The multiplier shrinks quadratically
//   with M.
// Ports: a = activation, b = weight, o = product. ssm_s8 reads them as two's complement and runs
//   the unsigned datapath on |a| and |b| (exact absolute value), negating the product.

module ssm_u8 #(
    parameter M = 6
) (
    input  [7:0]  a,
    input  [7:0]  b,
    output [15:0] o
);
  generate
    if (M < 4 || M > 8) begin : g_bad_m
      $error("ssm: parameter M must be in [4, 8]");
    end
  endgenerate

  localparam S = 8 - M;  // distance between the two segment positions
  // High segment when any of the top 8-M bits is set.
  wire high_a = (a >> M) != 8'd0;
  wire high_b = (b >> M) != 8'd0;
  wire [M-1:0] seg_a = high_a ? a[7:S] : a[M-1:0];
  wire [M-1:0] seg_b = high_b ? b[7:S] : b[M-1:0];

  wire [15:0] prod = {{(16 - M) {1'b0}}, seg_a} * {{(16 - M) {1'b0}}, seg_b};
  reg  [15:0] shifted;
  always @* begin
    case ({high_a, high_b})
      2'b00:   shifted = prod;
      2'b11:   shifted = prod << (2 * S);
      default: shifted = prod << S;
    endcase
  end
  assign o = shifted;
endmodule

module ssm_s8 #(
    parameter M = 6
) (
    input  [7:0]  a,
    input  [7:0]  b,
    output [15:0] o
);
  // |a| and |b| fit 8 unsigned bits (|-128| = 128).
  wire [7:0] mag_a = a[7] ? (~a + 8'd1) : a;
  wire [7:0] mag_b = b[7] ? (~b + 8'd1) : b;
  wire [15:0] mag_o;
  ssm_u8 #(.M(M)) u_core (.a(mag_a), .b(mag_b), .o(mag_o));
  assign o = (a[7] ^ b[7]) ? (~mag_o + 16'd1) : mag_o;
endmodule
