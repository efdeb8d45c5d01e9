// transaxx search — multiplier library loading (see library.hpp).
#include "search/library.hpp"

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/library_folder.hpp"

namespace axx::search {

namespace fs = std::filesystem;

int MultiplierLibrary::find(const std::string& name) const {
  for (size_t i = 0; i < multipliers.size(); ++i) {
    if (multipliers[i].name == name) return int(i);
  }
  return -1;
}

std::vector<std::string> MultiplierLibrary::names() const {
  std::vector<std::string> n;
  for (const auto& m : multipliers) n.push_back(m.name);
  return n;
}

void throw_empty_library(const fs::path& dir) {
  throw Error("SRC-002", fmt::format("the multiplier library {} is empty; add multipliers with "
                                     "'transaxx library build' before searching",
                                     dir.string()));
}

MultiplierLibrary load_multiplier_library(const fs::path& dir, bool luts) {
  const lib::LibraryFolder folder = lib::read_library(dir);  // LIB-* for a missing or malformed library
  static constexpr const char* kNeeds = "the search's error and power model";
  MultiplierLibrary out;
  out.dir = fs::absolute(dir).lexically_normal();
  for (size_t i = 0; i < folder.records.size(); ++i) {
    const lib::MultiplierRecord& r = folder.records[i];
    MultiplierInfo m;
    m.name = folder.index.entries[i].name;
    m.family = r.family;
    m.is_signed = r.is_signed;
    m.mae_pct = r.need(r.error.mae_pct, "error.mae_pct", kNeeds);
    m.wce_pct = r.need(r.error.wce_pct, "error.wce_pct", kNeeds);
    m.mse = r.need(r.error.mse, "error.mse", kNeeds);
    m.mean_error = r.need(r.error.mean_error, "error.mean_error", kNeeds);
    m.energy_pj_per_op = r.need(r.hw.energy_pj_per_op, "hw.energy_pj_per_op", kNeeds);
    if (!(m.energy_pj_per_op > 0)) {
      throw Error("SRC-003", fmt::format("{}: field 'hw.energy_pj_per_op' is {}, but the search's power model "
                                         "needs the energy of a multiplication (> 0); rebuild the library with "
                                         "`transaxx library build`",
                                         r.file.string(), m.energy_pj_per_op));
    }
    m.power_uw = r.hw.power_uw.value_or(0.0);
    m.area_um2 = r.hw.area_um2.value_or(0.0);
    m.lut_path = r.lut;
    m.lut_sha256 = r.lut_sha256;
    out.multipliers.push_back(std::move(m));
  }
  if (out.multipliers.empty()) throw_empty_library(dir);
  if (luts) load_luts(out);
  return out;
}

void load_luts(MultiplierLibrary& library) {
  for (auto& m : library.multipliers) {
    if (m.lut.empty()) m.lut = lib::read_lut_file(m.lut_path, m.lut_sha256);  // LIB-011..015
  }
}

}  // namespace axx::search
