// transaxx — Liberty loader (see liberty.hpp).
#include "eda/liberty.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <mutex>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/fs.hpp"
#include "common/sha256.hpp"
#include "eda/liberty_parser.hpp"

namespace axx::flows {

namespace {

[[noreturn]] void unknown_unit(const std::string& where, const std::string& what, const std::string& text) {
  throw Error("LTY-002", fmt::format("{}: unknown {} unit '{}'", where, what, text));
}

double unit_scale(const std::string& text, const std::map<std::string, double>& units, const std::string& what,
                  const std::string& where) {
  // "1ns", "10ps", "1nW" ...
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  const double mult = i ? std::atof(text.substr(0, i).c_str()) : 1.0;
  std::string u = text.substr(i);
  std::transform(u.begin(), u.end(), u.begin(), [](unsigned char c) { return std::tolower(c); });
  auto it = units.find(u);
  if (it == units.end()) unknown_unit(where, what, text);
  return mult * it->second;
}

struct Units {
  double time_ns = 1, cap_pf = 1, leak_nw = 1, volt = 1;
};

}  // namespace

const LibPin* LibCell::pin(const std::string& n) const {
  for (const auto& p : pins)
    if (p.name == n) return &p;
  return nullptr;
}

const LibCell* Liberty::cell(const std::string& n) const {
  auto it = cells.find(n);
  return it == cells.end() ? nullptr : &it->second;
}

std::filesystem::path default_liberty_path() {
  return "/usr/share/qflow/tech/osu018/osu018_stdcells.lib";
}

std::shared_ptr<const Liberty> load_liberty(const std::filesystem::path& path) {
  // Libraries are immutable once read; -j workers share one copy per file.
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const Liberty>> cache;
  std::error_code ec;
  const std::string key = std::filesystem::weakly_canonical(path, ec).string() + "|" +
                          std::to_string(std::filesystem::exists(path, ec) ?
                              std::filesystem::last_write_time(path, ec).time_since_epoch().count() : 0);
  {
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  if (!std::filesystem::exists(path, ec)) {
    throw Error("LTY-005", fmt::format("Liberty file '{}' does not exist{}", path.string(),
                                       path == default_liberty_path()
                                           ? "; install the Debian package qflow-tech-osu018 (scripts/setup.sh)"
                                           : ""));
  }
  std::shared_ptr<const Liberty> out = parse_liberty_library(read_file(path), path);
  std::lock_guard<std::mutex> lock(mu);
  cache[key] = out;
  return out;
}

std::shared_ptr<const Liberty> parse_liberty_library(const std::string& text, const std::filesystem::path& path) {
  const LibertyGroup lib = parse_liberty(text, path.string());

  auto out = std::make_shared<Liberty>();
  out->name = lib.args.empty() ? "" : lib.args[0];
  out->path = path;
  out->sha256 = sha256_hex(text);
  const std::string where = path.string();

  Units u;
  if (auto* t = lib.attr("time_unit")) u.time_ns = unit_scale(*t, {{"ns", 1}, {"ps", 1e-3}, {"us", 1e3}}, "time", where);
  if (auto* l = lib.attr("leakage_power_unit")) {
    u.leak_nw = unit_scale(*l, {{"nw", 1}, {"pw", 1e-3}, {"uw", 1e3}, {"mw", 1e6}, {"w", 1e9}}, "leakage power",
                           where);
  }
  if (auto* c = lib.complex_attr("capacitive_load_unit"); c && c->size() == 2) {
    std::string unit = (*c)[1];
    std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char ch) { return std::tolower(ch); });
    const double m = std::atof((*c)[0].c_str());
    if (unit == "pf") u.cap_pf = m;
    else if (unit == "ff") u.cap_pf = m * 1e-3;
    else unknown_unit(where, "capacitance", (*c)[1]);
  } else {
    throw Error("LTY-010", fmt::format("{}: no capacitive_load_unit; power needs it", where));
  }
  if (auto* v = lib.attr("voltage_unit")) u.volt = unit_scale(*v, {{"v", 1}, {"mv", 1e-3}}, "voltage", where);
  if (auto* nv = lib.attr("nom_voltage")) out->voltage = std::atof(nv->c_str());
  for (const auto& g : lib.groups) {
    if (g.type == "operating_conditions")
      if (auto* v = g.attr("voltage"); v && out->voltage == 0) out->voltage = std::atof(v->c_str());
  }
  if (out->voltage <= 0) throw Error("LTY-011", fmt::format("{}: no nom_voltage; power needs the supply voltage", where));
  out->voltage *= u.volt;

