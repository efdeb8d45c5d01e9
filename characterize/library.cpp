#include "characterize/library.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/error.hpp"
#include "common/fs.hpp"
#include "common/library_folder.hpp"
#include "common/progress.hpp"
#include "characterize/error_metrics.hpp"
#include "characterize/plots.hpp"
#include "multipliers_rtl/catalog.hpp"
#include "mpi/mpi.hpp"

#ifndef AXX_RTL_DIR
#define AXX_RTL_DIR "multipliers_rtl"
#endif

namespace axx::flows {

namespace {

namespace fs = std::filesystem;

bool is_verilog(const fs::path& p) { return p.extension() == ".v" || p.extension() == ".sv"; }

std::vector<LibraryItem> items_from_folder(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file() && is_verilog(e.path())) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    throw Error("CHR-108", fmt::format("folder '{}' has no .v or .sv files; give Verilog files or a folder of them",
                                        dir.string()));
  }
  std::vector<LibraryItem> items;
  for (const auto& f : files) {
    LibraryItem it;
    it.options.design.files = {f};
    it.options.name = f.stem().string();
    items.push_back(std::move(it));
  }
  return items;
}

// One item per catalog line: the family's file and module with the line's parameters.
std::vector<LibraryItem> items_from_catalog(const fs::path& csv) {
  std::vector<mult::CatalogEntry> entries;
  try {
    entries = mult::load_catalog(csv);
  } catch (const Error& e) {
    throw Error(e.code(), fmt::format("catalog {}: {}", csv.string(), e.what()));
  }
  std::vector<LibraryItem> items;
  for (const auto& e : entries) {
    LibraryItem it;
    it.family = e.family;
    it.options.name = e.name;
    it.options.design.files = {csv.parent_path() / e.file};
    it.options.design.top = e.top;
    for (const auto& [k, v] : e.params) it.options.design.params.emplace_back(k, std::to_string(v));
    it.options.is_signed = e.is_signed;
    items.push_back(std::move(it));
  }
  return items;
}

