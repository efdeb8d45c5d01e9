// transaxx tests — a scratch folder for one fuzz test (removed at the end).
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace axx::fuzz {

struct ScratchDir {
  std::filesystem::path path;
  // In memory (/dev/shm) where there is one: ext4 flushes a truncated-and-rewritten file on close,
  // which made 10,000 inputs wait for the disk.
  static std::filesystem::path base() {
    std::error_code ec;
    if (std::filesystem::is_directory("/dev/shm", ec) && ::access("/dev/shm", W_OK) == 0) return "/dev/shm";
    return std::filesystem::temp_directory_path();
  }
  explicit ScratchDir(const std::string& name)
      : path(base() / ("axx-fuzz-" + name + "-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

/// Writes a fuzz input (no fsync: 10,000 inputs must not wait for the disk).
inline void write_bytes(const std::filesystem::path& p, const std::string& bytes) {
  std::error_code ec;
  std::filesystem::remove(p, ec);  // a new file, not a truncated one (see ScratchDir::base)
  std::ofstream(p, std::ios::binary | std::ios::trunc).write(bytes.data(), std::streamsize(bytes.size()));
}

}  // namespace axx::fuzz
