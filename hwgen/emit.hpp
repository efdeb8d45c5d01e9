// transaxx — the emitters: one generated hardware block per function and per file.
//
//   emit_pe.cpp          axx_hw_pe       processing element: the mode's multipliers with operand
//                                        isolation, product select, accumulate, pipeline registers
//   emit_array.cpp       axx_hw_array    rows × cols PEs and their links
//   emit_skew.cpp        axx_hw_skew     input skew (lane i delayed i cycles), axx_hw_wskew (OS
//                                        weights), axx_hw_deskew (WS outputs, lane j delayed
//                                        cols−1−j)
//   emit_controller.cpp  axx_hw_ctrl     tile FSM driving the memory ports
//   emit_top.cpp         axx_hw_top      controller + skew + array + de-skew, the memory ports
//   emit_testbench.cpp   axx_hw_tb       self-checking testbench, stimuli and expected results
//   emit_header.cpp      axx_hw.h        C header with the parameters and modes
//   emit_comp.cpp        axx_hw_comp     compensation (only with ArrayParams::compensation): the
//                                        t table, per-column lookups and correction registers
//
// Every emitter is a pure function of the spec: same spec, same bytes (no timestamps, no
// absolute paths in the RTL).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hwgen/spec.hpp"

namespace axx::hwgen {

/// One generated file: its name (relative to the design folder) and text.
struct GeneratedFile {
  std::string path;
  std::string text;
};

std::string emit_pe(const DesignSpec& spec);
std::string emit_array(const DesignSpec& spec);
/// `module`: axx_hw_skew / axx_hw_wskew / axx_hw_deskew; lane i of `width` bits is delayed
/// delays[i] cycles; `with_valid` adds a 1-bit valid per lane, reset to 0.
std::string emit_delay_lines(const DesignSpec& spec, const std::string& module, const std::string& what, int width,
                             const std::vector<int>& delays, bool with_valid);
std::string emit_controller(const DesignSpec& spec);
std::string emit_top(const DesignSpec& spec);
std::string emit_header(const DesignSpec& spec);
std::string emit_comp(const DesignSpec& spec);

/// Random tiles for the testbench: `per_mode` tiles per mode, stream lengths in 1..stream_depth
/// (the first tile of each mode uses the full depth). With compensation every tile also gets a
/// table (drawn from another generator, so the operands are those of the design without it):
/// tile 0 of a mode the real table of its LUT under a peaked activation histogram, tile 1 the
/// extreme entries -65536 / 65535, the others uniform random 17-bit entries.
struct TileTest {
  int mode = 0;
  int len = 0;                    ///< WS: M rows of A; OS: K
  std::vector<uint8_t> a;         ///< WS: len × rows; OS: rows × len (row-major)
  std::vector<uint8_t> w;         ///< WS: rows × cols; OS: len × cols
  std::vector<int32_t> expected;  ///< golden LUT-GEMM, WS: len × cols; OS: rows × cols
  /// With compensation: the tile's 256-entry t table (written before the tile; `expected` is
  /// lut_gemm_compensated with it). Empty without compensation.
  std::vector<int32_t> table;
};
std::vector<TileTest> make_tile_tests(const DesignSpec& spec, int per_mode, uint64_t seed);

/// The testbench module and its $readmemh files (tb/axx_hw_tb.v, tb/*.hex).
std::vector<GeneratedFile> emit_testbench(const DesignSpec& spec, const std::vector<TileTest>& tests);

// Small helpers shared by the emitters.
int clog2(int64_t v);                        ///< ceil(log2 v), 0 for v <= 1
std::string vlit(int width, int64_t value);  ///< sized decimal literal, e.g. 5'd17
std::string banner(const DesignSpec& spec, const std::string& module, const std::string& what);
int stream_addr_bits(const DesignSpec& spec);  ///< address bits of the streamed memory, >= 1
int len_bits(const DesignSpec& spec);          ///< bits of the tile-length input (holds stream_depth)
int row_addr_bits(const DesignSpec& spec);     ///< address bits of a rows-deep memory, >= 1

}  // namespace axx::hwgen
