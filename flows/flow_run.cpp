#include "flows/flow_run.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <cstdio>
#include <iostream>

#include "common/error.hpp"
#include "common/fs.hpp"
#include "common/sha256.hpp"
#include "common/subprocess.hpp"
#include "flows/flow_stages.hpp"

namespace axx::flows {

namespace fs = std::filesystem;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string clock_text(double s) {
  const int64_t t = int64_t(s);
  return t >= 3600 ? fmt::format("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60)
                   : fmt::format("{:02}:{:02}", t / 60, t % 60);
}

/// The live line: "[4/8] sensitivity 01:23 | <the command's latest progress line>".
class StageDisplay {
 public:
  explicit StageDisplay(bool enabled) : enabled_(enabled), tty_(::isatty(2) == 1) {}
  void begin(int index, int total, const std::string& stage) {
    index_ = index, total_ = total, stage_ = stage;
    t0_ = std::chrono::steady_clock::now();
    last_print_ = t0_;
    last_line_.clear();
  }
  void set_log(const fs::path& log) { log_ = log; }
  void tick() {
    if (!enabled_ || log_.empty()) return;
    std::string line = tail_lines(log_, 1);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (const size_t cr = line.rfind('\r'); cr != std::string::npos) line = line.substr(cr + 1);
    if (line.rfind("# ", 0) == 0) line.clear();  // the log's command header
    const std::string head = fmt::format("[{}/{}] {} {}", index_, total_, stage_, clock_text(seconds_since(t0_)));
    if (tty_) {
      std::string text = line.empty() ? head : head + " | " + line;
      if (text.size() > 118) text = text.substr(0, 117) + "…";
      std::fprintf(stderr, "\r\033[K%s", text.c_str());
      std::fflush(stderr);
      drawn_ = true;
    } else if (line != last_line_ && seconds_since(last_print_) >= 10) {
      std::fprintf(stderr, "%s | %s\n", head.c_str(), line.c_str());
      last_print_ = std::chrono::steady_clock::now();
      last_line_ = line;
    }
  }
  void message(const std::string& text) {
    if (tty_ && drawn_) std::fprintf(stderr, "\r\033[K");
    drawn_ = false;
    std::fprintf(stderr, "%s\n", text.c_str());
    std::fflush(stderr);
  }

 private:
  bool enabled_, tty_, drawn_ = false;
  int index_ = 0, total_ = 0;
  std::string stage_, last_line_;
  fs::path log_;
  std::chrono::steady_clock::time_point t0_, last_print_;
};

fs::path self_exe() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error("FLOW-021", "cannot find the transaxx program (/proc/self/exe); give its path");
  return p;
}

/// Stage `stage` needs the results of stage `needed`, which has not run in `flow_dir` (FLOW-004).
[[noreturn]] void needs_earlier_stage(const std::string& stage, const std::string& needed, const fs::path& flow_dir) {
  throw Error("FLOW-004", fmt::format("stage '{}' needs the results of stage '{}', which has not run in {}; run the "
                                      "flow from stage '{}' (or the whole flow)",
                                      stage, needed, flow_dir.string(), needed));
}

Json read_stage_record(const fs::path& dir) {
  const fs::path p = dir / "stage.json";
  if (!fs::exists(p)) return nullptr;
  try {
    Json j = read_json_file(p);
    if (j.value("status", "") != "done") return nullptr;
    return j;
  } catch (const Error&) {
    return nullptr;  // a damaged record means the stage reruns
  }
}

}  // namespace

StageContext::StageContext(const FlowSpec& spec, fs::path flow_dir, std::string stage, fs::path exe,
                           const Json* upstream, std::function<void(const fs::path&)> on_log)
    : spec_(spec),
      flow_dir_(std::move(flow_dir)),
      dir_(flow_dir_ / stage),
      stage_(std::move(stage)),
      exe_(std::move(exe)),
      upstream_(upstream),
      on_log_(std::move(on_log)) {}

