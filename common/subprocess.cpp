#include "common/subprocess.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/fs.hpp"

extern char** environ;

namespace axx {

namespace {

bool is_executable_file(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

[[noreturn]] void wait_failed(const std::string& program) {
  throw Error("PROC-006", fmt::format("waiting for '{}' failed", program));
}

}  // namespace

std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return is_executable_file(name) ? name : "";
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    if (dir.empty()) dir = ".";
    const std::string cand = dir + "/" + name;
    if (is_executable_file(cand)) return cand;
    start = end + 1;
  }
  return "";
}

std::string quote_command(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    const bool plain = !a.empty() && a.find_first_not_of(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == std::string::npos;
    if (plain) {
      out += a;
    } else {
      out += '\'';
      for (char c : a) {
        if (c == '\'') out += "'\\''"; else out += c;
      }
      out += '\'';
    }
  }
  return out;
}

int run_process(const std::vector<std::string>& argv, const ProcessOptions& options) {
  if (argv.empty()) throw Error("PROC-003", "internal: empty command");
  const std::string exe = find_program(argv[0]);
  if (exe.empty()) {
    throw Error("PROC-001", fmt::format("cannot start '{}': not found on PATH", argv[0]));
  }
  // Everything the child needs is prepared before fork(): after it, only async-signal-safe calls.
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e) {
    const std::string kv = *e;
    bool overridden = false;
    for (const auto& [k, v] : options.env) overridden |= kv.rfind(k + "=", 0) == 0;
    if (!overridden) env_store.push_back(kv);
  }
  for (const auto& [k, v] : options.env) env_store.push_back(k + "=" + v);
  std::vector<char*> cenv;
  for (auto& s : env_store) cenv.push_back(s.data());
  cenv.push_back(nullptr);

  int log_fd = -1;
  if (!options.log.empty()) {
    const std::string header = "# " + quote_command(argv) +
                               (options.cwd.empty() ? "" : "\n# cwd: " + options.cwd.string()) + "\n";
    log_fd = ::open(options.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0) {
      throw Error("PROC-004", fmt::format("cannot create log file '{}': {}", options.log.string(),
                                          std::strerror(errno)));
    }
    if (::write(log_fd, header.data(), header.size()) < 0) { /* the log is best effort */ }
  } else {
    log_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  }
  const std::string cwd = options.cwd.string();
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    throw Error("PROC-005", fmt::format("cannot start '{}': fork failed: {}", argv[0], std::strerror(errno)));
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
    ::execve(exe.c_str(), cargv.data(), cenv.data());
    ::_exit(127);
  }
  ::close(log_fd);
  int status = 0;
  if (options.on_tick) {
    // Poll so the caller can show progress; the tick never outlives the child.
    const auto period = std::chrono::milliseconds(std::max(10, options.tick_ms));
    for (;;) {
      const pid_t r = ::waitpid(pid, &status, WNOHANG);
      if (r == pid) break;
      if (r < 0 && errno != EINTR) wait_failed(argv[0]);
      options.on_tick();
      std::this_thread::sleep_for(period);
    }
  } else {
    while (::waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR) wait_failed(argv[0]);
    }
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

std::string first_output_line(const std::vector<std::string>& argv) {
  static std::atomic<unsigned> counter{0};
  const std::filesystem::path tmp = std::filesystem::temp_directory_path() /
                                    fmt::format("axx-output-{}-{}.txt", ::getpid(), counter.fetch_add(1));
  ProcessOptions po;
  po.log = tmp;
  run_process(argv, po);
  std::string text = read_file(tmp);
  std::filesystem::remove(tmp);
  // Skip the "# command" header run_process writes, then keep one line.
  size_t pos = text.find('\n');
  text = pos == std::string::npos ? "" : text.substr(pos + 1);
  pos = text.find_first_of("\r\n");
  return pos == std::string::npos ? text : text.substr(0, pos);
}

void run_tool_checked(const std::string& code, const std::string& what, const std::vector<std::string>& argv,
                      const ProcessOptions& options) {
  const int rc = run_process(argv, options);
  if (rc == 0) return;
  std::string msg = fmt::format("{} failed (exit status {})", what, rc);
  if (!options.log.empty()) {
    msg += fmt::format("; log: {}\n--- last lines of the log ---\n{}", options.log.string(),
                       tail_lines(options.log, 20));
  }
  throw Error(code, msg);
}

void require_program(const std::string& program, const std::string& debian_package) {
  if (find_program(program).empty()) {
    throw Error("PROC-002", fmt::format("'{}' was not found on PATH; install the Debian package '{}' "
                                        "(scripts/setup.sh installs everything transaxx needs)",
                                        program, debian_package));
  }
}

}  // namespace axx
