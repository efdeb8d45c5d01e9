// Test fixture: the weight is declared first; --a/--b must put the activation on the rows.
// o = 2*w + x, not symmetric, so swapping operands changes the table.
module named_ports(input [7:0] w, input [7:0] x, output [15:0] y);
  assign y = {w, 1'b0} + x;
endmodule
