// exact_u8 — exact unsigned 8x8 multiplier, the baseline every unsigned approximate
// multiplier is measured against. Operand a is the activation, b the weight; o = a * b.
module exact_u8 (
    input  wire [7:0]  a,
    input  wire [7:0]  b,
    output wire [15:0] o
);
  assign o = a * b;
endmodule
