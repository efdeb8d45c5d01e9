// booth.v — broken-Booth multiplier (radix-4 modified Booth), signed (two's complement).
//
// Paper: F. Farshchi, M. S. Abrishami, S. M. Fakhraie, "New Approximate Multiplier for Low Power
//   Digital Signal Processing", 17th CSI International Symposium on Computer Architecture and
//   Digital Systems (CADS), 2013.
// How it approximates: the weight is recoded into four radix-4 Booth digits in {-2..2}; each
//   digit selects 0, a or 2a, inverted for a negative digit with a 1 (the negation bit) added
//   at the row's lowest column. The "broken" array removes every partial-product bit, negation
//   bits included, in the columns below VBL; the remaining bits are summed exactly.
// Knob: VBL 0..15 (columns); VBL = 0 is the exact Booth multiplier. Each removed column saves its
//   partial-product generators and adder cells; the error is never positive.
// Ports: a = activation, b = weight, o = product, all two's complement. (An unsigned variant is
//   not provided: an unsigned weight needs a fifth digit, and its broken rows would wrap small
//   products around below zero.)

module booth_s8 #(
    parameter VBL = 0
) (
    input  [7:0]  a,
    input  [7:0]  b,
    output [15:0] o
);
  generate
    if (VBL < 0 || VBL > 15) begin : g_bad_vbl
      $error("booth: parameter VBL must be in [0, 15]");
    end
  endgenerate

  localparam [15:0] KEEP = ~((16'd1 << VBL) - 16'd1);  // columns VBL..15
  wire [8:0] bx = {b, 1'b0};                            // b_(-1) = 0
  wire [15:0] a_ext = {{8{a[7]}}, a};

  wire [63:0] rows;      // rows[16*j +: 16]: broken partial product j, at its columns
  wire [63:0] neg_bits;  // the negation bit of row j at column 2j, if not broken off
  genvar j;
  generate
    for (j = 0; j < 4; j = j + 1) begin : g_digit
      // Booth encoder for bits b[2j+1], b[2j], b[2j-1].
      wire b_hi = bx[2*j+2];
      wire b_mid = bx[2*j+1];
      wire b_lo = bx[2*j];
      wire one = b_mid ^ b_lo;
      wire two = (b_hi & ~b_mid & ~b_lo) | (~b_hi & b_mid & b_lo);
      wire neg = b_hi & ~(b_mid & b_lo);
      // Partial-product generator: the selected multiple, one's complemented when negative.
      wire [15:0] multiple = one ? a_ext : (two ? (a_ext << 1) : 16'd0);
      wire [15:0] pp = (multiple ^ {16{neg}}) << (2 * j);
      assign rows[16*j+:16] = pp & KEEP;
      assign neg_bits[16*j+:16] = ({15'd0, neg} << (2 * j)) & KEEP;
    end
  endgenerate

  function [15:0] add4(input [63:0] v);
    integer k;
    begin
      add4 = 16'd0;
      for (k = 0; k < 4; k = k + 1) add4 = add4 + v[16*k+:16];
    end
  endfunction

  assign o = add4(rows) + add4(neg_bits);
endmodule