// Pareto front over (power, MAE%) within each signedness: not dominated by any other design.
std::vector<bool> pareto_flags(const std::vector<Json>& recs) {
  std::vector<bool> flags(recs.size(), true);
  for (size_t i = 0; i < recs.size(); ++i) {
    const double pi = recs[i]["hw"]["power_uw"].get<double>(), ei = recs[i]["error"]["mae_pct"].get<double>();
    for (size_t j = 0; j < recs.size() && flags[i]; ++j) {
      if (i == j || recs[i]["signed"] != recs[j]["signed"]) continue;
      const double pj = recs[j]["hw"]["power_uw"].get<double>(), ej = recs[j]["error"]["mae_pct"].get<double>();
      if (pj <= pi && ej <= ei && (pj < pi || ej < ei)) flags[i] = false;
    }
  }
  return flags;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

fs::path builtin_rtl_dir() {
  if (const char* d = std::getenv("TRANSAXX_RTL_DIR"); d && *d) return d;
  return AXX_RTL_DIR;
}

std::vector<LibraryItem> collect_library_items(const std::vector<fs::path>& inputs) {
  std::vector<LibraryItem> items;
  if (inputs.empty()) {
    const fs::path dir = builtin_rtl_dir();
    if (!fs::is_directory(dir)) {
      throw Error("CHR-106", fmt::format("the built-in multipliers folder '{}' is missing; set TRANSAXX_RTL_DIR to "
                                          "the multipliers_rtl folder of the transaxx sources",
                                          dir.string()));
    }
    items = items_from_catalog(dir / "catalog.csv");
  }
  for (const auto& in : inputs) {
    std::error_code ec;
    if (fs::is_directory(in, ec)) {
      auto more = items_from_folder(in);
      items.insert(items.end(), more.begin(), more.end());
    } else if (fs::is_regular_file(in, ec) && in.extension() == ".csv") {
      auto more = items_from_catalog(in);
      items.insert(items.end(), more.begin(), more.end());
    } else if (fs::is_regular_file(in, ec)) {
      LibraryItem it;
      it.options.design.files = {in};
      it.options.name = in.stem().string();
      items.push_back(std::move(it));
    } else {
      throw Error("CHR-101", fmt::format("'{}' does not exist; give Verilog files or folders of them", in.string()));
    }
  }
  std::map<std::string, std::string> seen;
  for (const auto& it : items) {
    const std::string src = it.options.design.files.front().string();
    auto [pos, fresh] = seen.emplace(it.options.name, src);
    if (!fresh) {
      throw Error("CHR-107", fmt::format("two multipliers would both be named '{}' ({} and {}); names come from file "
                                          "names, rename one",
                                          it.options.name, pos->second, src));
    }
  }
  return items;
}

namespace {

constexpr const char* kErrorStats[] = {"mean_error", "error_std", "comp_mean_error"};

// The error statistics of a record's "error" object; those it lacks (a record characterized
// before they existed) computed from its LUT `npy` when that reads; else left out. Never throws.
Json error_stats(const Json& error, const fs::path& npy, bool is_signed) {
  Json s = Json::object();
  bool all = true;
  for (const char* k : kErrorStats) {
    if (error.is_object() && error.contains(k) && error[k].is_number()) {
      s[k] = error[k];
    } else {
      all = false;
    }
  }
  if (all || npy.empty()) return s;
  try {
    const ErrorMetrics m = compute_error_metrics(lib::read_lut_file(npy), is_signed);
    s = {{"mean_error", m.mean_error}, {"error_std", m.error_std}, {"comp_mean_error", m.comp_mean_error}};
  } catch (const Error&) {
    // unreadable table: the listing shows "-" (library check names the problem)
  }
  return s;
}

}  // namespace

Json with_error_stats(const fs::path& dir, Json library) {
  const lib::LibraryIndex index = lib::read_index(dir);
  for (auto& m : library["multipliers"]) {
    bool missing = false;
    for (const char* k : kErrorStats) missing = missing || !(m.contains(k) && m[k].is_number());
    if (!missing || !m.contains("name") || !m["name"].is_string()) continue;
    const lib::IndexEntry* e = index.find(m["name"].get<std::string>());
    if (!e) continue;
    try {
      const lib::MultiplierRecord r = lib::read_entry_record(index, *e);
      const Json s = error_stats(r.json.value("error", Json()), r.lut, r.is_signed);
      for (auto it = s.begin(); it != s.end(); ++it) {
        if (!(m.contains(it.key()) && m[it.key()].is_number())) m[it.key()] = it.value();
      }
    } catch (const Error&) {
      // no usable record: "-" (library check names the problem)
    }
  }
  return library;
}

Json write_library_index(const fs::path& out_dir, const std::vector<Json>& records_in,
                         const std::vector<std::string>& families) {
  std::vector<Json> records = records_in;
  std::vector<size_t> order(records.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return records[a]["name"].get<std::string>() < records[b]["name"].get<std::string>();
  });
  const std::vector<bool> pareto = pareto_flags(records);
  // Power relative to the exact design of the same signedness (EP = 0, highest power wins ties).
  std::map<bool, double> exact_power;
  for (const auto& r : records) {
    if (r["error"]["ep_pct"].get<double>() == 0) {
      const bool s = r["signed"].get<bool>();
      exact_power[s] = std::max(exact_power[s], r["hw"]["power_uw"].get<double>());
    }
  }
  Json lib;
  lib["version"] = 1;
  Json list = Json::array();
  std::string csv =
      "name,family,signed,mae_pct,wce_pct,mre_pct,ep_pct,mse,mean_error,area_um2,cells,delay_ns,power_uw,"
      "energy_pj_per_op,power_rel_exact,pareto,lut,record\n";
  std::vector<ScatterPoint> pts;
  for (size_t k : order) {
    const Json& r = records[k];
    const bool s = r["signed"].get<bool>();
    const double p = r["hw"]["power_uw"].get<double>();
    Json rel = nullptr;
    if (exact_power.count(s) && exact_power[s] > 0) rel = p / exact_power[s];
    const std::string family = k < families.size() ? families[k] : "";
    Json e;
    e["name"] = r["name"];
    e["family"] = family;
    e["signed"] = s;
    e["record"] = r["name"].get<std::string>() + ".json";
    e["lut"] = r["lut"];
    e["mae_pct"] = r["error"]["mae_pct"];
    e["wce_pct"] = r["error"]["wce_pct"];
    {
      const Json st = error_stats(r["error"], r.contains("lut") ? out_dir / r["lut"].get<std::string>() : fs::path(), s);
      for (auto it = st.begin(); it != st.end(); ++it) e[it.key()] = it.value();
    }
    e["area_um2"] = r["hw"]["area_um2"];
    e["delay_ns"] = r["hw"]["delay_ns"];
    e["power_uw"] = p;
    e["energy_pj_per_op"] = r["hw"]["energy_pj_per_op"];
    e["power_rel_exact"] = rel;
    e["pareto"] = static_cast<bool>(pareto[k]);
    list.push_back(e);
    const Json& er = r["error"];
    csv += fmt::format("{},{},{},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{},{:.6g},{:.6g},{:.6g},{},{},{},{}\n",
                       csv_field(r["name"].get<std::string>()), csv_field(family), s ? "signed" : "unsigned",
                       er["mae_pct"].get<double>(), er["wce_pct"].get<double>(), er["mre_pct"].get<double>(),
                       er["ep_pct"].get<double>(), er["mse"].get<double>(), er["mean_error"].get<double>(),
                       r["hw"]["area_um2"].get<double>(), r["hw"]["cells"].get<int>(),
                       r["hw"]["delay_ns"].get<double>(), p, r["hw"]["energy_pj_per_op"].get<double>(),
                       rel.is_null() ? std::string() : fmt::format("{:.6g}", rel.get<double>()),
                       pareto[k] ? 1 : 0, csv_field(r["lut"].get<std::string>()),
                       csv_field(r["name"].get<std::string>() + ".json"));
    pts.push_back({r["name"].get<std::string>(), r["error"]["mae_pct"].get<double>(),
                   rel.is_null() ? p : rel.get<double>(), static_cast<bool>(pareto[k]), s});
  }
  lib["multipliers"] = list;
  if (!records.empty()) {
    lib["tech"] = records.front()["tech"];
    lib["stimulus"] = records.front()["stimulus"];
    lib["tools"] = records.front()["tools"];
  }
  const bool relative = !exact_power.empty();
  write_file_atomic(out_dir / "library.svg",
                    scatter_svg(fmt::format("Multiplier library: power vs. error ({} designs)", records.size()),
                                "MAE % (log scale)",
                                relative ? "power relative to the exact multiplier" : "power (uW)", pts));
  write_file_atomic(out_dir / "library.csv", csv);
  lib::write_index(out_dir, lib);
  return lib;
}

