#include "eda/liberty.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/fs.hpp"
#include "common/sha256.hpp"

namespace axx::flows {

namespace {

// ---- generic Liberty syntax: groups, simple and complex attributes -------------------------

struct Group {
  std::string type;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> simple;
  std::vector<std::pair<std::string, std::vector<std::string>>> complex;
  std::vector<Group> groups;
  int line = 0;

  const std::string* attr(const std::string& k) const {
    for (const auto& [key, v] : simple)
      if (key == k) return &v;
    return nullptr;
  }
  const std::vector<std::string>* complex_attr(const std::string& k) const {
    for (const auto& [key, v] : complex)
      if (key == k) return &v;
    return nullptr;
  }
};

class Lexer {
 public:
  Lexer(const std::string& text, std::string file) : s_(text), file_(std::move(file)) {}

  // Token kinds: 'w' word, 's' string, or a punctuation character; 0 at end.
  char next(std::string& tok) {
    skip();
    if (i_ >= s_.size()) return 0;
    const char c = s_[i_];
    if (c == '"') {
      ++i_;
      tok.clear();
      while (i_ < s_.size() && s_[i_] != '"') {
        if (s_[i_] == '\\' && i_ + 1 < s_.size() && (s_[i_ + 1] == '\n' || s_[i_ + 1] == '\r')) {
          i_ += 2;  // line continuation inside a string
          continue;
        }
        if (s_[i_] == '\n') ++line_;
        tok += s_[i_++];
      }
      if (i_ >= s_.size()) fail("unterminated string");
      ++i_;
      return 's';
    }
    if (std::strchr("(){}:;,", c)) {
      ++i_;
      tok = std::string(1, c);
      return c;
    }
    tok.clear();
    while (i_ < s_.size() && !std::isspace(static_cast<unsigned char>(s_[i_])) &&
           !std::strchr("(){}:;,\"", s_[i_])) {
      if (s_[i_] == '\\') break;
      tok += s_[i_++];
    }
    if (tok.empty()) fail(fmt::format("unexpected character '{}'", c));
    return 'w';
  }
  int line() const { return line_; }
  [[noreturn]] void fail(const std::string& why) const {
    throw Error("LIB-001", fmt::format("{}:{}: Liberty syntax error: {}", file_, line_, why));
  }

 private:
  void skip() {
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == '\n') { ++line_; ++i_; }
      else if (std::isspace(static_cast<unsigned char>(c))) ++i_;
      else if (c == '\\' && i_ + 1 < s_.size() && (s_[i_ + 1] == '\n' || s_[i_ + 1] == '\r')) ++i_;
      else if (c == '/' && i_ + 1 < s_.size() && s_[i_ + 1] == '*') {
        const size_t e = s_.find("*/", i_ + 2);
        if (e == std::string::npos) fail("unterminated comment");
        line_ += static_cast<int>(std::count(s_.begin() + static_cast<long>(i_), s_.begin() + static_cast<long>(e), '\n'));
        i_ = e + 2;
      } else if (c == '/' && i_ + 1 < s_.size() && s_[i_ + 1] == '/') {
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
      } else {
        break;
      }
    }
  }
  const std::string& s_;
  std::string file_;
  size_t i_ = 0;
  int line_ = 1;
};

// Parses the body of a group after '{' up to and including the matching '}'.
void parse_body(Lexer& lx, Group& g) {
  std::string tok;
  for (;;) {
    const char k = lx.next(tok);
    if (k == '}') return;
    if (k == 0) lx.fail(fmt::format("missing '}}' for group '{}' opened on line {}", g.type, g.line));
    if (k == ';') continue;
    if (k != 'w' && k != 's') lx.fail(fmt::format("unexpected '{}'", tok));
    const std::string name = tok;
    const int line = lx.line();
    const char k2 = lx.next(tok);
    if (k2 == ':') {
      std::string value;
      char k3 = lx.next(tok);
      if (k3 != 'w' && k3 != 's') lx.fail(fmt::format("attribute '{}' has no value", name));
      value = tok;
      // Values may continue with more words (expressions); gather up to ';' or a line end.
      for (;;) {
        const char k4 = lx.next(tok);
        if (k4 == ';') break;
        if (k4 == '}' ) { g.simple.emplace_back(name, value); return; }
        if (k4 == 0) lx.fail(fmt::format("attribute '{}' is not terminated", name));
        value += " " + tok;
      }
      g.simple.emplace_back(name, value);
    } else if (k2 == '(') {
      std::vector<std::string> args;
      for (;;) {
        const char k3 = lx.next(tok);
        if (k3 == ')') break;
        if (k3 == ',') continue;
        if (k3 == 0) lx.fail(fmt::format("'{}(' is not closed", name));
        args.push_back(tok);
      }
      std::string peek;
      const char k4 = lx.next(peek);
      if (k4 == '{') {
        Group sub;
        sub.type = name;
        sub.args = std::move(args);
        sub.line = line;
        parse_body(lx, sub);
        g.groups.push_back(std::move(sub));
      } else if (k4 == ';') {
        g.complex.emplace_back(name, std::move(args));
      } else if (k4 == '}') {
        g.complex.emplace_back(name, std::move(args));
        return;
      } else {
        g.complex.emplace_back(name, std::move(args));  // tolerate a missing ';'
        if (k4 == 'w' || k4 == 's') lx.fail(fmt::format("expected ';' after '{}(...)'", name));
      }
    } else {
      lx.fail(fmt::format("expected ':' or '(' after '{}'", name));
    }
  }
}

