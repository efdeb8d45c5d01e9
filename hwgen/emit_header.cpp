// transaxx — emitter of axx_hw.h: the generated design's parameters, modes and schedule for
// the software that drives it (C99 and C++).
#include <fmt/format.h>

#include <cctype>

#include "hwgen/cycle_model.hpp"
#include "hwgen/emit.hpp"

namespace axx::hwgen {

std::string emit_header(const DesignSpec& spec) {
  const ArrayParams& a = spec.array;
  const bool ws = a.dataflow == Dataflow::kWeightStationary;
  std::string s =
      "/* axx_hw.h — parameters of the generated systolic array (transaxx hwgen; do not edit). */\n"
      "#ifndef AXX_HW_H\n#define AXX_HW_H\n\n";
  s += fmt::format("#define AXX_HW_ROWS {}          /* PE rows */\n", a.rows);
  s += fmt::format("#define AXX_HW_COLS {}          /* PE columns */\n", a.cols);
  s += fmt::format("#define AXX_HW_DATAFLOW_WS {}   /* 1: weight-stationary, 0: output-stationary */\n", ws ? 1 : 0);
  s += fmt::format("#define AXX_HW_ACC_BITS {}      /* accumulator width, bits */\n", a.acc_bits);
  s += fmt::format("#define AXX_HW_SIGNED {}        /* operands two's complement */\n", a.is_signed ? 1 : 0);
  s += fmt::format("#define AXX_HW_STREAM_DEPTH {}  /* words of the stream memory: max tile {} */\n", a.stream_depth,
                   ws ? "M" : "K");
  s += fmt::format("#define AXX_HW_NUM_MODES {}\n", spec.modes.size());
  s += fmt::format("#define AXX_HW_MODE_BITS {}\n", mode_bits(spec));
  s += fmt::format("/* Busy cycles of one tile streaming LEN words (cycle_model.hpp). */\n");
  s += fmt::format("#define AXX_HW_TILE_CYCLES(LEN) ((LEN) + {})\n\n", tile_cycles(a, 0));
  if (a.compensation) {
    s += "/* Control-variate compensation (COMPENSATION.md): before the tiles of a layer whose\n"
         "   compensation is 1, write its table t(b), b = 0..255, through t_wr_en/t_wr_addr/t_wr_data\n"
         "   (one entry a cycle, between tiles; the low AXX_HW_COMP_TABLE_BITS bits of each int32).\n"
         "   Every output then holds sum_k lut[a][b] - sum_k t(b), wrapped to AXX_HW_ACC_BITS. */\n";
    s += "#define AXX_HW_COMPENSATION 1\n#define AXX_HW_COMP_TABLE_ENTRIES 256\n";
    s += fmt::format("#define AXX_HW_COMP_TABLE_BITS {}\n\n", comp_table_bits(a));
  }
  for (size_t i = 0; i < spec.modes.size(); ++i) {
    std::string id;
    for (char ch : spec.modes[i].name)
      id += std::isalnum(static_cast<unsigned char>(ch)) ? static_cast<char>(std::toupper(ch)) : '_';
    s += fmt::format("#define AXX_HW_MODE_{} {}\n", id, i);
  }
  s += "\n/* Which mode each layer runs in; -1: not on the array (fp32). */\n";
  const bool comp = a.compensation;
  s += comp ? "struct axx_hw_layer { const char* name; int mode; long m, k, n, count; int compensation; };\n"
            : "struct axx_hw_layer { const char* name; int mode; long m, k, n, count; };\n";
  s += "static const struct axx_hw_layer axx_hw_schedule[] = {\n";
  for (const auto& e : spec.schedule) {
    s += fmt::format("    {{\"{}\", {}, {}, {}, {}, {}{}}},\n", e.shape.name, e.mode, e.shape.m, e.shape.k, e.shape.n,
                     e.shape.count, comp ? (e.compensation == "mean" ? ", 1" : ", 0") : "");
  }
  if (spec.schedule.empty()) s += comp ? "    {0, -1, 0, 0, 0, 0, 0},\n" : "    {0, -1, 0, 0, 0, 0},\n";
  s += "};\n";
  s += fmt::format("#define AXX_HW_NUM_LAYERS {}\n\n#endif /* AXX_HW_H */\n", spec.schedule.size());
  return s;
}

}  // namespace axx::hwgen
