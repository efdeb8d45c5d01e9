// Test fixture: truncated unsigned 8x8 array multiplier. Partial-product bits a[i]&b[j] with
// i + j < K are dropped (no compensation). The test computes its metrics independently.
module trunc_u8 #(parameter K = 6) (input [7:0] a, input [7:0] b, output [15:0] o);
  reg [15:0] acc;
  integer i, j;
  always @* begin
    acc = 16'd0;
    for (i = 0; i < 8; i = i + 1)
      for (j = 0; j < 8; j = j + 1)
        if (i + j >= K) acc = acc + ((a[i] & b[j]) << (i + j));
  end
  assign o = acc;
endmodule
