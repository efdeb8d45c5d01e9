module const_out(input [7:0] a, input [7:0] b, output [15:0] o);
  assign o = (a & ~a) * b + 16'd3;
endmodule
