// Regression fixture for issue 19 ("a valid netlist refused"): an exact unsigned 8x8 array
// multiplier written the way EvoApproxLib's gate-level mul8u_* netlists are: one flat top module,
// a wide sparse wire vector N (most bits unused), the inputs copied into it, and per-bit AND,
// half-adder and full-adder cell submodules (PDKGEN*) chained into ripple rows. Its table is
// exactly a*b.
//
// A user's netlist of this kind was refused with CHR-008 because Verilator 5.006's DFG
// optimizer mis-simulated its RTL (correct with -fno-dfg or -O0). That DFG bug did NOT reproduce
// here: Verilator 5.006 (Debian 5.006-3) with the harness options "--cc -Wno-fatal -Wno-lint
// -Wno-style -Wno-UNOPTFLAT -Wno-MULTITOP" and default optimization simulates this RTL (and
// variants: dense N, {carry, sum} = a + b cells, outputs driven by cells, inline sig_* XOR/AND
// expressions, a Baugh-Wooley signed version with constant cell inputs) correctly.
// The opposite did reproduce: with -fno-dfg, Verilator 5.006 mis-simulates the Yosys/ABC
// gate-level netlist of THIS design (gate_flat.v, alone or in the harness): every one of the
// 65,536 outputs is off (0x0540 at a=0 b=0), while default options and -O0 simulate it
// correctly and the RTL is right in all three. So no single Verilator setting is trusted:
// characterize reruns at -O0 and asks Yosys before deciding, and this file is accepted with the
// exact table (record "simulation": second_opinion true with 5.006).

