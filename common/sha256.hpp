// transaxx — SHA-256 (FIPS 180-4), used to key caches and records on their inputs' content.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace axx {

/// Incremental SHA-256. update() any number of times, then hex() once.
class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  void update(std::string_view s) { update(s.data(), s.size()); }
  /// Lower-case hex digest (64 characters). Finalizes; the object is not reusable afterwards.
  std::string hex();

 private:
  void block(const uint8_t* p);
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

std::string sha256_hex(std::string_view data);
/// Digest of a file's bytes. Throws axx::Error "IO-002" if it cannot be read.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace axx
