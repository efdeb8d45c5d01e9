// Helpers shared by the tests that run tools and the program: temporary folders and running the transaxx program.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "common/fs.hpp"
#include "common/subprocess.hpp"

extern "C" char** environ;

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

/// Starts the transaxx program with `args` in the background, its output discarded, for tests
/// that kill it halfway; returns its pid, or -1 when it could not be started.
inline pid_t spawn_quiet(const std::vector<std::string>& args) {
  std::vector<std::string> all = {AXX_TRANSAXX_EXE};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
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
