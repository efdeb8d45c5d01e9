// Flow stage "report": one self-contained HTML file (inline SVG, no scripts, no network) and
// the same numbers as JSON — the multiplier library, the error maps of the multipliers the
// design uses, the layer sensitivity, the fronts with baselines, the chosen configurations
// before and after fine-tuning, and the accelerator.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "common/error.hpp"
#include "common/fs.hpp"
#include "common/image.hpp"
#include "common/library_folder.hpp"
#include "common/plot_frame.hpp"
#include "flows/flow_stages.hpp"

namespace axx::flows {

namespace fs = std::filesystem;

namespace {

/// An SVG file's markup for inlining (XML declaration and doctype dropped); a note when missing.
std::string inline_svg(const fs::path& path) {
  std::error_code ec;
  if (path.empty() || !fs::is_regular_file(path, ec)) {
    return fmt::format("<p class=\"missing\">(no picture: {} is missing)</p>", xml_escape(path.string()));
  }
  std::string s = read_file(path);
  const size_t start = s.find("<svg");
  if (start == std::string::npos) return "<p class=\"missing\">(not an SVG file)</p>";
  return s.substr(start);
}

std::string pct(double fraction, int digits = 2) { return fmt::format("{:.{}f} %", 100 * fraction, digits); }

Json value_at(const Json& j, std::initializer_list<const char*> path) {
  const Json* cur = &j;
  for (const char* k : path) {
    if (!cur->is_object() || !cur->contains(k)) return nullptr;
    cur = &cur->at(k);
  }
  return *cur;
}

std::string num(const Json& v, const char* fmt_spec = "{:.3g}") {
  if (v.is_number()) return fmt::format(fmt::runtime(fmt_spec), v.get<double>());
  if (v.is_null()) return "–";
  return xml_escape(v.is_string() ? v.get<std::string>() : v.dump());
}

/// Each fine-tuned point as an arrow from its top-1 before fine-tuning (hollow) to after (filled)
/// against its multiplier power, over the band within max_drop of exact 8-bit; the headline in
/// red, the others blue. Byte-stable (fixed formatting, no timestamps).
std::string finetune_svg(const Json& points, double exact8, double max_drop, const Json& headline) {
  if (points.empty()) return "";
  const double W = 640, H = 360, ml = 64, mr = 24, mt = 24, mb = 50;
  double x0 = 1, x1 = 0, y0 = exact8 - max_drop, y1 = exact8;
  for (const auto& p : points) {
    const double x = p.at("power_rel").get<double>();
    x0 = std::min(x0, x);
    x1 = std::max(x1, x);
    for (const char* k : {"before_top1", "after_top1"}) {
      y0 = std::min(y0, p.at(k).get<double>());
      y1 = std::max(y1, p.at(k).get<double>());
    }
  }
  if (x1 - x0 < 0.02) {
    x0 -= 0.01;
    x1 += 0.01;
  }
  PlotFrame f{W, H, ml, mr, mt, mb, x0, x1, y0, y1};
  f.pad(0.12, 0.08, 1e-4);
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0f}\" height=\"{:.0f}\" font-family=\"sans-serif\" "
      "font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<defs><marker id=\"ft-arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" "
      "markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker></defs>\n",
      W, H);
  // The band a design must land in, and exact 8-bit.
  s += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"#e3f1e3\"/>\n", ml,
                   f.Y(exact8), W - ml - mr, f.Y(exact8 - max_drop) - f.Y(exact8));
  s += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" stroke=\"#2ca02c\" "
                   "stroke-dasharray=\"5,3\"/><text x=\"{3:.1f}\" y=\"{4:.1f}\" text-anchor=\"end\" fill=\"#2ca02c\">"
                   "exact 8-bit {5:.2f} %; shaded: within {6:.2g} pt</text>\n",
                   ml, f.Y(exact8), W - mr, W - mr - 4, f.Y(exact8) - 5, 100 * exact8, 100 * max_drop);
  s += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" stroke=\"#333\"/>\n",
                   ml, mt, W - ml - mr, H - mt - mb);
  for (int i = 0; i <= 4; ++i) {
    const double vx = f.x0 + (f.x1 - f.x0) * i / 4, vy = f.y0 + (f.y1 - f.y0) * i / 4;
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{:.3f}</text>", f.X(vx), H - mb + 16, vx);
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{:.1f} %</text>\n", ml - 6, f.Y(vy) + 4, 100 * vy);
  }
  s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">multiplier energy relative to exact "
                   "8-bit</text>\n<text transform=\"translate(14,{:.1f}) rotate(-90)\" text-anchor=\"middle\">top-1 "
                   "before (hollow) and after fine-tuning</text>\n",
                   ml + (W - ml - mr) / 2, H - 12, mt + (H - mt - mb) / 2);
  size_t k = 0;
  for (const auto& p : points) {
    const double x = p.at("power_rel").get<double>(), b = p.at("before_top1").get<double>(),
                 a = p.at("after_top1").get<double>();
    const char* col = !headline.is_null() && headline.at("config") == p.at("config") ? "#d62728" : "#1f77b4";
    if (std::fabs(f.Y(a) - f.Y(b)) > 8) {
      s += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#555\" "
                       "marker-end=\"url(#ft-arrow)\"/>\n",
                       f.X(x), f.Y(b) + (a > b ? -4 : 4), f.Y(a) + (a > b ? 5 : -5));
    }
    s += fmt::format("<circle cx=\"{0:.1f}\" cy=\"{1:.1f}\" r=\"4\" fill=\"white\" stroke=\"{3}\" stroke-width=\"1.5\"/>"
                     "<circle cx=\"{0:.1f}\" cy=\"{2:.1f}\" r=\"4.5\" fill=\"{3}\"/>"
                     "<text x=\"{4:.1f}\" y=\"{5:.1f}\">{6} {7}</text>\n",
                     f.X(x), f.Y(b), f.Y(a), col, f.X(x) + 8, f.Y(a) + 4, k++, xml_escape(p.value("algo", "")));
  }
  s += "</svg>\n";
  return s;
}

