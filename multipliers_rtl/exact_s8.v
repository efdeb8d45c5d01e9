// exact_s8 — exact signed (two's complement) 8x8 multiplier, the baseline for signed designs.
// Operand a is the activation, b the weight; o = a * b with 16-bit two's-complement result.
module exact_s8 (
    input  wire signed [7:0]  a,
    input  wire signed [7:0]  b,
    output wire signed [15:0] o
);
  assign o = a * b;
endmodule
