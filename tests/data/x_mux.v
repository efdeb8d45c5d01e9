// Test fixture: RTL that depends on x: for even b the output is 16'bx, which Verilator
// simulates as some value, synthesis may replace by a*b, and Yosys' evaluation leaves unknown.
// characterize must refuse it (no two of the three agree).
module x_mux(input [7:0] a, input [7:0] b, output [15:0] o);
  assign o = b[0] ? a * b : 16'bx;
endmodule
