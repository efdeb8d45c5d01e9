#include "common/fs.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "common/error.hpp"

namespace axx {

namespace {
std::string errno_text() { return std::strerror(errno); }

/// Writing the temporary file's bytes failed (write or sync): removes it and throws IO-005.
[[noreturn]] void write_failed(const fs::path& path, const fs::path& tmp, const std::string& why) {
  ::unlink(tmp.c_str());
  throw Error("IO-005", fmt::format("cannot write '{}': {}", path.string(), why));
}
}  // namespace

void write_file_atomic(const fs::path& path, std::string_view data) {
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    throw Error("IO-001", fmt::format("cannot create folder '{}': {}; choose a writable output folder",
                                      dir.string(), ec.message()));
  }
  // Unique per process and call, so parallel writers of different files never collide.
  static std::atomic<unsigned> counter{0};
  const fs::path tmp = dir / fmt::format(".{}.tmp.{}.{}", path.filename().string(), ::getpid(),
                                         counter.fetch_add(1));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw Error("IO-004", fmt::format("cannot write '{}': {}; choose a writable output folder",
                                      path.string(), errno_text()));
  }
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string why = errno_text();
      ::close(fd);
      write_failed(path, tmp, why);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) write_failed(path, tmp, errno_text());
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = errno_text();
    ::unlink(tmp.c_str());
    throw Error("IO-006", fmt::format("cannot rename into '{}': {}", path.string(), why));
  }
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error("IO-002", fmt::format("cannot read '{}': {}", path.string(),
                                      fs::exists(path) ? "permission denied or not a file"
                                                       : "no such file"));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void ensure_writable_dir(const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    throw Error("IO-007", fmt::format("output folder '{}' is a file; give a folder path", dir.string()));
  }
  fs::create_directories(dir, ec);
  if (ec) {
    throw Error("IO-003", fmt::format("cannot create output folder '{}': {}; choose a writable folder",
                                      dir.string(), ec.message()));
  }
  // Probe with a real file: access() says yes to root even on a read-only file system.
  const fs::path probe = dir / fmt::format(".axx_write_probe.{}", ::getpid());
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw Error("IO-008", fmt::format("output folder '{}' is not writable: {}; choose a writable folder",
                                      dir.string(), errno_text()));
  }
  ::close(fd);
  ::unlink(probe.c_str());
}

std::string tail_lines(const fs::path& path, int max_lines) {
  std::ifstream in(path);
  if (!in) return "";
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
    if (lines.size() > static_cast<size_t>(max_lines) * 4) {
      lines.erase(lines.begin(), lines.end() - max_lines);
    }
  }
  const size_t start = lines.size() > static_cast<size_t>(max_lines) ? lines.size() - max_lines : 0;
  std::string out;
  for (size_t i = start; i < lines.size(); ++i) out += lines[i] + "\n";
  return out;
}

}  // namespace axx
