// Test fixture: RTL whose simulation differs from its synthesis on purpose (a simulation-only
// branch): Verilator simulates a*b + 1, Yosys (which defines SYNTHESIS) synthesizes and
// evaluates a*b. characterize must refuse it and name the RTL simulation as the wrong side.
module sim_only(input [7:0] a, input [7:0] b, output [15:0] o);
`ifdef SYNTHESIS
  assign o = a * b;
`else
  assign o = a * b + 16'd1;
`endif
endmodule