std::vector<double> parse_numbers(const std::string& s, const std::string& where) {
  std::vector<double> out;
  const char* p = s.c_str();
  while (*p) {
    while (*p && (std::isspace(static_cast<unsigned char>(*p)) || *p == ',')) ++p;
    if (!*p) break;
    char* end = nullptr;
    const double v = std::strtod(p, &end);
    if (end == p) throw Error("LIB-001", fmt::format("{}: '{}' is not a list of numbers", where, s));
    out.push_back(v);
    p = end;
  }
  return out;
}

double unit_scale(const std::string& text, const std::map<std::string, double>& units, const std::string& what) {
  // "1ns", "10ps", "1nW" ...
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  const double mult = i ? std::atof(text.substr(0, i).c_str()) : 1.0;
  std::string u = text.substr(i);
  std::transform(u.begin(), u.end(), u.begin(), [](unsigned char c) { return std::tolower(c); });
  auto it = units.find(u);
  if (it == units.end()) throw Error("LIB-002", fmt::format("unknown {} unit '{}'", what, text));
  return mult * it->second;
}

struct Template {
  std::string var1, var2;
  std::vector<double> idx1, idx2;
};

struct Units {
  double time_ns = 1, cap_pf = 1, leak_nw = 1, volt = 1;
};

bool is_load_var(const std::string& v) {
  return v == "total_output_net_capacitance" || v == "output_net_total_cap" ||
         v == "related_out_total_output_net_capacitance";
}
bool is_slew_var(const std::string& v) {
  return v == "input_net_transition" || v == "input_transition_time" || v == "related_pin_transition";
}

LibTable read_table(const Group& g, const std::map<std::string, Template>& templates, double scale,
                    double load_scale, double slew_scale, const std::string& where) {
  LibTable t;
  Template tpl;
  if (!g.args.empty() && g.args[0] != "scalar") {
    auto it = templates.find(g.args[0]);
    if (it == templates.end()) {
      throw Error("LIB-001", fmt::format("{}: table template '{}' is not defined", where, g.args[0]));
    }
    tpl = it->second;
  }
  if (auto* i1 = g.complex_attr("index_1"); i1 && !i1->empty()) tpl.idx1 = parse_numbers((*i1)[0], where);
  if (auto* i2 = g.complex_attr("index_2"); i2 && !i2->empty()) tpl.idx2 = parse_numbers((*i2)[0], where);
  const auto* vals = g.complex_attr("values");
  if (!vals) throw Error("LIB-001", fmt::format("{} (line {}): table has no values", where, g.line));
  std::vector<double> v;
  for (const auto& row : *vals) {
    auto r = parse_numbers(row, where);
    v.insert(v.end(), r.begin(), r.end());
  }
  for (double& x : v) x *= scale;
  const bool two_d = !tpl.var2.empty();
  const size_t n1 = tpl.var1.empty() ? 1 : tpl.idx1.size();
  const size_t n2 = two_d ? tpl.idx2.size() : 1;
  if (v.size() != n1 * n2) {
    throw Error("LIB-001", fmt::format("{} (line {}): table has {} values, its indices need {}x{}", where, g.line,
                                       v.size(), n1, n2));
  }
  auto assign_var = [&](const std::string& var, const std::vector<double>& idx) {
    if (is_load_var(var)) {
      t.load_index = idx;
      for (double& x : t.load_index) x *= load_scale;
    } else if (is_slew_var(var)) {
      t.slew_index = idx;
      for (double& x : t.slew_index) x *= slew_scale;
    }
  };
  if (!tpl.var1.empty()) assign_var(tpl.var1, tpl.idx1);
  if (two_d) assign_var(tpl.var2, tpl.idx2);
  // Store row-major over (load, slew): transpose when the template lists slew first.
  if (two_d && is_slew_var(tpl.var1) && is_load_var(tpl.var2)) {
    std::vector<double> tr(v.size());
    for (size_t i = 0; i < n1; ++i)
      for (size_t j = 0; j < n2; ++j) tr[j * n1 + i] = v[i * n2 + j];
    v.swap(tr);
  }
  t.values = std::move(v);
  return t;
}

