// transaxx — Liberty look-up tables (see liberty_tables.hpp).
#include "eda/liberty_tables.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <fmt/format.h>

#include "common/error.hpp"

namespace axx::flows {

namespace {

bool is_load_var(const std::string& v) {
  return v == "total_output_net_capacitance" || v == "output_net_total_cap" ||
         v == "related_out_total_output_net_capacitance";
}
bool is_slew_var(const std::string& v) {
  return v == "input_net_transition" || v == "input_transition_time" || v == "related_pin_transition";
}

}  // namespace

std::vector<double> parse_liberty_numbers(const std::string& s, const std::string& where) {
  std::vector<double> out;
  const char* p = s.c_str();
  while (*p) {
    while (*p && (std::isspace(static_cast<unsigned char>(*p)) || *p == ',')) ++p;
    if (!*p) break;
    char* end = nullptr;
    const double v = std::strtod(p, &end);
    if (end == p) throw Error("LTY-006", fmt::format("{}: '{}' is not a list of numbers", where, s));
    out.push_back(v);
    p = end;
  }
  return out;
}

LibTableTemplate read_table_template(const LibertyGroup& g, const std::string& where) {
  LibTableTemplate t;
  if (auto* v = g.attr("variable_1")) t.var1 = *v;
  if (auto* v = g.attr("variable_2")) t.var2 = *v;
  if (auto* i1 = g.complex_attr("index_1"); i1 && !i1->empty()) t.idx1 = parse_liberty_numbers((*i1)[0], where);
  if (auto* i2 = g.complex_attr("index_2"); i2 && !i2->empty()) t.idx2 = parse_liberty_numbers((*i2)[0], where);
  return t;
}

LibTable read_table(const LibertyGroup& g, const std::map<std::string, LibTableTemplate>& templates, double scale,
                    double load_scale, double slew_scale, const std::string& where) {
  LibTable t;
  LibTableTemplate tpl;
  if (!g.args.empty() && g.args[0] != "scalar") {
    auto it = templates.find(g.args[0]);
    if (it == templates.end()) {
      throw Error("LTY-007", fmt::format("{}: table template '{}' is not defined", where, g.args[0]));
    }
    tpl = it->second;
  }
  if (auto* i1 = g.complex_attr("index_1"); i1 && !i1->empty()) tpl.idx1 = parse_liberty_numbers((*i1)[0], where);
  if (auto* i2 = g.complex_attr("index_2"); i2 && !i2->empty()) tpl.idx2 = parse_liberty_numbers((*i2)[0], where);
  const auto* vals = g.complex_attr("values");
  if (!vals) throw Error("LTY-008", fmt::format("{} (line {}): table has no values", where, g.line));
  std::vector<double> v;
  for (const auto& row : *vals) {
    auto r = parse_liberty_numbers(row, where);
    v.insert(v.end(), r.begin(), r.end());
  }
  for (double& x : v) x *= scale;
  const bool two_d = !tpl.var2.empty();
  const size_t n1 = tpl.var1.empty() ? 1 : tpl.idx1.size();
  const size_t n2 = two_d ? tpl.idx2.size() : 1;
  if (v.size() != n1 * n2) {
    throw Error("LTY-009", fmt::format("{} (line {}): table has {} values, its indices need {}x{}", where, g.line,
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

}  // namespace axx::flows
