// Test fixture: exact unsigned 8x8 carry-save array multiplier built from half- and
// full-adder submodules, in the style of EvoApproxLib's gate-level netlists.
module ha(input x, input y, output s, output c);
  assign s = x ^ y;
  assign c = x & y;
endmodule

module fa(input x, input y, input z, output s, output c);
  assign s = x ^ y ^ z;
  assign c = (x & y) | (x & z) | (y & z);
endmodule

module ripple_u8(input [7:0] A, input [7:0] B, output [15:0] O);
  wire [7:0] pp [0:7];
  genvar i, j;
  generate
    for (i = 0; i < 8; i = i + 1) begin : g_pp
      for (j = 0; j < 8; j = j + 1) begin : g_bit
        assign pp[i][j] = A[j] & B[i];
      end
    end
  endgenerate
  // Row-by-row ripple accumulation: sum[i] holds bits i.. of the running sum.
  wire [8:0] row [0:7];
  assign row[0] = {1'b0, pp[0]};
  assign O[0] = pp[0][0];
  generate
    for (i = 1; i < 8; i = i + 1) begin : g_row
      wire [8:0] carry;
      assign carry[0] = 1'b0;
      for (j = 0; j < 8; j = j + 1) begin : g_add
        fa u_fa(.x(pp[i][j]), .y(row[i-1][j+1]), .z(carry[j]), .s(row[i][j]), .c(carry[j+1]));
      end
      assign row[i][8] = carry[8];
      assign O[i] = row[i][0];
    end
  endgenerate
  assign O[15:8] = row[7][8:1];
endmodule
