// transaxx — analytical cycle model (see cycle_model.hpp for the derivation).
#include "hwgen/cycle_model.hpp"

namespace axx::hwgen {

namespace {
int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
}  // namespace

int64_t tile_cycles(const ArrayParams& a, int64_t len) {
  const int64_t r = a.rows, c = a.cols;
  return a.dataflow == Dataflow::kWeightStationary ? len + 2 * r + c + 2 : len + 2 * r + c + 1;
}

LayerEstimate estimate_layer(const ArrayParams& a, const LayerShape& s) {
  LayerEstimate e;
  const int64_t depth = a.stream_depth;
  // Per output block: the streamed dimension is cut into full chunks and one remainder.
  const int64_t streamed = a.dataflow == Dataflow::kWeightStationary ? s.m : s.k;
  const int64_t blocks = a.dataflow == Dataflow::kWeightStationary ? ceil_div(s.k, a.rows) * ceil_div(s.n, a.cols)
                                                                   : ceil_div(s.m, a.rows) * ceil_div(s.n, a.cols);
  const int64_t full = streamed / depth, rest = streamed % depth;
  const int64_t chunks = full + (rest ? 1 : 0);
  const int64_t per_block = full * (tile_cycles(a, depth) + 1) + (rest ? tile_cycles(a, rest) + 1 : 0);
  e.tiles = blocks * chunks * s.count;
  e.cycles = blocks * per_block * s.count;
  e.macs = s.m * s.k * s.n * s.count;
  e.pe_busy = e.macs;
  e.utilization = static_cast<double>(e.macs) / (static_cast<double>(a.rows) * a.cols * static_cast<double>(e.cycles));
  e.time_us = static_cast<double>(e.cycles) / a.clock_mhz;
  return e;
}

double steady_state_utilization(const ArrayParams& a) {
  const double len = a.stream_depth;
  // A full tile does R·C·len MACs (WS: len rows × R × C; OS: R × C outputs × len).
  return len / static_cast<double>(tile_cycles(a, a.stream_depth) + 1);
}

std::vector<int64_t> table_load_cycles(const DesignSpec& spec) {
  std::vector<int64_t> out(spec.schedule.size(), 0);
  if (!spec.array.compensation) return out;
  bool zeros = false;  // the table in place holds all zeros
  for (size_t i = 0; i < spec.schedule.size(); ++i) {
    const ScheduleEntry& e = spec.schedule[i];
    if (e.mode < 0) continue;
    if (e.compensation == "mean") {
      out[i] = 256;
      zeros = false;
    } else if (!zeros) {
      out[i] = 256;
      zeros = true;
    }
  }
  return out;
}

}  // namespace axx::hwgen