const char* kStyle = R"(
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1100px;
       color: #1d2433; line-height: 1.45; padding: 0 1em; }
h1 { font-size: 1.7em; margin-bottom: .2em; } h2 { margin-top: 2em; border-bottom: 1px solid #d8dde6; }
.lead { color: #566074; }
.cards { display: flex; flex-wrap: wrap; gap: .8em; margin: 1.2em 0; }
.card { border: 1px solid #d8dde6; border-radius: 8px; padding: .7em 1em; min-width: 11em; }
.card b { display: block; font-size: 1.45em; }
table { border-collapse: collapse; margin: .8em 0; font-size: .92em; }
th, td { border: 1px solid #d8dde6; padding: .3em .6em; text-align: right; }
th { background: #f2f4f8; } td.l, th.l { text-align: left; }
.fig svg { max-width: 100%; height: auto; }
.grid { display: flex; flex-wrap: wrap; gap: 1em; } .grid > div { flex: 1 1 300px; }
.missing { color: #a33; } code { font-size: .88em; } details { margin: .5em 0; }
)";

}  // namespace

StageDef report_stage() {
  StageDef s;
  s.name = "report";
  s.what = "report.html and report.json";
  // 2: section 5 plots each fine-tuned point before and after fine-tuning (2026-12-03).
  s.results_version = 2;
  s.reads = {"characterize", "model", "calibrate", "sensitivity", "search", "finetune", "hwgen"};
  s.inputs = [](const FlowSpec& spec) { return Json{{"report", spec.table("report")}, {"flow", spec.name}}; };
  s.run = [](StageContext& ctx) {
    const FlowSpec& spec = ctx.spec();
    const Json& lib_out = ctx.outputs_of("characterize");
    const Json& cal = ctx.outputs_of("calibrate");
    const Json& sens = ctx.outputs_of("sensitivity");
    const Json& search = ctx.outputs_of("search");
    const Json& ft = ctx.outputs_of("finetune");
    const Json& hw = ctx.outputs_of("hwgen");
    const fs::path lib = lib_out.at("library").get<std::string>();
    const lib::LibraryIndex library = lib::read_index(lib);
    const Json summary = read_json_file(search.at("summary").get<std::string>());
    const Json manifest = read_json_file(hw.at("manifest").get<std::string>());
    const std::string title =
        spec.table("report").at("title").get<std::string>().empty()
            ? fmt::format("transaxx co-design report: {}", spec.name)
            : spec.table("report").at("title").get<std::string>();

    // Multipliers the design point and the chosen configurations use.
    std::set<std::string> used;
    auto collect = [&](const std::string& cfg_path) {
      const Json cfg = read_json_file(cfg_path);
      if (cfg.contains("default") && cfg["default"].is_string()) used.insert(cfg["default"].get<std::string>());
      const Json layers = cfg.value("layers", Json::object());
  for (const auto& [layer, m] : layers.items()) used.insert(m.get<std::string>());
    };
    for (const auto& p : ft.at("points")) collect(p.at("config").get<std::string>());
    collect(hw.at("config").get<std::string>());
    used.erase("exact");
    used.erase("fp32");

    const double fp32 = cal.at("fp32_top1").get<double>(), exact8 = cal.at("exact8_top1").get<double>();
    Json report{{"flow", spec.name},
                {"title", title},
                {"model", ctx.outputs_of("model")},
                {"baseline", {{"fp32_top1", fp32}, {"exact8_top1", exact8}, {"images", cal.at("images")}}},
                {"library", {{"folder", lib.string()}, {"multipliers", library.entries.size()}}},
                {"search", summary},
                {"chosen", ft.at("points")},
                {"multipliers_used", Json(std::vector<std::string>(used.begin(), used.end()))},
                {"accelerator",
                 {{"design", hw.at("design")},
                  {"parameters", value_at(manifest, {"parameters"})},
                  {"modes", value_at(manifest, {"modes"})},
                  {"schedule_total", value_at(manifest, {"schedule", "total"})},
                  {"verification", value_at(manifest, {"verification"})}}}};

    // Headline: the cheapest fine-tuned point measured within the allowed drop after fine-tuning
    // (the finetune stage's; chosen points below the window are never fine-tuned).
    const double max_drop = spec.table("finetune").at("max_drop").get<double>();
    Json best = ft.value("headline", Json(nullptr));
    report["headline"] = best;

    std::string h;
    h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
    h += fmt::format("<title>{}</title>\n<style>{}</style></head><body>\n", xml_escape(title), kStyle);
    h += fmt::format("<h1>{}</h1>\n<p class=\"lead\">Approximate 8-bit multipliers characterized from Verilog, a "
                     "Vision Transformer emulated with them layer by layer, a searched accuracy&ndash;power front, "
                     "fine-tuning, and a verified systolic-array accelerator. Flow file <code>{}</code>.</p>\n",
                     xml_escape(title), xml_escape(spec.file.string()));
    h += "<div class=\"cards\">";
    h += fmt::format("<div class=\"card\">FP32 top-1<b>{}</b></div>", pct(fp32));
    h += fmt::format("<div class=\"card\">exact 8-bit top-1<b>{}</b></div>", pct(exact8));
    if (!best.is_null()) {
      h += fmt::format("<div class=\"card\">multiplier power saved<b>{}</b>at {} top-1 after fine-tuning ({} "
                       "before)</div>",
                       pct(1 - best.at("power_rel").get<double>(), 1), pct(best.at("after_top1").get<double>()),
                       pct(best.at("before_top1").get<double>()));
      h += fmt::format("<p class=\"lead\"><b>Result:</b> {}.</p>\n", xml_escape(headline_line(best)));
    }
    h += fmt::format("<div class=\"card\">multipliers in the library<b>{}</b></div>", library.entries.size());
    const Json area = value_at(manifest, {"verification", "synthesis", "area_um2"});
    if (area.is_number()) {
      h += fmt::format("<div class=\"card\">accelerator area<b>{:.3f} mm²</b>{}×{} PEs</div>",
                       area.get<double>() / 1e6, num(value_at(manifest, {"parameters", "rows"}), "{:.0f}"),
                       num(value_at(manifest, {"parameters", "cols"}), "{:.0f}"));
    }
    h += "</div>\n";

    // 1. The library.
    h += "<h2>1. Multiplier library</h2>\n";
    h += fmt::format("<p>{} multipliers characterized with Yosys (OSU 0.18 µm cells), exhaustive Verilator "
                     "simulation and gate-level switching power. Folder <code>{}</code>.</p>\n",
                     library.entries.size(), xml_escape(lib.string()));
    h += "<div class=\"fig\">" + inline_svg(lib / "library.svg") + "</div>\n";
    h += "<details><summary>Library table</summary><table><tr><th class=\"l\">multiplier</th><th>signed</th>"
         "<th>MAE %</th><th>WCE %</th><th>area µm²</th><th>power µW</th><th>pJ/op</th><th>Pareto</th></tr>\n";
    for (const auto& entry : library.entries) {
      const Json& m = entry.json;
      h += fmt::format("<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                       "<td>{}</td></tr>\n",
                       xml_escape(m.value("name", "")), m.value("signed", false) ? "yes" : "no",
                       num(m.value("mae_pct", Json(nullptr)), "{:.4f}"), num(m.value("wce_pct", Json(nullptr)), "{:.3f}"),
                       num(m.value("area_um2", Json(nullptr)), "{:.0f}"), num(m.value("power_uw", Json(nullptr)), "{:.1f}"),
                       num(m.value("energy_pj_per_op", Json(nullptr)), "{:.4f}"), m.value("pareto", false) ? "✓" : "");
    }
    h += "</table></details>\n";

    // 2. Error maps of the multipliers in use.
    h += "<h2>2. Error maps of the multipliers in the chosen configurations</h2>\n<div class=\"grid\">";
    for (const auto& m : used) {
      h += fmt::format("<div class=\"fig\"><p><b>{}</b></p>{}</div>", xml_escape(m), inline_svg(lib / (m + ".error.svg")));
    }
    if (used.empty()) h += "<p>The chosen configurations use only the exact multiplier.</p>";
    h += "</div>\n";

    // 3. Sensitivity.
    h += "<h2>3. Layer sensitivity</h2>\n<p>Top-1 drop with one layer approximated at a time (the others exact "
         "8-bit).</p>\n";
    h += "<div class=\"fig\">" + inline_svg(sens.at("svg").get<std::string>()) + "</div>\n";

    // 4. Fronts.
    h += "<h2>4. Accuracy&ndash;power front</h2>\n";
    h += "<div class=\"fig\">" + inline_svg(search.at("svg").get<std::string>()) + "</div>\n";
    h += "<table><tr><th class=\"l\">algorithm</th><th>hypervolume</th><th>configurations scored</th><th>front "
         "points</th></tr>\n";
    for (const auto& a : summary.value("algorithms", Json::array())) {
      h += fmt::format("<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                       xml_escape(a.value("algo", "")), num(a.value("hypervolume", Json(nullptr)), "{:.4f}"),
                       num(a.value("evaluations", Json(nullptr)), "{:.0f}"), num(a.value("front_size", Json(nullptr)), "{:.0f}"));
    }
    h += "</table>\n";
    // The uniform configurations the front must dominate (one multiplier on every layer).
    const Json uniform = summary.value("uniform", Json::array());
    if (!uniform.empty()) {
      size_t dominated = 0;
      for (const auto& u : uniform) dominated += u.value("dominated", false) ? 1 : 0;
      h += fmt::format("<p>One multiplier on every layer ({} uniform configurations, measured on the same test "
                       "images): the searched fronts dominate {} of them.</p>\n",
                       uniform.size(), dominated);
      h += "<details><summary>Uniform configurations</summary><table><tr><th class=\"l\">multiplier</th>"
           "<th>multiplier power (rel. exact)</th><th>top-1 (subset)</th><th>top-1 (test set)</th>"
           "<th>dominated by the front</th></tr>\n";
      for (const auto& u : uniform) {
        h += fmt::format("<tr><td class=\"l\">{}</td><td>{:.3f}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                         xml_escape(u.value("multiplier", "")), u.value("power_rel", 0.0),
                         pct(u.value("accuracy", 0.0)), pct(u.value("accuracy_full", 0.0)),
                         u.value("dominated", false) ? "✓" : "no");
      }
      h += "</table></details>\n";
    }

    // 5. Chosen configurations.
    h += fmt::format("<h2>5. Chosen configurations</h2>\n<p>Fine-tuned one at a time, in this order: each the "
                     "cheapest front point within {} of exact 8-bit before fine-tuning that is predicted to land "
                     "within {} after it (its top-1 before plus what fine-tuning won back on the points before it), "
                     "cheaper than any that landed; the headline is the cheapest of them measured within {} after "
                     "fine-tuning.</p>\n",
                     pct(std::max(spec.table("finetune").at("window").get<double>(), max_drop)), pct(max_drop), pct(max_drop));
    h += "<table><tr><th class=\"l\">point</th><th class=\"l\">from</th><th>multiplier power (rel. "
         "exact)</th><th>multiplier energy / image</th><th>top-1 in search (subset)</th><th>top-1 before fine-tuning</th><th>top-1 "
         "after, predicted</th><th>top-1 after</th><th class=\"l\">within "
      + pct(max_drop) + "</th><th class=\"l\">config</th></tr>\n";
    size_t k = 0;
    for (const auto& p : ft.at("points")) {
      const Json& pred = p.value("predicted_top1", Json(nullptr));
      const bool within = p.at("within_max_drop").get<bool>();
      const bool is_headline = !best.is_null() && best.value("config", "") == p.value("config", "");
      h += fmt::format("<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{:.3f}</td><td>{}</td><td>{}</td><td>{}</td>"
                       "<td>{}</td><td>{}</td><td class=\"l\">{}</td><td class=\"l\"><code>{}</code></td></tr>\n",
                       k++, xml_escape(p.value("algo", "")), p.at("power_rel").get<double>(),
                       p.value("energy_pj", 0.0) > 0 ? fmt::format("{:.2f} µJ", p.value("energy_pj", 0.0) / 1e6) : "–",
                       pct(p.at("search_accuracy").get<double>()), pct(p.at("before_top1").get<double>()),
                       pred.is_number() ? pct(pred.get<double>()) : "–", pct(p.at("after_top1").get<double>()),
                       is_headline ? "yes: the headline" : within ? "yes" : "no: not a design",
                       xml_escape(fs::relative(p.at("config").get<std::string>(), ctx.flow_dir()).string()));
    }
    if (ft.at("points").empty()) h += "<tr><td class=\"l\" colspan=\"10\">no point was fine-tuned</td></tr>\n";
    h += "</table>\n";
    if (!ft.at("points").empty()) {
      h += "<div class=\"fig\">" +
           finetune_svg(ft.at("points"), ctx.outputs_of("calibrate").at("exact8_top1").get<double>(), max_drop, best) +
           "</div>\n";
    }

    // 6. Accelerator.
    h += "<h2>6. Accelerator</h2>\n";
    const Json par = value_at(manifest, {"parameters"});
    const Json tot = value_at(manifest, {"schedule", "total"});
    const Json ver = value_at(manifest, {"verification"});
    h += fmt::format("<p>{}×{} {} systolic array, {}-bit accumulators, {} mode(s); Verilog in <code>{}</code>.</p>\n",
                     num(value_at(par, {"rows"}), "{:.0f}"), num(value_at(par, {"cols"}), "{:.0f}"),
                     num(value_at(par, {"dataflow"})), num(value_at(par, {"acc_bits"}), "{:.0f}"),
                     value_at(manifest, {"modes"}).is_array() ? manifest["modes"].size() : 0,
                     xml_escape(hw.at("design").get<std::string>()));
    h += "<table>";
    auto row = [&](const std::string& name, const std::string& v) {
      h += fmt::format("<tr><th class=\"l\">{}</th><td>{}</td></tr>\n", name, v);
    };
    row("cycles per inference", num(value_at(tot, {"cycles"}), "{:.0f}"));
    row("time per inference", num(value_at(tot, {"time_us"}), "{:.1f}") + " µs");
    row("utilization (cycle model)", num(value_at(tot, {"utilization"}), "{:.3f}"));
    if (!ver.is_null()) {
      row("lint (verilator -Wall)", value_at(ver, {"lint", "clean"}) == Json(true) ? "clean" : "warnings");
      row("simulation vs. emulator", fmt::format("{} tiles, {} mismatches, cycles = model: {}",
                                                 value_at(ver, {"simulation", "tiles"}).is_array()
                                                     ? ver["simulation"]["tiles"].size()
                                                     : 0,
                                                 num(value_at(ver, {"simulation", "errors"}), "{:.0f}"),
                                                 num(value_at(ver, {"simulation", "cycles_match_model"}))));
      row("area (Yosys, OSU 0.18 µm)", num(value_at(ver, {"synthesis", "area_um2"}), "{:.0f}") + " µm², " +
                                           num(value_at(ver, {"synthesis", "cells"}), "{:.0f}") + " cells");
      row("energy per inference (PE array)", num(value_at(ver, {"power", "energy_per_inference_uj"}), "{:.3f}") + " µJ");
      for (const auto& m : value_at(ver, {"power", "modes"}).is_array() ? ver["power"]["modes"] : Json::array()) {
        row("mode " + xml_escape(m.value("multiplier", "")),
            num(m.value("array_power_uw", Json(nullptr)), "{:.1f}") + " µW busy, " +
                num(m.value("pe_busy_pj_per_cycle", Json(nullptr)), "{:.3f}") + " pJ/MAC");
      }
      row("power operands", xml_escape(hw.value("power_operands", "")));
    } else {
      row("verification", "not run (hwgen verify = false)");
    }
    h += "</table>\n";

    // 7. Provenance.
    h += "<h2>7. How this was made</h2>\n<p>Every stage's commands, inputs' hashes and logs are in its folder "
         "(<code>stage.json</code>, <code>logs/</code>); rerunning the flow skips stages whose inputs are unchanged.</p>\n";
    h += "<table><tr><th class=\"l\">stage</th><th class=\"l\">commands</th></tr>\n";
    for (const auto& st : flow_stage_names()) {
      if (st == "report") continue;
      const fs::path rec = ctx.flow_dir() / st / "stage.json";
      if (!fs::exists(rec)) continue;
      const Json r = read_json_file(rec);
      std::string cmds;
      for (const auto& c : r.value("commands", Json::array())) {
        cmds += "<code>" + xml_escape(c.value("command", "")) + "</code><br>";
      }
      h += fmt::format("<tr><td class=\"l\">{}</td><td class=\"l\">{}</td></tr>\n", st, cmds.empty() ? "–" : cmds);
    }
    h += "</table>\n</body></html>\n";

    write_file_atomic(ctx.dir() / "report.html", h);
    write_json_atomic(ctx.dir() / "report.json", report);
    return Json{{"html", (ctx.dir() / "report.html").string()}, {"json", (ctx.dir() / "report.json").string()}};
  };
  s.required_files = [](const Json&) { return std::vector<std::string>{"report.html", "report.json"}; };
  return s;
}

}  // namespace axx::flows
