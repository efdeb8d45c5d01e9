#include "eda/gate_netlist.hpp"

#include <algorithm>
#include <queue>
#include <utility>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/json.hpp"

namespace axx::flows {

namespace {

int net_of(const Json& bit, std::map<long, int>& ids, int& next) {
  if (bit.is_string()) {
    const std::string s = bit.get<std::string>();
    return s == "1" ? 1 : 0;  // "x"/"z" are held at 0
  }
  const long id = bit.get<long>();
  auto it = ids.find(id);
  if (it != ids.end()) return it->second;
  ids[id] = next;
  return next++;
}

}  // namespace

namespace {

[[noreturn]] void missing_port(const std::filesystem::path& json_path, const std::string& port) {
  throw Error("NET-002", fmt::format("{}: port '{}' missing from the netlist", json_path.string(), port));
}

// Reads module `m` of `json_path`. Nets are numbered in the order the ports are read (`port_names`,
// or every port in file order when null), then cell by cell. Flip-flops are rejected unless
// `flops_ok`.
GateNetlist read_module(const Json& m, const std::filesystem::path& json_path, const std::string& module,
                        const std::vector<std::string>* port_names, bool flops_ok, const Liberty& lib) {
  GateNetlist n;
  n.top = module;
  std::map<long, int> ids;
  auto read_port = [&](const std::string& p, const Json& port) {
    std::vector<int> bits;
    for (const auto& bit : port["bits"]) bits.push_back(net_of(bit, ids, n.num_nets));
    n.ports[p] = bits;
  };
  if (port_names) {
    for (const auto& p : *port_names) {
      if (!m["ports"].contains(p)) missing_port(json_path, p);
      read_port(p, m["ports"][p]);
    }
  } else {
    for (auto it = m["ports"].begin(); it != m["ports"].end(); ++it) {
      read_port(it.key(), it.value());
      if (it.value()["direction"] == "output") n.output_ports.push_back(it.key());
    }
  }

  std::vector<GateCell> cells;
  std::vector<int> driver;  // net -> cell index (or -1)
  for (auto it = m["cells"].begin(); it != m["cells"].end(); ++it) {
    const std::string type = it.value()["type"].get<std::string>();
    const LibCell* lc = lib.cell(type);
    if (!lc) {
      throw Error("NET-003", fmt::format("{}: cell '{}' has type '{}', which the library '{}' does not define",
                                         json_path.string(), it.key(), type, lib.name));
    }
    const Json& conn = it.value()["connections"];
    n.cell_mix[type] += 1;
    n.area_um2 += lc->area;
    n.leakage_nw += lc->leakage_nw;
    if (lc->sequential) {
      if (!flops_ok) {
        throw Error("NET-004", fmt::format("{}: cell '{}' is the sequential cell '{}'; a multiplier must be combinational",
                                           json_path.string(), it.key(), type));
      }
      if (!conn.contains("D") || !conn.contains("CLK") || !conn.contains("Q") || lc->input_names.size() != 2) {
        throw Error("NET-009", fmt::format("{}: sequential cell '{}' ({}) is not a plain D flip-flop (D, CLK -> Q); "
                                           "only those are simulated",
                                           json_path.string(), it.key(), type));
      }
      GateFlop f;
      f.lib = lc;
      f.name = it.key();
      f.d = net_of(conn["D"][0], ids, n.num_nets);
      f.q = net_of(conn["Q"][0], ids, n.num_nets);
      for (const auto& in : lc->input_names) f.inputs.push_back(net_of(conn[in][0], ids, n.num_nets));
      n.flops.push_back(std::move(f));
      continue;
    }
    GateCell c;
    c.lib = lc;
    c.name = it.key();
    for (const auto& in : lc->input_names) {
      if (!conn.contains(in) || conn[in].empty()) {
        throw Error("NET-005", fmt::format("{}: input pin {} of cell '{}' is unconnected", json_path.string(), in, c.name));
      }
      c.inputs.push_back(net_of(conn[in][0], ids, n.num_nets));
    }
    for (int pi : lc->output_pin_indices) {
      const std::string& pn = lc->pins[static_cast<size_t>(pi)].name;
      c.outputs.push_back(conn.contains(pn) && !conn[pn].empty() && !conn[pn][0].is_string()
                              ? net_of(conn[pn][0], ids, n.num_nets)
                              : -1);
    }
    cells.push_back(std::move(c));
  }
  driver.assign(static_cast<size_t>(n.num_nets), -1);
  for (size_t i = 0; i < cells.size(); ++i) {
    for (int net : cells[i].outputs) {
      if (net < 0) continue;
      if (driver[static_cast<size_t>(net)] >= 0) {
        throw Error("NET-006", fmt::format("{}: net driven by both '{}' and '{}'", json_path.string(),
                                           cells[static_cast<size_t>(driver[static_cast<size_t>(net)])].name, cells[i].name));
      }
      driver[static_cast<size_t>(net)] = static_cast<int>(i);
    }
  }
  // Kahn's algorithm over cell -> cell edges; ports and flip-flop outputs are sources.
  std::vector<int> indeg(cells.size(), 0);
  std::vector<std::vector<int>> succ(cells.size());
  for (size_t i = 0; i < cells.size(); ++i) {
    for (int net : cells[i].inputs) {
      const int d = driver[static_cast<size_t>(net)];
      if (d >= 0) {
        succ[static_cast<size_t>(d)].push_back(static_cast<int>(i));
        ++indeg[i];
      }
    }
  }
  std::queue<int> ready;
  for (size_t i = 0; i < cells.size(); ++i)
    if (indeg[i] == 0) ready.push(static_cast<int>(i));
  std::vector<int> order;
  while (!ready.empty()) {
    const int c = ready.front();
    ready.pop();
    order.push_back(c);
    for (int s : succ[static_cast<size_t>(c)])
      if (--indeg[static_cast<size_t>(s)] == 0) ready.push(s);
  }
  if (order.size() != cells.size()) {
    throw Error("NET-007", fmt::format("{}: module '{}' has a combinational loop; gate-level simulation needs "
                                       "loop-free logic between ports and flip-flops",
                                       json_path.string(), module));
  }
  for (int i : order) n.cells.push_back(std::move(cells[static_cast<size_t>(i)]));
  return n;
}

}  // namespace

GateNetlist load_gate_netlist(const std::filesystem::path& json_path, const std::string& module,
                              const std::string& a, const std::string& b, const std::string& o,
                              const Liberty& lib) {
  const Json doc = read_json_file(json_path);
  if (!doc.contains("modules") || doc["modules"].empty()) {
    throw Error("NET-001", fmt::format("{}: no module in the synthesized netlist", json_path.string()));
  }
  // Parameterized tops may carry a derived name; a flattened netlist has one module.
  const Json& m = doc["modules"].contains(module) ? doc["modules"][module] : doc["modules"].begin().value();
  const std::vector<std::string> ports = {a, b, o};
  GateNetlist n = read_module(m, json_path, module, &ports, false, lib);
  n.a_bits = n.ports.at(a);
  n.b_bits = n.ports.at(b);
  n.o_bits = n.ports.at(o);
  n.output_ports = {o};
  return n;
}

GateNetlist load_gate_module(const std::filesystem::path& json_path, const std::string& module, const Liberty& lib) {
  const Json doc = read_json_file(json_path);
  if (!doc.contains("modules") || !doc["modules"].contains(module)) {
    throw Error("NET-008", fmt::format("{}: no module {} in the synthesized netlist", json_path.string(), module));
  }
  return read_module(doc["modules"][module], json_path, module, nullptr, true, lib);
}

std::vector<uint64_t> simulate(const GateNetlist& n, const PairSequence& pairs, size_t& words) {
  words = (pairs.size() + 63) / 64;
  std::vector<uint64_t> v(static_cast<size_t>(n.num_nets) * words, 0);
  auto net = [&](int id) { return v.data() + static_cast<size_t>(id) * words; };
  std::fill(net(1), net(1) + words, ~uint64_t{0});
  for (size_t t = 0; t < pairs.size(); ++t) {
    const uint64_t bit = uint64_t{1} << (t & 63);
    const unsigned av = pairs[t] >> 8, bv = pairs[t] & 0xff;
    for (size_t k = 0; k < n.a_bits.size() && k < 8; ++k)
      if ((av >> k) & 1) net(n.a_bits[k])[t >> 6] |= bit;
    for (size_t k = 0; k < n.b_bits.size() && k < 8; ++k)
      if ((bv >> k) & 1) net(n.b_bits[k])[t >> 6] |= bit;
  }
  std::vector<uint64_t> in(8);
  for (const GateCell& c : n.cells) {
    in.resize(c.inputs.size());
    for (size_t w = 0; w < words; ++w) {
      for (size_t k = 0; k < c.inputs.size(); ++k) in[k] = net(c.inputs[k])[w];
      for (size_t j = 0; j < c.outputs.size(); ++j) {
        if (c.outputs[j] >= 0) net(c.outputs[j])[w] = c.lib->functions[j].eval(in.data());
      }
    }
  }
  return v;
}

std::vector<uint16_t> evaluate_outputs(const GateNetlist& n, const PairSequence& pairs) {
  size_t words = 0;
  const std::vector<uint64_t> v = simulate(n, pairs, words);
  std::vector<uint16_t> out(pairs.size(), 0);
  for (size_t k = 0; k < n.o_bits.size() && k < 16; ++k) {
    const uint64_t* w = v.data() + static_cast<size_t>(n.o_bits[k]) * words;
    for (size_t t = 0; t < pairs.size(); ++t) {
      if ((w[t >> 6] >> (t & 63)) & 1) out[t] |= static_cast<uint16_t>(1u << k);
    }
  }
  return out;
}

TimingReport analyze_timing(const GateNetlist& n) {
  TimingReport r;
  const size_t nn = static_cast<size_t>(n.num_nets);
  r.net_load_pf.assign(nn, 0);
  r.net_slew_ns.assign(nn, kInputSlewNs);
  for (const GateCell& c : n.cells) {
    for (size_t k = 0; k < c.inputs.size(); ++k) {
      const LibPin* p = c.lib->pin(c.lib->input_names[k]);
      r.net_load_pf[static_cast<size_t>(c.inputs[k])] += p ? p->capacitance_pf : 0;
    }
  }
  for (const GateFlop& f : n.flops) {
    for (size_t k = 0; k < f.inputs.size(); ++k) {
      if (const LibPin* p = f.lib->pin(f.lib->input_names[k])) r.net_load_pf[static_cast<size_t>(f.inputs[k])] += p->capacitance_pf;
    }
  }
  for (const std::string& port : n.output_ports)
    for (int o : n.ports.at(port)) r.net_load_pf[static_cast<size_t>(o)] += kOutputLoadPf;
  std::vector<double> arrival(nn, 0);
  for (const GateFlop& f : n.flops) {  // CLK -> Q, the clock edge at time 0
    const LibPin* q = f.lib->pin("Q");
    if (!q) continue;
    const double load = r.net_load_pf[static_cast<size_t>(f.q)];
    double at = 0, slew = 0;
    for (const LibTimingArc& arc : q->timing) {
      at = std::max({at, arc.cell_rise.lookup(load, kInputSlewNs), arc.cell_fall.lookup(load, kInputSlewNs)});
      slew = std::max({slew, arc.rise_transition.lookup(load, kInputSlewNs), arc.fall_transition.lookup(load, kInputSlewNs)});
    }
    arrival[static_cast<size_t>(f.q)] = at;
    r.net_slew_ns[static_cast<size_t>(f.q)] = slew > 0 ? slew : kInputSlewNs;
  }
  for (const GateCell& c : n.cells) {
    for (size_t j = 0; j < c.outputs.size(); ++j) {
      const int out = c.outputs[j];
      if (out < 0) continue;
      const LibPin& op = c.lib->pins[static_cast<size_t>(c.lib->output_pin_indices[j])];
      const double load = r.net_load_pf[static_cast<size_t>(out)];
      double at = 0, slew = 0;
      for (const LibTimingArc& arc : op.timing) {
        const auto it = std::find(c.lib->input_names.begin(), c.lib->input_names.end(), arc.related_pin);
        if (it == c.lib->input_names.end()) continue;
        const int in = c.inputs[static_cast<size_t>(it - c.lib->input_names.begin())];
        const double s_in = r.net_slew_ns[static_cast<size_t>(in)];
        const double d = std::max(arc.cell_rise.lookup(load, s_in), arc.cell_fall.lookup(load, s_in));
        at = std::max(at, arrival[static_cast<size_t>(in)] + d);
        slew = std::max({slew, arc.rise_transition.lookup(load, s_in), arc.fall_transition.lookup(load, s_in)});
      }
      arrival[static_cast<size_t>(out)] = at;
      r.net_slew_ns[static_cast<size_t>(out)] = slew > 0 ? slew : kInputSlewNs;
    }
  }
  for (int o : n.o_bits) r.delay_ns = std::max(r.delay_ns, arrival[static_cast<size_t>(o)]);
  return r;
}

PowerReport analyze_power(const GateNetlist& n, const TimingReport& t, const PairSequence& pairs,
                          double voltage, double clock_mhz) {
  PowerReport r;
  r.vectors = pairs.size();
  if (pairs.size() < 2) return r;
  size_t words = 0;
  const std::vector<uint64_t> v = simulate(n, pairs, words);
  const size_t nn = static_cast<size_t>(n.num_nets);
  const size_t transitions = pairs.size() - 1;
  // toggle[net][w]: bit t set when the net changed between vector t-1 and vector t.
  std::vector<uint64_t> tog(nn * words);
  const size_t tail = pairs.size() & 63;
  const uint64_t last_mask = tail ? (uint64_t{1} << tail) - 1 : ~uint64_t{0};
  for (size_t id = 2; id < nn; ++id) {
    const uint64_t* x = v.data() + id * words;
    uint64_t* tg = tog.data() + id * words;
    for (size_t w = 0; w < words; ++w) {
      const uint64_t prev = (x[w] << 1) | (w ? x[w - 1] >> 63 : 0);
      uint64_t m = x[w] ^ prev;
      if (w == 0) m &= ~uint64_t{1};
      if (w + 1 == words) m &= last_mask;
      tg[w] = m;
    }
  }
  double switched_pf = 0, toggles = 0;
  for (size_t id = 2; id < nn; ++id) {
    size_t cnt = 0;
    for (size_t w = 0; w < words; ++w) cnt += static_cast<size_t>(__builtin_popcountll(tog[id * words + w]));
    toggles += static_cast<double>(cnt);
    switched_pf += static_cast<double>(cnt) * t.net_load_pf[id];
  }
  const double switching_pj = 0.5 * switched_pf * voltage * voltage;

  // Internal energy: each output transition costs the related pin's table entry; when several
  // inputs changed in the same cycle the entries of those pins are averaged.
  double internal_pj = 0;
  for (const GateCell& c : n.cells) {
    const size_t ni = c.inputs.size();
    for (size_t j = 0; j < c.outputs.size(); ++j) {
      const int out = c.outputs[j];
      if (out < 0) continue;
      const LibPin& op = c.lib->pins[static_cast<size_t>(c.lib->output_pin_indices[j])];
      if (op.power.empty()) continue;
      const double load = t.net_load_pf[static_cast<size_t>(out)];
      std::vector<double> e_rise(ni, -1), e_fall(ni, -1);
      double mean_r = 0, mean_f = 0;
      int have = 0;
      for (const LibPowerArc& arc : op.power) {
        const auto it = std::find(c.lib->input_names.begin(), c.lib->input_names.end(), arc.related_pin);
        if (it == c.lib->input_names.end()) continue;
        const size_t k = static_cast<size_t>(it - c.lib->input_names.begin());
        const double s_in = t.net_slew_ns[static_cast<size_t>(c.inputs[k])];
        e_rise[k] = arc.rise_power.lookup(load, s_in);
        e_fall[k] = arc.fall_power.lookup(load, s_in);
        mean_r += e_rise[k];
        mean_f += e_fall[k];
        ++have;
      }
      if (!have) continue;
      mean_r /= have;
      mean_f /= have;
      for (size_t k = 0; k < ni; ++k) {
        if (e_rise[k] < 0) { e_rise[k] = mean_r; e_fall[k] = mean_f; }
      }
      const uint64_t* ot = tog.data() + static_cast<size_t>(out) * words;
      const uint64_t* ov = v.data() + static_cast<size_t>(out) * words;
      if (ni > 4) {  // wide cells: charge the mean arc
        size_t rises = 0, falls = 0;
        for (size_t w = 0; w < words; ++w) {
          rises += static_cast<size_t>(__builtin_popcountll(ot[w] & ov[w]));
          falls += static_cast<size_t>(__builtin_popcountll(ot[w] & ~ov[w]));
        }
        internal_pj += rises * mean_r + falls * mean_f;
        continue;
      }
      // Enumerate which subset of inputs toggled together with the output.
      for (unsigned s = 1; s < (1u << ni); ++s) {
        double er = 0, ef = 0;
        int bits = 0;
        for (size_t k = 0; k < ni; ++k)
          if (s & (1u << k)) { er += e_rise[k]; ef += e_fall[k]; ++bits; }
        er /= bits;
        ef /= bits;
        size_t rises = 0, falls = 0;
        for (size_t w = 0; w < words; ++w) {
          uint64_t m = ot[w];
          for (size_t k = 0; k < ni; ++k) {
            const uint64_t it = tog[static_cast<size_t>(c.inputs[k]) * words + w];
            m &= (s & (1u << k)) ? it : ~it;
          }
          rises += static_cast<size_t>(__builtin_popcountll(m & ov[w]));
          falls += static_cast<size_t>(__builtin_popcountll(m & ~ov[w]));
        }
        internal_pj += rises * er + falls * ef;
      }
    }
  }
  const double per_op_sw = switching_pj / transitions;
  const double per_op_int = internal_pj / transitions;
  // pJ per operation × MHz = µW.
  r.switching_uw = per_op_sw * clock_mhz;
  r.internal_uw = per_op_int * clock_mhz;
  r.leakage_uw = n.leakage_nw * 1e-3;
  r.total_uw = r.switching_uw + r.internal_uw + r.leakage_uw;
  r.dynamic_pj_per_op = per_op_sw + per_op_int;
  r.energy_pj_per_op = r.total_uw / clock_mhz;
  r.toggles_per_op = toggles / transitions;
  return r;
}

// ---- clocked netlists ---------------------------------------------------------------------------

namespace {

// Mean internal energy (pJ) of an output transition over the pin's arcs that name a related pin.
double mean_arc_energy(const LibPin& op, const LibCell& cell, const std::vector<int>& inputs,
                       const std::vector<double>& slew, double load, bool rise) {
  double sum = 0;
  int n = 0;
  for (const LibPowerArc& arc : op.power) {
    if (arc.related_pin.empty()) continue;
    const auto it = std::find(cell.input_names.begin(), cell.input_names.end(), arc.related_pin);
    const double s = it == cell.input_names.end()
                         ? kInputSlewNs
                         : slew[static_cast<size_t>(inputs[static_cast<size_t>(it - cell.input_names.begin())])];
    sum += (rise ? arc.rise_power : arc.fall_power).lookup(load, s);
    ++n;
  }
  return n ? sum / n : 0;
}

// Rise and fall energy of one output transition, for an output pin driving `out`.
std::pair<double, double> output_energy(const LibPin& op, const LibCell& cell, const std::vector<int>& inputs,
                                        const TimingReport& t, int out) {
  const double load = t.net_load_pf[static_cast<size_t>(out)];
  return {mean_arc_energy(op, cell, inputs, t.net_slew_ns, load, true),
          mean_arc_energy(op, cell, inputs, t.net_slew_ns, load, false)};
}

}  // namespace

CycleEnergy simulate_cycles(const GateNetlist& n, const TimingReport& t, const std::vector<PortFrame>& frames,
                            size_t from, double voltage,
                            const std::function<void(size_t, const std::vector<uint64_t>&)>& observe) {
  // One energy per cell (its first output): the OSU cells used here have one output each.
  std::vector<std::pair<double, double>> cell_e(n.cells.size(), {0, 0}), flop_e(n.flops.size(), {0, 0});
  for (size_t i = 0; i < n.cells.size(); ++i) {
    const GateCell& c = n.cells[i];
    if (c.outputs.empty() || c.outputs[0] < 0) continue;
    const LibPin& op = c.lib->pins[static_cast<size_t>(c.lib->output_pin_indices[0])];
    cell_e[i] = output_energy(op, *c.lib, c.inputs, t, c.outputs[0]);
  }
  for (size_t i = 0; i < n.flops.size(); ++i) {
    if (const LibPin* q = n.flops[i].lib->pin("Q"))
      flop_e[i] = output_energy(*q, *n.flops[i].lib, n.flops[i].inputs, t, n.flops[i].q);
  }
  std::vector<uint64_t> cur(static_cast<size_t>(n.num_nets), 0), prev;
  cur[1] = ~uint64_t{0};
  std::vector<uint64_t> state(n.flops.size(), 0);
  std::vector<uint64_t> in(8);
  CycleEnergy e;
  const double half_v2 = 0.5 * voltage * voltage;
  for (size_t cyc = 0; cyc < frames.size(); ++cyc) {
    for (const auto& [port, lanes] : frames[cyc].value) {
      const auto it = n.ports.find(port);
      if (it == n.ports.end()) continue;
      const std::vector<int>& bits = it->second;
      for (size_t b = 0; b < bits.size(); ++b) {
        uint64_t w = 0;
        for (size_t l = 0; l < lanes.size() && l < 64; ++l) w |= ((lanes[l] >> b) & 1) << l;
        if (bits[b] >= 2) cur[static_cast<size_t>(bits[b])] = w;
      }
    }
    for (size_t i = 0; i < n.flops.size(); ++i) cur[static_cast<size_t>(n.flops[i].q)] = state[i];
    for (const GateCell& c : n.cells) {
      in.resize(c.inputs.size());
      for (size_t k = 0; k < c.inputs.size(); ++k) in[k] = cur[static_cast<size_t>(c.inputs[k])];
      for (size_t j = 0; j < c.outputs.size(); ++j)
        if (c.outputs[j] >= 0) cur[static_cast<size_t>(c.outputs[j])] = c.lib->functions[j].eval(in.data());
    }
    if (observe) observe(cyc, cur);
    if (cyc >= from && !prev.empty()) {
      for (size_t id = 2; id < cur.size(); ++id) {
        const int k = __builtin_popcountll(cur[id] ^ prev[id]);
        e.toggles += k;
        e.pj += k * half_v2 * t.net_load_pf[id];
      }
      for (size_t i = 0; i < n.cells.size(); ++i) {
        const GateCell& c = n.cells[i];
        if (c.outputs.empty() || c.outputs[0] < 0) continue;
        const size_t o = static_cast<size_t>(c.outputs[0]);
        const uint64_t tg = cur[o] ^ prev[o];
        e.pj += __builtin_popcountll(tg & cur[o]) * cell_e[i].first + __builtin_popcountll(tg & ~cur[o]) * cell_e[i].second;
      }
      for (size_t i = 0; i < n.flops.size(); ++i) {
        const size_t o = static_cast<size_t>(n.flops[i].q);
        const uint64_t tg = cur[o] ^ prev[o];
        e.pj += __builtin_popcountll(tg & cur[o]) * flop_e[i].first + __builtin_popcountll(tg & ~cur[o]) * flop_e[i].second;
      }
    }
    for (size_t i = 0; i < n.flops.size(); ++i) state[i] = cur[static_cast<size_t>(n.flops[i].d)];
    prev = cur;
  }
  return e;
}

std::vector<uint64_t> port_lanes(const GateNetlist& n, const std::string& port, const std::vector<uint64_t>& nets) {
  const std::vector<int>& bits = n.ports.at(port);
  std::vector<uint64_t> lanes(64, 0);
  for (size_t b = 0; b < bits.size(); ++b) {
    const uint64_t w = nets[static_cast<size_t>(bits[b])];
    for (size_t l = 0; l < 64; ++l) lanes[l] |= ((w >> l) & 1) << b;
  }
  return lanes;
}

double clock_energy_pj(const GateNetlist& n, double voltage) {
  double clock_pin_pf = 0;
  for (const GateFlop& f : n.flops)
    if (const LibPin* p = f.lib->pin("CLK")) clock_pin_pf += p->capacitance_pf;
  double e = clock_pin_pf * voltage * voltage;  // two toggles of ½CV² each
  for (const GateFlop& f : n.flops) {
    double clk_pj = 0;
    if (const LibPin* clk = f.lib->pin("CLK")) {
      for (const LibPowerArc& arc : clk->power) {
        if (!arc.related_pin.empty()) continue;
        clk_pj += arc.rise_power.lookup(0, kInputSlewNs) + arc.fall_power.lookup(0, kInputSlewNs);
      }
    }
    e += clk_pj;
  }
  return e;
}

}  // namespace axx::flows