const Json& StageContext::outputs_of(const std::string& stage) const {
  if (!upstream_ || !upstream_->contains(stage)) needs_earlier_stage(stage_, stage, flow_dir_);
  return upstream_->at(stage).at("outputs");
}

std::string StageContext::threads() const { return std::to_string(spec_.table("flow").at("threads").get<int64_t>()); }

std::string StageContext::device() const { return spec_.table("flow").at("device").get<std::string>(); }

Json StageContext::command_record(const std::string& step, const std::vector<std::string>& argv) {
  return Json{{"step", step}, {"argv", argv}, {"command", quote_command(argv)}};
}

void StageContext::run(const std::string& step, const std::vector<std::string>& args) {
  fs::create_directories(dir_ / "logs");
  const fs::path log = dir_ / "logs" / fmt::format("{:02}-{}.log", commands_.size() + 1, step);
  // The commands whose work is a list of items run under [flow] launcher (mpirun, srun) when set.
  std::vector<std::string> argv;
  const bool item_list = !args.empty() && (args[0] == "sensitivity" || args[0] == "search" ||
                                           (args[0] == "library" && args.size() > 1 && args[1] == "build"));
  if (item_list && spec_.table("flow").contains("launcher")) {
    std::istringstream words(spec_.table("flow").at("launcher").get<std::string>());
    for (std::string w; words >> w;) argv.push_back(w);
  }
  argv.push_back(exe_.string());
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions po;
  po.log = log;
  po.env = {{"TRANSAXX_FLOW", spec_.name}};
  if (on_log_) {
    on_log_(log);
    po.on_tick = [this, log] { on_log_(log); };
  }
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = run_process(argv, po);
  Json rec = command_record(step, argv);
  rec["log"] = fs::relative(log, flow_dir_).string();
  rec["exit"] = rc;
  rec["seconds"] = seconds_since(t0);
  commands_.push_back(rec);
  if (rc != 0) {
    throw Error("FLOW-010", fmt::format("stage '{}' failed: `{}` exited with status {}\n  log: {}\n  last lines:\n{}",
                                        stage_, quote_command(argv), rc, log.string(), tail_lines(log, 12)));
  }
}

