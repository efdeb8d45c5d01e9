// transaxx — running external programs (Yosys, Verilator, the C++ compiler).
//
// Programs are started from an argument vector, never through a shell, so file names with
// spaces or shell characters are passed as they are. Output goes to a log file that stays in
// the run folder; the command line is written at the top of the log so a run can be repeated.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace axx {

/// Full path of `name` found on PATH (or `name` itself if it contains a '/' and is executable);
/// empty when not found.
std::string find_program(const std::string& name);

struct ProcessOptions {
  ProcessOptions(std::filesystem::path cwd_ = {}, std::filesystem::path log_ = {},
                 std::vector<std::pair<std::string, std::string>> env_ = {})
      : cwd(std::move(cwd_)), log(std::move(log_)), env(std::move(env_)) {}
  std::filesystem::path cwd;          ///< working folder; empty = current
  std::filesystem::path log;          ///< stdout+stderr go here (truncated first); empty = /dev/null
  std::vector<std::pair<std::string, std::string>> env;  ///< variables added to the environment
  /// Called every tick_ms while the child runs (e.g. to redraw a progress line from the log);
  /// empty = block in waitpid. Must not throw.
  std::function<void()> on_tick;
  int tick_ms = 500;  ///< ms between ticks, ≥ 10
};

/// Runs argv[0] (looked up on PATH) with the arguments and waits. Returns the exit status
/// (128 + signal number when killed by a signal). Throws axx::Error "PROC-001" when the
/// program is not found, "PROC-004" when the log cannot be created, "PROC-005" when it cannot be
/// started, "PROC-006" when waiting for it fails. The child is killed if this process dies.
int run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

/// Runs a program (e.g. `tool --version`) and returns the first line it printed, without the
/// line end; "" when it printed nothing. Throws "PROC-001" when it cannot be started.
std::string first_output_line(const std::vector<std::string>& argv);

/// Quotes an argument vector for display (shell-like quoting, for logs and messages only).
std::string quote_command(const std::vector<std::string>& argv);

/// Runs a tool and throws axx::Error(code) if it exits non-zero. The message names the tool,
/// its exit status, the log path, and the last lines of the log.
void run_tool_checked(const std::string& code, const std::string& what, const std::vector<std::string>& argv,
                      const ProcessOptions& options);

/// Throws axx::Error "PROC-002" naming the Debian package when `program` is not on PATH.
void require_program(const std::string& program, const std::string& debian_package);

}  // namespace axx