  std::map<std::string, LibTableTemplate> templates;
  for (const auto& g : lib.groups) {
    if ((g.type == "lu_table_template" || g.type == "power_lut_template") && !g.args.empty()) {
      templates[g.args[0]] = read_table_template(g, where);
    }
  }
  // Internal energy tables are in (voltage unit)^2 x (capacitance unit).
  const double energy_pj = u.cap_pf * u.volt * u.volt;
  for (const auto& g : lib.groups) {
    if (g.type != "cell" || g.args.empty()) continue;
    LibCell cell;
    cell.name = g.args[0];
    const std::string cw = fmt::format("{}: cell {}", where, cell.name);
    if (auto* a = g.attr("area")) cell.area = std::atof(a->c_str());
    if (auto* l = g.attr("cell_leakage_power")) cell.leakage_nw = std::atof(l->c_str()) * u.leak_nw;
    for (const auto& pg : g.groups) {
      if (pg.type == "ff" || pg.type == "latch" || pg.type == "statetable" || pg.type == "ff_bank") {
        cell.sequential = true;
        continue;
      }
      if (pg.type != "pin" || pg.args.empty()) continue;
      LibPin pin;
      pin.name = pg.args[0];
      const std::string* dir = pg.attr("direction");
      pin.is_output = dir && *dir == "output";
      if (dir && *dir == "inout") pin.is_output = true;
      if (auto* c = pg.attr("capacitance")) pin.capacitance_pf = std::atof(c->c_str()) * u.cap_pf;
      if (auto* f = pg.attr("function")) pin.function = *f;
      for (const auto& sub : pg.groups) {
        const std::string sw = fmt::format("{} pin {}", cw, pin.name);
        if (sub.type == "timing") {
          LibTimingArc arc;
          if (auto* r = sub.attr("related_pin")) arc.related_pin = *r;
          for (const auto& t : sub.groups) {
            LibTable tab = read_table(t, templates, u.time_ns, u.cap_pf, u.time_ns, sw);
            if (t.type == "cell_rise") arc.cell_rise = tab;
            else if (t.type == "cell_fall") arc.cell_fall = tab;
            else if (t.type == "rise_transition") arc.rise_transition = tab;
            else if (t.type == "fall_transition") arc.fall_transition = tab;
          }
          pin.timing.push_back(std::move(arc));
        } else if (sub.type == "internal_power") {
          LibPowerArc arc;
          if (auto* r = sub.attr("related_pin")) arc.related_pin = *r;
          for (const auto& t : sub.groups) {
            LibTable tab = read_table(t, templates, energy_pj, u.cap_pf, u.time_ns, sw);
            if (t.type == "rise_power" || t.type == "power") arc.rise_power = tab;
            if (t.type == "fall_power" || t.type == "power") arc.fall_power = tab;
          }
          pin.power.push_back(std::move(arc));
        }
      }
      cell.pins.push_back(std::move(pin));
    }
    for (size_t i = 0; i < cell.pins.size(); ++i) {
      if (!cell.pins[i].is_output) cell.input_names.push_back(cell.pins[i].name);
    }
    for (size_t i = 0; i < cell.pins.size(); ++i) {
      if (!cell.pins[i].is_output) continue;
      cell.output_pin_indices.push_back(static_cast<int>(i));
      if (cell.pins[i].function.empty() || cell.sequential) {
        cell.functions.emplace_back();
      } else {
        try {
          cell.functions.push_back(BoolFunction::parse(cell.pins[i].function, cell.input_names));
        } catch (const Error& e) {
          throw Error(e.code(), fmt::format("{} pin {}: {}", cw, cell.pins[i].name, e.what()));
        }
      }
    }
    out->cells[cell.name] = std::move(cell);
  }
  if (out->cells.empty()) throw Error("LTY-012", fmt::format("{}: the library defines no cells", where));
  return out;
}

}  // namespace axx::flows