bool StageContext::run_once(const std::string& step, const std::vector<std::string>& args, const fs::path& done,
                            const std::vector<fs::path>& outputs) {
  const Json want{{"step", step}, {"args", args}};
  bool reuse = resuming_ && fs::exists(done);
  for (const auto& f : outputs) reuse = reuse && fs::exists(f);
  if (reuse) {
    try {
      reuse = read_json_file(done) == want;
    } catch (const Error&) {
      reuse = false;  // a damaged marker: run the step again
    }
  }
  if (!reuse) {
    if (fs::exists(done)) fs::remove(done);
    run(step, args);
    write_json_atomic(done, want);
    return false;
  }
  std::vector<std::string> argv{exe_.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  Json rec = command_record(step, argv);
  rec["exit"] = 0;
  rec["seconds"] = 0.0;
  rec["reused"] = true;
  commands_.push_back(rec);
  if (on_message_) on_message_(fmt::format("      {}: finished before the interruption, reused", step));
  return true;
}

fs::path flow_run_dir(const FlowSpec& spec, const FlowRunOptions& o) {
  const fs::path runs = o.runs.empty() ? fs::path(spec.table("flow").at("runs").get<std::string>()) : o.runs;
  return fs::absolute(runs / spec.name).lexically_normal();
}

Json stage_inputs(const StageDef& st, const FlowSpec& spec, const std::map<std::string, std::string>& upstream) {
  Json inputs{{"flow_version", kFlowVersion}, {"stage", st.name}, {"settings", st.inputs(spec)},
              {"upstream", Json::object()}};
  if (st.results_version > 1) inputs["results_version"] = st.results_version;
  for (const auto& r : st.reads) {
    if (upstream.count(r)) inputs["upstream"][r] = upstream.at(r);
  }
  return inputs;
}

namespace {

void flatten(const Json& j, const std::string& prefix, std::map<std::string, Json>& out) {
  if (j.is_object() && !j.empty()) {
    for (const auto& [k, v] : j.items()) flatten(v, prefix.empty() ? k : prefix + "." + k, out);
  } else {
    out[prefix] = j;
  }
}

std::string short_value(const Json* v) {
  if (!v) return "(unset)";
  std::string s = v->dump();
  return s.size() > 40 ? s.substr(0, 37) + "..." : s;
}

}  // namespace

std::vector<std::string> input_changes(const Json& before, const Json& now) {
  std::vector<std::string> why;
  if (before.value("flow_version", Json()) != now.value("flow_version", Json())) {
    why.push_back("the flow format of transaxx changed");
  }
  const int rv_before = before.value("results_version", 1), rv_now = now.value("results_version", 1);
  if (rv_before != rv_now) {
    why.push_back(fmt::format("this transaxx computes the stage's results differently (results version {} -> {})",
                              rv_before, rv_now));
  }
  std::map<std::string, Json> a, b;
  flatten(before.value("settings", Json::object()), "", a);
  flatten(now.value("settings", Json::object()), "", b);
  for (const auto& [k, v] : b) {
    const auto it = a.find(k);
    if (it == a.end() || it->second != v) {
      why.push_back(fmt::format("{} {} -> {}", k, short_value(it == a.end() ? nullptr : &it->second), short_value(&v)));
    }
  }
  for (const auto& [k, v] : a) {
    if (!b.count(k)) why.push_back(fmt::format("{} {} -> (unset)", k, short_value(&v)));
  }
  const Json ua = before.value("upstream", Json::object()), ub = now.value("upstream", Json::object());
  for (const auto& [k, v] : ub.items()) {
    if (!ua.contains(k) || ua[k] != v) why.push_back(fmt::format("earlier stage '{}' changed", k));
  }
  return why;
}

FlowRunResult run_flow(const FlowSpec& spec, const FlowRunOptions& o) {
  const std::vector<StageDef> stages = flow_stages();
  auto index_of = [&](const std::string& name, const char* role) -> int {
    for (size_t i = 0; i < stages.size(); ++i) {
      if (stages[i].name == name) return int(i);
    }
    throw UsageError("FLOW-005", fmt::format("{} '{}': no such stage; the stages are {}", role, name,
                                             [&] {
                                               std::string s;
                                               for (const auto& st : stages) s += (s.empty() ? "" : ", ") + st.name;
                                               return s;
                                             }()));
  };
  int first = 0, last = int(stages.size()) - 1;
  if (!o.only.empty()) {
    if (!o.from.empty() || !o.to.empty()) {
      throw UsageError("FLOW-018", "a single stage to run excludes a first and a last stage; give one or the other");
    }
    first = last = index_of(o.only, "the stage to run");
  }
  if (!o.from.empty()) first = index_of(o.from, "the first stage");
  if (!o.to.empty()) last = index_of(o.to, "the last stage");
  if (first > last) {
    throw UsageError("FLOW-019", fmt::format("the first stage '{}' comes after the last stage '{}'", stages[first].name,
                                             stages[last].name));
  }

  FlowRunResult result;
  result.dir = flow_run_dir(spec, o);
  ensure_writable_dir(result.dir);
  const fs::path exe = o.exe.empty() ? self_exe() : o.exe;
  StageDisplay display(o.progress);
  Json records = Json::object();  // stage → stage.json of every stage done so far
  std::map<std::string, std::string> hashes;  // stage → inputs hash as the flow file says now

  for (int i = 0; i < int(stages.size()); ++i) {
    const StageDef& st = stages[i];
    const fs::path dir = result.dir / st.name;
    const Json inputs = stage_inputs(st, spec, hashes);
    const std::string hash = sha256_hex(inputs.dump());
    hashes[st.name] = hash;
    const Json previous = read_stage_record(dir);
    const bool selected = i >= first && i <= last;

    if (!selected) {
      if (i < first && !previous.is_null()) {
        records[st.name] = previous;
        if (previous.value("inputs_sha256", "") != hash) {
          display.message(fmt::format("note: stage '{}' is out of date with {} (run it again with --from {})",
                                      st.name, spec.file.filename().string(), st.name));
        }
        // Downstream hashes follow what is actually on disk.
        hashes[st.name] = previous.value("inputs_sha256", hash);
      }
      result.stages.push_back({st.name, "not selected", 0});
      continue;
    }
    for (const auto& r : st.reads) {
      if (!records.contains(r)) needs_earlier_stage(st.name, r, result.dir);
    }
    bool up_to_date = !o.force && !previous.is_null() && previous.value("inputs_sha256", "") == hash;
    if (up_to_date && st.required_files) {
      for (const auto& f : st.required_files(previous.at("outputs"))) up_to_date &= fs::exists(dir / f);
    }
    if (up_to_date) {
      records[st.name] = previous;
      display.message(fmt::format("[{}/{}] {}: up to date (skipped)", i + 1, stages.size(), st.name));
      result.stages.push_back({st.name, "skipped", 0});
      continue;
    }

    // A stage started from other inputs (or finished with them) leaves work that would be
    // resumed wrongly: clear it, unless the stage's own work is incremental.
    const fs::path started = dir / "stage.started.json";
    std::string started_hash;
    if (fs::exists(started)) {
      try {
        started_hash = read_json_file(started).value("inputs_sha256", "");
      } catch (const Error&) {
      }
    }
    const bool changed = !previous.is_null() && previous.value("inputs_sha256", "") != hash;
    const bool stale = changed || (!started_hash.empty() && started_hash != hash) || o.force;
    if (stale && !st.keep_on_change && fs::exists(dir)) fs::remove_all(dir);
    if (fs::exists(dir / "stage.json")) fs::remove(dir / "stage.json");
    fs::create_directories(dir);
    write_json_atomic(started, Json{{"inputs_sha256", hash}});
    const bool resuming = started_hash == hash;

    display.begin(i + 1, int(stages.size()), st.name);
    display.message(fmt::format("[{}/{}] {}: {}{}", i + 1, stages.size(), st.name, st.what,
                                resuming ? " (resuming)" : ""));
    if (changed && !o.force) {
      std::vector<std::string> why = input_changes(previous.value("inputs", Json::object()), inputs);
      if (why.size() > 4) {
        const size_t more = why.size() - 3;
        why.resize(3);
        why.push_back(fmt::format("{} more", more));
      }
      if (!why.empty()) display.message(fmt::format("      rerun: {}", fmt::join(why, "; ")));
    }
    const auto t0 = std::chrono::steady_clock::now();
    StageContext ctx(spec, result.dir, st.name, exe, &records, [&display](const fs::path& log) {
      display.set_log(log);
      display.tick();
    });
    ctx.set_resuming(resuming);
    ctx.set_message_sink([&display](const std::string& m) { display.message(m); });
    Json outputs = st.run(ctx);
    const double secs = seconds_since(t0);
    Json record{{"stage", st.name},       {"status", "done"},   {"inputs_sha256", hash}, {"inputs", inputs},
                {"commands", ctx.commands()}, {"outputs", outputs}, {"seconds", secs}};
    write_json_atomic(dir / "stage.json", record);
    fs::remove(started);
    records[st.name] = record;
    display.message(fmt::format("[{}/{}] {}: done in {}", i + 1, stages.size(), st.name, clock_text(secs)));
    result.stages.push_back({st.name, "ran", secs});
  }
  return result;
}

}  // namespace axx::flows
