// transaxx — analytical cycle model of the generated array (SCALE-Sim style: Samajdar et al.,
// "A Systematic Methodology for Characterizing Scalability of DNN Accelerators using
// SCALE-Sim", ISPASS 2020), exact for this design's controller.
//
// One tile, from the cycle the controller leaves IDLE to the cycle it is back (busy cycles):
//   WS (R×C array, tile A[M×R]·W[R×C]):  (R + 1) weight load  +  (M + R + C) stream, fill and
//        drain  +  1 done           = M + 2R + C + 2
//   OS (tile A[R×K]·W[K×C]):  1 clear  +  (K + R + C − 1) stream and fill  +  R drain  +  1 done
//                                    = K + 2R + C + 1
// Back to back, each tile also spends the one IDLE cycle in which its start is sampled, so a
// layer costs tiles × (tile cycles + 1). A layer M×K×N is cut into ceil(K/R)·ceil(N/C) WS tiles,
// each streaming up to stream_depth rows of A (ceil(M/depth) chunks); OS tiles are
// ceil(M/R)·ceil(N/C) output blocks, each streaming K in chunks of up to stream_depth.
// Partial sums of K-tiles are added outside the array at the accumulator width.
#pragma once

#include <cstdint>
#include <vector>

#include "hwgen/spec.hpp"

namespace axx::hwgen {

/// Busy cycles of one tile streaming `len` words (WS: M rows of A; OS: K), len in 1..stream_depth.
int64_t tile_cycles(const ArrayParams& a, int64_t len);

struct LayerEstimate {
  int64_t tiles = 0;       ///< tiles run (all `count` GEMMs)
  int64_t cycles = 0;      ///< clock cycles, including each tile's start cycle
  int64_t macs = 0;        ///< useful multiply-accumulates M·K·N·count
  int64_t pe_busy = 0;     ///< PE-cycles doing a useful MAC (= macs)
  double utilization = 0;  ///< macs / (rows·cols·cycles)
  double time_us = 0;      ///< cycles at the array's clock
};

/// Estimate for one layer (mode does not change the cycle count).
LayerEstimate estimate_layer(const ArrayParams& a, const LayerShape& s);

/// With compensation (ArrayParams::compensation), the cycles the host spends writing the
/// 256-entry table before each scheduled layer: 256 for a "mean" layer (its own table), 256 for
/// a "none" layer whose predecessor left a non-zero table (or none was written yet: the table
/// has no reset; "none" needs all zeros), else 0. All zeros without compensation.
std::vector<int64_t> table_load_cycles(const DesignSpec& spec);

/// Steady-state utilization: tiles of full length back to back.
double steady_state_utilization(const ArrayParams& a);

}  // namespace axx::hwgen