// ---- Boolean functions ----------------------------------------------------------------------

class FunctionParser {
 public:
  FunctionParser(const std::string& text, const std::vector<std::string>& pins) : s_(text), pins_(pins) {}
  template <typename Emit>
  void parse(Emit&& emit) {
    emit_ = [&](int op, int pin) { emit(op, pin); };
    parse_or();
    skip();
    if (i_ != s_.size()) fail("unexpected text");
  }

 private:
  // Precedence, high to low: ' and !, ^, & * and juxtaposition, | +.
  void parse_or() {
    parse_and();
    for (;;) {
      skip();
      if (i_ < s_.size() && (s_[i_] == '|' || s_[i_] == '+')) {
        ++i_;
        parse_and();
        emit_(4, 0);
      } else {
        return;
      }
    }
  }
  void parse_and() {
    parse_xor();
    for (;;) {
      skip();
      if (i_ < s_.size() && (s_[i_] == '&' || s_[i_] == '*')) {
        ++i_;
        parse_xor();
        emit_(3, 0);
      } else if (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '(' ||
                                     s_[i_] == '!' || s_[i_] == '_')) {
        parse_xor();  // juxtaposition means AND
        emit_(3, 0);
      } else {
        return;
      }
    }
  }
  void parse_xor() {
    parse_unary();
    for (;;) {
      skip();
      if (i_ < s_.size() && s_[i_] == '^') {
        ++i_;
        parse_unary();
        emit_(5, 0);
      } else {
        return;
      }
    }
  }
  void parse_unary() {
    skip();
    if (i_ < s_.size() && s_[i_] == '!') {
      ++i_;
      parse_unary();
      emit_(2, 0);
      return;
    }
    parse_primary();
    while (i_ < s_.size() && s_[i_] == '\'') {
      ++i_;
      emit_(2, 0);
    }
  }
  void parse_primary() {
    skip();
    if (i_ >= s_.size()) fail("unexpected end");
    if (s_[i_] == '(') {
      ++i_;
      parse_or();
      skip();
      if (i_ >= s_.size() || s_[i_] != ')') fail("missing ')'");
      ++i_;
      return;
    }
    std::string name;
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_' ||
                              s_[i_] == '[' || s_[i_] == ']' || s_[i_] == '.')) {
      name += s_[i_++];
    }
    if (name.empty()) fail(fmt::format("unexpected '{}'", s_[i_]));
    if (name == "0" || name == "1") {
      emit_(name == "0" ? 0 : 1, 0);
      return;
    }
    const auto it = std::find(pins_.begin(), pins_.end(), name);
    if (it == pins_.end()) fail(fmt::format("'{}' is not an input pin of the cell", name));
    emit_(6, static_cast<int>(it - pins_.begin()));
  }
  void skip() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw Error("LIB-003", fmt::format("cannot parse cell function \"{}\": {}", s_, why));
  }
  const std::string& s_;
  const std::vector<std::string>& pins_;
  size_t i_ = 0;
  std::function<void(int, int)> emit_;
};

}  // namespace

BoolFunction BoolFunction::parse(const std::string& text, const std::vector<std::string>& pins) {
  BoolFunction f;
  f.text_ = text;
  if (pins.size() > 255) throw Error("LIB-003", "cell has more than 255 inputs");
  FunctionParser p(text, pins);
  p.parse([&](int op, int pin) {
    static const Op map[] = {kZero, kOne, kNot, kAnd, kOr, kXor, kPin};
    f.code_.push_back({map[op], static_cast<uint8_t>(pin)});
  });
  return f;
}

uint64_t BoolFunction::eval(const uint64_t* inputs) const {
  uint64_t stack[32];
  int sp = 0;
  for (const Instr& in : code_) {
    switch (in.op) {
      case kPin: stack[sp++] = inputs[in.pin]; break;
      case kZero: stack[sp++] = 0; break;
      case kOne: stack[sp++] = ~uint64_t{0}; break;
      case kNot: stack[sp - 1] = ~stack[sp - 1]; break;
      case kAnd: --sp; stack[sp - 1] &= stack[sp]; break;
      case kOr: --sp; stack[sp - 1] |= stack[sp]; break;
      case kXor: --sp; stack[sp - 1] ^= stack[sp]; break;
    }
  }
  return stack[0];
}

