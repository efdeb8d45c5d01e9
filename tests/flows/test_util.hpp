// Helpers shared by the flows tests: temporary folders and running the transaxx program.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "common/fs.hpp"
#include "common/subprocess.hpp"

namespace axx::test {

namespace fs = std::filesystem;

inline fs::path temp_dir(const std::string& tag) {
  fs::path d = fs::temp_directory_path() / ("axx-test-" + tag + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

inline fs::path data(const std::string& name) { return fs::path(AXX_TEST_DATA_DIR) / name; }
inline fs::path rtl(const std::string& name) { return fs::path(AXX_RTL_DIR) / name; }

struct CliResult {
  int rc;
  std::string output;  ///< stdout and stderr together
};

/// Runs the transaxx program with `args`; `env` entries are added to (or replace) the environment.
inline CliResult run_cli(const std::vector<std::string>& args,
                         const std::vector<std::pair<std::string, std::string>>& env = {}) {
  static int n = 0;
  const fs::path log = fs::temp_directory_path() / ("axx-cli-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
  std::vector<std::string> argv = {AXX_TRANSAXX_EXE};
  argv.insert(argv.end(), args.begin(), args.end());
  const int rc = run_process(argv, {{}, log, env});
  std::string out = read_file(log);
  fs::remove(log);
  return {rc, out};
}

/// Files in `dir` (not recursive) whose extension is one of the outputs of characterize.
inline int count_outputs(const fs::path& dir) {
  int n = 0;
  if (!fs::exists(dir)) return 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    const auto ext = e.path().extension();
    if (e.is_regular_file() && (ext == ".json" || ext == ".npy" || ext == ".svg")) ++n;
  }
  return n;
}

}  // namespace axx::test