void check_build_failures(const LibraryBuildResult& r) {
  if (r.failures.empty()) return;
  std::string list;
  for (const auto& f : r.failures) list += "\n  " + f;
  throw Error("CHR-104", fmt::format("{} multiplier(s) failed:{}", r.failures.size(), list));
}

LibraryBuildResult build_library(const LibraryBuildOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  if (o.jobs < 1) {
    throw UsageError("CHR-103", fmt::format("{} multipliers characterized at once: expected at least 1", o.jobs));
  }
  validate_options(o.tech);
  ensure_writable_dir(o.out_dir);
  std::vector<LibraryItem> items = collect_library_items(o.inputs);
  if (!o.only.empty()) {
    std::vector<LibraryItem> kept;
    for (const auto& name : o.only) {
      const auto it = std::find_if(items.begin(), items.end(), [&](const LibraryItem& i) { return i.options.name == name; });
      if (it == items.end()) {
        std::vector<std::string> names;
        for (const auto& i : items) names.push_back(i.options.name);
        throw UsageError("CHR-105", fmt::format("'{}': no such multiplier in the inputs; valid names: {}", name,
                                                 fmt::join(names, ", ")));
      }
      if (std::none_of(kept.begin(), kept.end(), [&](const LibraryItem& k) { return k.options.name == name; })) {
        kept.push_back(*it);
      }
    }
    items = std::move(kept);
  }
  for (auto& it : items) {
    CharacterizeOptions& c = it.options;
    c.liberty = o.tech.liberty;
    c.clock_mhz = o.tech.clock_mhz;
    c.stimulus = o.tech.stimulus;
    c.vectors = o.tech.vectors;
    c.seed = o.tech.seed;
    c.force = o.tech.force;
    c.out_dir = o.out_dir;
    if (!c.is_signed) c.is_signed = o.tech.is_signed;  // catalog lines keep their own signedness
  }
  LibraryBuildResult res;
  std::vector<Json> records(items.size());
  std::vector<bool> ok(items.size(), false);
  std::vector<bool> reused(items.size(), false);
  std::vector<std::string> failure(items.size());
  // Under MPI the ranks take the multipliers one at a time as they become free (claims in the
  // output folder: multipliers differ in cost, so a static split leaves one rank waiting) and
  // characterize into the same folder: records are per multiplier and written atomically, so
  // ranks never write the same file. Rank 0 then gathers the outcomes and writes the index, as
  // one process would have.
  const mpi::ItemClaims claims(o.out_dir.string());
  std::vector<size_t> mine;  // the items this rank characterized (or failed on), as they finished
  std::mutex mu;
  std::atomic<size_t> next{0};
  Progress bar("library", items.size(), "multipliers");
  auto worker = [&] {
    for (size_t i = next++; i < items.size(); i = next++) {
      try {
        if (!claims.claim(i)) {
          bar.advance(1, items[i].options.name + " (another rank)");
          continue;
        }
        CharacterizeResult r = characterize(items[i].options);
        std::lock_guard<std::mutex> lock(mu);
        mine.push_back(i);
        records[i] = std::move(r.record);
        ok[i] = true;
        reused[i] = r.reused;
      } catch (const Error& e) {  // a failed characterization, or a claim that failed (MPI-006)
        std::lock_guard<std::mutex> lock(mu);
        mine.push_back(i);
        failure[i] = fmt::format("{} [{}]: {}", items[i].options.name, e.code(), e.what());
      }
      bar.advance(1, items[i].options.name);
    }
  };
  std::vector<std::thread> threads;
  const int n = std::min<int>(o.jobs, static_cast<int>(std::max<size_t>(items.size(), 1)));
  for (int k = 0; k < n; ++k) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  bar.finish();
  if (mpi::parallel()) {
    Json outcome = Json::array();
    for (size_t i : mine) {
      outcome.push_back(ok[i] ? Json{{"i", i}, {"record", records[i]}, {"reused", bool(reused[i])}}
                              : Json{{"i", i}, {"failure", failure[i]}});
    }
    const std::vector<std::string> parts = mpi::gather(outcome.dump());
    claims.remove();  // every rank has stopped claiming
    if (!mpi::is_root()) {
      res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      return res;  // rank 0 writes the index and reports
    }
    for (const std::string& part : parts) {
      for (const Json& d : Json::parse(part)) {
        const size_t i = d.at("i").get<size_t>();
        ok[i] = d.contains("record");
        if (ok[i]) {
          records[i] = d.at("record");
          reused[i] = d.at("reused").get<bool>();
        } else {
          failure[i] = d.at("failure").get<std::string>();
        }
      }
    }
  }
  for (size_t i = 0; i < items.size(); ++i) {
    if (ok[i]) (reused[i] ? res.reused : res.built) += 1;
    else if (!failure[i].empty()) res.failures.push_back(failure[i]);
  }
  std::vector<Json> good;
  std::vector<std::string> families;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!ok[i]) continue;
    good.push_back(records[i]);
    families.push_back(items[i].family);
  }
  std::sort(res.failures.begin(), res.failures.end());
  res.library = write_library_index(o.out_dir, good, families);
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