double LibTable::lookup(double load_pf, double slew_ns) const {
  if (values.empty()) return 0;
  // Position along one index: segment i and fraction f (f outside [0,1] extrapolates).
  auto locate = [](const std::vector<double>& idx, double x, size_t& i, double& f) {
    if (idx.size() < 2) { i = 0; f = 0; return; }
    i = 0;
    while (i + 2 < idx.size() && x > idx[i + 1]) ++i;
    const double span = idx[i + 1] - idx[i];
    f = span != 0 ? (x - idx[i]) / span : 0;
  };
  size_t li = 0, si = 0;
  double lf = 0, sf = 0;
  locate(load_index, load_pf, li, lf);
  locate(slew_index, slew_ns, si, sf);
  const size_t ns = std::max<size_t>(slew_index.size(), 1);
  auto at = [&](size_t l, size_t s) { return values[l * ns + s]; };
  const bool has_l = load_index.size() >= 2, has_s = slew_index.size() >= 2;
  if (!has_l && !has_s) return values[0];
  if (!has_l) return at(0, si) * (1 - sf) + at(0, si + 1) * sf;
  if (!has_s) return at(li, 0) * (1 - lf) + at(li + 1, 0) * lf;
  const double v0 = at(li, si) * (1 - sf) + at(li, si + 1) * sf;
  const double v1 = at(li + 1, si) * (1 - sf) + at(li + 1, si + 1) * sf;
  return v0 * (1 - lf) + v1 * lf;
}

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
    throw Error("LIB-001", fmt::format("Liberty file '{}' does not exist{}", path.string(),
                                       path == default_liberty_path()
                                           ? "; install the Debian package qflow-tech-osu018 (scripts/setup.sh)"
                                           : ""));
  }
  const std::string text = read_file(path);
  Lexer lx(text, path.string());
  std::string tok;
  char k = lx.next(tok);
  if (k != 'w' || tok != "library") lx.fail("the file does not start with library(...)");
  Group lib;
  lib.type = "library";
  if (lx.next(tok) != '(') lx.fail("expected '(' after library");
  while ((k = lx.next(tok)) != ')') {
    if (k == 0) lx.fail("library( is not closed");
    lib.args.push_back(tok);
  }
  if (lx.next(tok) != '{') lx.fail("expected '{' after library(...)");
  parse_body(lx, lib);

  auto out = std::make_shared<Liberty>();
  out->name = lib.args.empty() ? "" : lib.args[0];
  out->path = path;
  out->sha256 = sha256_hex(text);
  const std::string where = path.string();

  Units u;
  if (auto* t = lib.attr("time_unit")) u.time_ns = unit_scale(*t, {{"ns", 1}, {"ps", 1e-3}, {"us", 1e3}}, "time");
  if (auto* l = lib.attr("leakage_power_unit")) {
    u.leak_nw = unit_scale(*l, {{"nw", 1}, {"pw", 1e-3}, {"uw", 1e3}, {"mw", 1e6}, {"w", 1e9}}, "leakage power");
  }
  if (auto* c = lib.complex_attr("capacitive_load_unit"); c && c->size() == 2) {
    std::string unit = (*c)[1];
    std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char ch) { return std::tolower(ch); });
    const double m = std::atof((*c)[0].c_str());
    if (unit == "pf") u.cap_pf = m;
    else if (unit == "ff") u.cap_pf = m * 1e-3;
    else throw Error("LIB-002", fmt::format("{}: unknown capacitive_load_unit '{}'", where, (*c)[1]));
  } else {
    throw Error("LIB-002", fmt::format("{}: no capacitive_load_unit; power needs it", where));
  }
  if (auto* v = lib.attr("voltage_unit")) u.volt = unit_scale(*v, {{"v", 1}, {"mv", 1e-3}}, "voltage");
  if (auto* nv = lib.attr("nom_voltage")) out->voltage = std::atof(nv->c_str());
  for (const auto& g : lib.groups) {
    if (g.type == "operating_conditions")
      if (auto* v = g.attr("voltage"); v && out->voltage == 0) out->voltage = std::atof(v->c_str());
  }
  if (out->voltage <= 0) throw Error("LIB-002", fmt::format("{}: no nom_voltage; power needs the supply voltage", where));
  out->voltage *= u.volt;

  std::map<std::string, Template> templates;
  for (const auto& g : lib.groups) {
    if ((g.type == "lu_table_template" || g.type == "power_lut_template") && !g.args.empty()) {
      Template t;
      if (auto* v = g.attr("variable_1")) t.var1 = *v;
      if (auto* v = g.attr("variable_2")) t.var2 = *v;
      if (auto* i1 = g.complex_attr("index_1"); i1 && !i1->empty()) t.idx1 = parse_numbers((*i1)[0], where);
      if (auto* i2 = g.complex_attr("index_2"); i2 && !i2->empty()) t.idx2 = parse_numbers((*i2)[0], where);
      templates[g.args[0]] = t;
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
  if (out->cells.empty()) throw Error("LIB-002", fmt::format("{}: the library defines no cells", where));
  std::lock_guard<std::mutex> lock(mu);
  cache[key] = out;
  return out;
}

}  // namespace axx::flows