module mul8u_evo_cells(A, B, O);
  input [7:0] A;
  input [7:0] B;
  output [15:0] O;
  wire [2031:0] N;
  assign N[0] = A[0];
  assign N[1] = A[0];
  assign N[2] = A[1];
  assign N[3] = A[1];
  assign N[4] = A[2];
  assign N[5] = A[2];
  assign N[6] = A[3];
  assign N[7] = A[3];
  assign N[8] = A[4];
  assign N[9] = A[4];
  assign N[10] = A[5];
  assign N[11] = A[5];
  assign N[12] = A[6];
  assign N[13] = A[6];
  assign N[14] = A[7];
  assign N[15] = A[7];
  assign N[16] = B[0];
  assign N[17] = B[0];
  assign N[18] = B[1];
  assign N[19] = B[1];
  assign N[20] = B[2];
  assign N[21] = B[2];
  assign N[22] = B[3];
  assign N[23] = B[3];
  assign N[24] = B[4];
  assign N[25] = B[4];
  assign N[26] = B[5];
  assign N[27] = B[5];
  assign N[28] = B[6];
  assign N[29] = B[6];
  assign N[30] = B[7];
  assign N[31] = B[7];
  PDKGENAND2X1 tmp00(.A(N[0]), .B(N[16]), .Y(N[34]));
  PDKGENAND2X1 tmp01(.A(N[2]), .B(N[16]), .Y(N[36]));
  PDKGENAND2X1 tmp02(.A(N[4]), .B(N[16]), .Y(N[38]));
  PDKGENAND2X1 tmp03(.A(N[6]), .B(N[16]), .Y(N[40]));
  PDKGENAND2X1 tmp04(.A(N[8]), .B(N[16]), .Y(N[42]));
  PDKGENAND2X1 tmp05(.A(N[10]), .B(N[16]), .Y(N[44]));
  PDKGENAND2X1 tmp06(.A(N[12]), .B(N[16]), .Y(N[46]));
  PDKGENAND2X1 tmp07(.A(N[14]), .B(N[16]), .Y(N[48]));
  PDKGENAND2X1 tmp08(.A(N[0]), .B(N[18]), .Y(N[50]));
  PDKGENAND2X1 tmp09(.A(N[2]), .B(N[18]), .Y(N[52]));
  PDKGENAND2X1 tmp10(.A(N[4]), .B(N[18]), .Y(N[54]));
  PDKGENAND2X1 tmp11(.A(N[6]), .B(N[18]), .Y(N[56]));
  PDKGENAND2X1 tmp12(.A(N[8]), .B(N[18]), .Y(N[58]));
  PDKGENAND2X1 tmp13(.A(N[10]), .B(N[18]), .Y(N[60]));
  PDKGENAND2X1 tmp14(.A(N[12]), .B(N[18]), .Y(N[62]));
  PDKGENAND2X1 tmp15(.A(N[14]), .B(N[18]), .Y(N[64]));
  PDKGENAND2X1 tmp16(.A(N[0]), .B(N[20]), .Y(N[66]));
  PDKGENAND2X1 tmp17(.A(N[2]), .B(N[20]), .Y(N[68]));
  PDKGENAND2X1 tmp18(.A(N[4]), .B(N[20]), .Y(N[70]));
  PDKGENAND2X1 tmp19(.A(N[6]), .B(N[20]), .Y(N[72]));
  PDKGENAND2X1 tmp20(.A(N[8]), .B(N[20]), .Y(N[74]));
  PDKGENAND2X1 tmp21(.A(N[10]), .B(N[20]), .Y(N[76]));
  PDKGENAND2X1 tmp22(.A(N[12]), .B(N[20]), .Y(N[78]));
  PDKGENAND2X1 tmp23(.A(N[14]), .B(N[20]), .Y(N[80]));
  PDKGENAND2X1 tmp24(.A(N[0]), .B(N[22]), .Y(N[82]));
  PDKGENAND2X1 tmp25(.A(N[2]), .B(N[22]), .Y(N[84]));
  PDKGENAND2X1 tmp26(.A(N[4]), .B(N[22]), .Y(N[86]));
  PDKGENAND2X1 tmp27(.A(N[6]), .B(N[22]), .Y(N[88]));
  PDKGENAND2X1 tmp28(.A(N[8]), .B(N[22]), .Y(N[90]));
  PDKGENAND2X1 tmp29(.A(N[10]), .B(N[22]), .Y(N[92]));
  PDKGENAND2X1 tmp30(.A(N[12]), .B(N[22]), .Y(N[94]));
  PDKGENAND2X1 tmp31(.A(N[14]), .B(N[22]), .Y(N[96]));
  PDKGENAND2X1 tmp32(.A(N[0]), .B(N[24]), .Y(N[98]));
  PDKGENAND2X1 tmp33(.A(N[2]), .B(N[24]), .Y(N[100]));
  PDKGENAND2X1 tmp34(.A(N[4]), .B(N[24]), .Y(N[102]));
  PDKGENAND2X1 tmp35(.A(N[6]), .B(N[24]), .Y(N[104]));
  PDKGENAND2X1 tmp36(.A(N[8]), .B(N[24]), .Y(N[106]));
  PDKGENAND2X1 tmp37(.A(N[10]), .B(N[24]), .Y(N[108]));
  PDKGENAND2X1 tmp38(.A(N[12]), .B(N[24]), .Y(N[110]));
  PDKGENAND2X1 tmp39(.A(N[14]), .B(N[24]), .Y(N[112]));
  PDKGENAND2X1 tmp40(.A(N[0]), .B(N[26]), .Y(N[114]));
  PDKGENAND2X1 tmp41(.A(N[2]), .B(N[26]), .Y(N[116]));
  PDKGENAND2X1 tmp42(.A(N[4]), .B(N[26]), .Y(N[118]));
  PDKGENAND2X1 tmp43(.A(N[6]), .B(N[26]), .Y(N[120]));
  PDKGENAND2X1 tmp44(.A(N[8]), .B(N[26]), .Y(N[122]));
  PDKGENAND2X1 tmp45(.A(N[10]), .B(N[26]), .Y(N[124]));
  PDKGENAND2X1 tmp46(.A(N[12]), .B(N[26]), .Y(N[126]));
  PDKGENAND2X1 tmp47(.A(N[14]), .B(N[26]), .Y(N[128]));
  PDKGENAND2X1 tmp48(.A(N[0]), .B(N[28]), .Y(N[130]));
  PDKGENAND2X1 tmp49(.A(N[2]), .B(N[28]), .Y(N[132]));
  PDKGENAND2X1 tmp50(.A(N[4]), .B(N[28]), .Y(N[134]));
  PDKGENAND2X1 tmp51(.A(N[6]), .B(N[28]), .Y(N[136]));
  PDKGENAND2X1 tmp52(.A(N[8]), .B(N[28]), .Y(N[138]));
  PDKGENAND2X1 tmp53(.A(N[10]), .B(N[28]), .Y(N[140]));
  PDKGENAND2X1 tmp54(.A(N[12]), .B(N[28]), .Y(N[142]));
  PDKGENAND2X1 tmp55(.A(N[14]), .B(N[28]), .Y(N[144]));
  PDKGENAND2X1 tmp56(.A(N[0]), .B(N[30]), .Y(N[146]));
  PDKGENAND2X1 tmp57(.A(N[2]), .B(N[30]), .Y(N[148]));
  PDKGENAND2X1 tmp58(.A(N[4]), .B(N[30]), .Y(N[150]));
  PDKGENAND2X1 tmp59(.A(N[6]), .B(N[30]), .Y(N[152]));
  PDKGENAND2X1 tmp60(.A(N[8]), .B(N[30]), .Y(N[154]));
  PDKGENAND2X1 tmp61(.A(N[10]), .B(N[30]), .Y(N[156]));
  PDKGENAND2X1 tmp62(.A(N[12]), .B(N[30]), .Y(N[158]));
  PDKGENAND2X1 tmp63(.A(N[14]), .B(N[30]), .Y(N[160]));
  PDKGENHAX1 tmp64(.A(N[50]), .B(N[36]), .YS(N[162]), .YC(N[164]));
  PDKGENFAX1 tmp65(.A(N[52]), .B(N[38]), .C(N[164]), .YS(N[166]), .YC(N[168]));
  PDKGENFAX1 tmp66(.A(N[54]), .B(N[40]), .C(N[168]), .YS(N[170]), .YC(N[172]));
  PDKGENFAX1 tmp67(.A(N[56]), .B(N[42]), .C(N[172]), .YS(N[174]), .YC(N[176]));
  PDKGENFAX1 tmp68(.A(N[58]), .B(N[44]), .C(N[176]), .YS(N[178]), .YC(N[180]));
  PDKGENFAX1 tmp69(.A(N[60]), .B(N[46]), .C(N[180]), .YS(N[182]), .YC(N[184]));
  PDKGENFAX1 tmp70(.A(N[62]), .B(N[48]), .C(N[184]), .YS(N[186]), .YC(N[188]));
  PDKGENHAX1 tmp71(.A(N[64]), .B(N[188]), .YS(N[190]), .YC(N[192]));
  PDKGENHAX1 tmp72(.A(N[66]), .B(N[166]), .YS(N[194]), .YC(N[196]));
  PDKGENFAX1 tmp73(.A(N[68]), .B(N[170]), .C(N[196]), .YS(N[198]), .YC(N[200]));
  PDKGENFAX1 tmp74(.A(N[70]), .B(N[174]), .C(N[200]), .YS(N[202]), .YC(N[204]));
  PDKGENFAX1 tmp75(.A(N[72]), .B(N[178]), .C(N[204]), .YS(N[206]), .YC(N[208]));
  PDKGENFAX1 tmp76(.A(N[74]), .B(N[182]), .C(N[208]), .YS(N[210]), .YC(N[212]));
  PDKGENFAX1 tmp77(.A(N[76]), .B(N[186]), .C(N[212]), .YS(N[214]), .YC(N[216]));
  PDKGENFAX1 tmp78(.A(N[78]), .B(N[190]), .C(N[216]), .YS(N[218]), .YC(N[220]));
  PDKGENFAX1 tmp79(.A(N[80]), .B(N[192]), .C(N[220]), .YS(N[222]), .YC(N[224]));
  PDKGENHAX1 tmp80(.A(N[82]), .B(N[198]), .YS(N[226]), .YC(N[228]));
  PDKGENFAX1 tmp81(.A(N[84]), .B(N[202]), .C(N[228]), .YS(N[230]), .YC(N[232]));
  PDKGENFAX1 tmp82(.A(N[86]), .B(N[206]), .C(N[232]), .YS(N[234]), .YC(N[236]));
  PDKGENFAX1 tmp83(.A(N[88]), .B(N[210]), .C(N[236]), .YS(N[238]), .YC(N[240]));
  PDKGENFAX1 tmp84(.A(N[90]), .B(N[214]), .C(N[240]), .YS(N[242]), .YC(N[244]));
  PDKGENFAX1 tmp85(.A(N[92]), .B(N[218]), .C(N[244]), .YS(N[246]), .YC(N[248]));
  PDKGENFAX1 tmp86(.A(N[94]), .B(N[222]), .C(N[248]), .YS(N[250]), .YC(N[252]));
  PDKGENFAX1 tmp87(.A(N[96]), .B(N[224]), .C(N[252]), .YS(N[254]), .YC(N[256]));
  PDKGENHAX1 tmp88(.A(N[98]), .B(N[230]), .YS(N[258]), .YC(N[260]));
  PDKGENFAX1 tmp89(.A(N[100]), .B(N[234]), .C(N[260]), .YS(N[262]), .YC(N[264]));
  PDKGENFAX1 tmp90(.A(N[102]), .B(N[238]), .C(N[264]), .YS(N[266]), .YC(N[268]));
  PDKGENFAX1 tmp91(.A(N[104]), .B(N[242]), .C(N[268]), .YS(N[270]), .YC(N[272]));
  PDKGENFAX1 tmp92(.A(N[106]), .B(N[246]), .C(N[272]), .YS(N[274]), .YC(N[276]));
  PDKGENFAX1 tmp93(.A(N[108]), .B(N[250]), .C(N[276]), .YS(N[278]), .YC(N[280]));
  PDKGENFAX1 tmp94(.A(N[110]), .B(N[254]), .C(N[280]), .YS(N[282]), .YC(N[284]));
  PDKGENFAX1 tmp95(.A(N[112]), .B(N[256]), .C(N[284]), .YS(N[286]), .YC(N[288]));
  PDKGENHAX1 tmp96(.A(N[114]), .B(N[262]), .YS(N[290]), .YC(N[292]));
  PDKGENFAX1 tmp97(.A(N[116]), .B(N[266]), .C(N[292]), .YS(N[294]), .YC(N[296]));
  PDKGENFAX1 tmp98(.A(N[118]), .B(N[270]), .C(N[296]), .YS(N[298]), .YC(N[300]));
  PDKGENFAX1 tmp99(.A(N[120]), .B(N[274]), .C(N[300]), .YS(N[302]), .YC(N[304]));
  PDKGENFAX1 tmp100(.A(N[122]), .B(N[278]), .C(N[304]), .YS(N[306]), .YC(N[308]));
  PDKGENFAX1 tmp101(.A(N[124]), .B(N[282]), .C(N[308]), .YS(N[310]), .YC(N[312]));
  PDKGENFAX1 tmp102(.A(N[126]), .B(N[286]), .C(N[312]), .YS(N[314]), .YC(N[316]));
  PDKGENFAX1 tmp103(.A(N[128]), .B(N[288]), .C(N[316]), .YS(N[318]), .YC(N[320]));
  PDKGENHAX1 tmp104(.A(N[130]), .B(N[294]), .YS(N[322]), .YC(N[324]));
  PDKGENFAX1 tmp105(.A(N[132]), .B(N[298]), .C(N[324]), .YS(N[326]), .YC(N[328]));
  PDKGENFAX1 tmp106(.A(N[134]), .B(N[302]), .C(N[328]), .YS(N[330]), .YC(N[332]));
  PDKGENFAX1 tmp107(.A(N[136]), .B(N[306]), .C(N[332]), .YS(N[334]), .YC(N[336]));
  PDKGENFAX1 tmp108(.A(N[138]), .B(N[310]), .C(N[336]), .YS(N[338]), .YC(N[340]));
  PDKGENFAX1 tmp109(.A(N[140]), .B(N[314]), .C(N[340]), .YS(N[342]), .YC(N[344]));
  PDKGENFAX1 tmp110(.A(N[142]), .B(N[318]), .C(N[344]), .YS(N[346]), .YC(N[348]));
  PDKGENFAX1 tmp111(.A(N[144]), .B(N[320]), .C(N[348]), .YS(N[350]), .YC(N[352]));
  PDKGENHAX1 tmp112(.A(N[146]), .B(N[326]), .YS(N[354]), .YC(N[356]));
  PDKGENFAX1 tmp113(.A(N[148]), .B(N[330]), .C(N[356]), .YS(N[358]), .YC(N[360]));
  PDKGENFAX1 tmp114(.A(N[150]), .B(N[334]), .C(N[360]), .YS(N[362]), .YC(N[364]));
  PDKGENFAX1 tmp115(.A(N[152]), .B(N[338]), .C(N[364]), .YS(N[366]), .YC(N[368]));
  PDKGENFAX1 tmp116(.A(N[154]), .B(N[342]), .C(N[368]), .YS(N[370]), .YC(N[372]));
  PDKGENFAX1 tmp117(.A(N[156]), .B(N[346]), .C(N[372]), .YS(N[374]), .YC(N[376]));
  PDKGENFAX1 tmp118(.A(N[158]), .B(N[350]), .C(N[376]), .YS(N[378]), .YC(N[380]));
  PDKGENFAX1 tmp119(.A(N[160]), .B(N[352]), .C(N[380]), .YS(N[382]), .YC(N[384]));
  assign O[0] = N[34];
  assign O[1] = N[162];
  assign O[2] = N[194];
  assign O[3] = N[226];
  assign O[4] = N[258];
  assign O[5] = N[290];
  assign O[6] = N[322];
  assign O[7] = N[354];
  assign O[8] = N[358];
  assign O[9] = N[362];
  assign O[10] = N[366];
  assign O[11] = N[370];
  assign O[12] = N[374];
  assign O[13] = N[378];
  assign O[14] = N[382];
  assign O[15] = N[384];
endmodule

module PDKGENAND2X1(input A, input B, output Y);
  assign Y = A & B;
endmodule

module PDKGENHAX1(input A, input B, output YS, output YC);
  assign YS = A ^ B;
  assign YC = A & B;
endmodule

module PDKGENFAX1(input A, input B, input C, output YS, output YC);
  assign YS = (A ^ B) ^ C;
  assign YC = (A & B) | (B & C) | (A & C);
endmodule