Json load_library_index(const fs::path& dir) { return lib::read_index(dir).json; }

std::vector<EntryCheck> check_library(const fs::path& dir) {
  const lib::LibraryIndex index = lib::read_index(dir);
  std::vector<EntryCheck> out;
  for (const lib::IndexEntry& e : index.entries) {
    EntryCheck c{e.name, "ok", ""};
    try {
      const lib::MultiplierRecord r = lib::read_entry_record(index, e);
      lib::read_lut(r);  // LIB-011..015: missing, unreadable, wrong shape or not the recorded table
      if (!r.rtl_sha256.empty()) {
        std::string gone;
        for (const std::string& f : r.sources) {
          std::error_code ec;
          if (gone.empty() && !fs::is_regular_file(f, ec)) gone = f;
        }
        if (!gone.empty()) {
          c = {e.name, "stale", fmt::format("its Verilog source {} is gone; rebuild the multiplier from where its "
                                            "source is now (`transaxx library build`)", gone)};
        } else if (rtl_sha256({r.sources.begin(), r.sources.end()}, r.params) != r.rtl_sha256) {
          c = {e.name, "stale", "its Verilog sources changed since it was characterized; rebuild it "
                                "(`transaxx library build` redoes only the changed multipliers)"};
        }
      }
    } catch (const Error& err) {
      c = {e.name, "corrupted", fmt::format("{} [{}]", err.what(), err.code())};
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::string format_library_table(const Json& lib) {
  std::string s = fmt::format("{:<28} {:<8} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8} {:>9} {:>7} {}\n", "name",
                              "signed", "MAE%", "WCE%", "bias", "err std", "comp bias", "area um2", "delay ns",
                              "power uW", "rel", "pareto");
  // A field a hand-made index lacks shows as "-" rather than failing the listing.
  auto num = [](const Json& m, const char* key, const char* spec) {
    return m.contains(key) && m[key].is_number() ? fmt::format(fmt::runtime(spec), m[key].get<double>())
                                                 : std::string("-");
  };
  for (const auto& m : lib["multipliers"]) {
    const bool is_signed = m.value("signed", false);
    s += fmt::format("{:<28} {:<8} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8} {:>9} {:>7} {}\n",
                     m["name"].get<std::string>(), is_signed ? "signed" : "unsigned", num(m, "mae_pct", "{:.4g}"),
                     num(m, "wce_pct", "{:.4g}"), num(m, "mean_error", "{:.4g}"), num(m, "error_std", "{:.4g}"),
                     num(m, "comp_mean_error", "{:.3f}"),
                     num(m, "area_um2", "{:.1f}"), num(m, "delay_ns", "{:.3f}"), num(m, "power_uw", "{:.2f}"),
                     num(m, "power_rel_exact", "{:.3f}"), m.value("pareto", false) ? "*" : "");
  }
  return s;
}

}  // namespace axx::flows

namespace axx::flows {

std::string format_family_table(const Json& lib) {
  // Per family: the Pareto-optimal instance that saves the most power; families without one
  // show their closest instance (lowest power) in parentheses.
  std::map<std::string, std::vector<const Json*>> by_family;
  for (const auto& m : lib["multipliers"]) by_family[m.value("family", std::string())].push_back(&m);
  std::string s = "| family | instances | best on the Pareto front | signed | MAE % | area um2 | power vs exact |\n"
                  "|---|---|---|---|---|---|---|\n";
  for (const auto& [family, members] : by_family) {
    const Json* best = nullptr;
    bool on_front = false;
    for (const Json* m : members) {
      const bool front = (*m)["pareto"].get<bool>();
      const double p = (*m)["power_uw"].get<double>();
      if (!best || (front && !on_front) || (front == on_front && p < (*best)["power_uw"].get<double>())) {
        best = m;
        on_front = front;
      }
    }
    const Json& b = *best;
    const std::string rel = b["power_rel_exact"].is_null() ? std::string("-")
                                                           : fmt::format("{:.3f}", b["power_rel_exact"].get<double>());
    const std::string name = b["name"].get<std::string>();
    s += fmt::format("| {} | {} | {} | {} | {:.4g} | {:.0f} | {} |\n", family.empty() ? "(files)" : family,
                     members.size(), on_front ? name : "(none; closest " + name + ")",
                     b["signed"].get<bool>() ? "yes" : "no", b["mae_pct"].get<double>(), b["area_um2"].get<double>(),
                     rel);
  }
  return s;
}

}  // namespace axx::flows
