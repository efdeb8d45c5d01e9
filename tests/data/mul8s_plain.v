// Test fixture: an exact signed multiplier whose ports are not declared signed (as in
// EvoApproxLib's mul8s_* netlists); its signedness comes from its name.
module mul8s_plain(input [7:0] A, input [7:0] B, output [15:0] O);
  assign O = $signed(A) * $signed(B);
endmodule
