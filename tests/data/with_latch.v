module with_latch(input [7:0] a, input [7:0] b, output reg [15:0] o);
  always @* if (b[7]) o = a * b;
endmodule
