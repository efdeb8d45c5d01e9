// etm.v — error-tolerant multiplier (ETM), unsigned.
//
// Paper: K. Y. Kyaw, W. L. Goh, K. S. Yeo, "Low-Power High-Speed Multiplier for Error-Tolerant
//   Application", IEEE International Conference of Electron Devices and Solid-State Circuits
//   (EDSSC), 2010.
// How it approximates: each operand is split into an MSB part and an L-bit LSB part. The MSB
//   parts are multiplied exactly; the LSB parts go to a "non-multiplication part" that, scanning
//   from their top bit down, sets the product bit of the first position where either operand
//   has a 1 and every bit below it. When both MSB parts are zero the exact multiplier takes the
//   LSB parts instead, so small operands are exact.
// Knob: L 1..4 (bits); L = 4 is the paper's half split. A larger L shrinks the exact multiplier
//   ((8-L) x (8-L) bits) and grows the error. No signed variant (the paper is unsigned).
// Ports: a = activation, b = weight, o = product, all unsigned.

module etm_u8 #(
    parameter L = 4
) (
    input  [7:0]  a,
    input  [7:0]  b,
    output [15:0] o
);
  generate
    if (L < 1 || L > 4) begin : g_bad_l
      $error("etm: parameter L must be in [1, 4]");
    end
  endgenerate

  localparam H = 8 - L;  // width of the multiplication part; H >= L, so the LSB parts fit it
  localparam [7:0] LOW = (8'd1 << L) - 8'd1;

  // Control: the MSB parts are both zero -> multiply the LSB parts exactly.
  wire msb_zero = ((a | b) & ~LOW) == 8'd0;

  // Multiplication part: one exact H x H multiplier. Both mux inputs are below 2^H.
  /* verilator lint_off UNUSEDSIGNAL */  // bits H..7 are zero by construction
  wire [7:0] ma_full = msb_zero ? (a & LOW) : (a >> L);
  wire [7:0] mb_full = msb_zero ? (b & LOW) : (b >> L);
  /* verilator lint_on UNUSEDSIGNAL */
  wire [H-1:0] ma = ma_full[H-1:0];
  wire [H-1:0] mb = mb_full[H-1:0];
  wire [15:0] mult = {{(16 - H) {1'b0}}, ma} * {{(16 - H) {1'b0}}, mb};

  // Non-multiplication part: 2L product bits. Bit L+t is 1 when a[t..L-1] or b[t..L-1] holds a
  // 1 (an OR chain from the top LSB position down); bits L-1..0 copy bit L.
  wire [7:0] lsb_or = (a | b) & LOW;
  wire [15:0] nmp;
  genvar k;
  generate
    for (k = 0; k < 16; k = k + 1) begin : g_nmp
      if (k >= 2 * L) begin : g_zero
        assign nmp[k] = 1'b0;
      end else if (k >= L) begin : g_chain
        assign nmp[k] = |(lsb_or >> (k - L));
      end else begin : g_fill
        assign nmp[k] = |lsb_or;
      end
    end
  endgenerate

  assign o = msb_zero ? mult : ((mult << (2 * L)) | nmp);
endmodule
