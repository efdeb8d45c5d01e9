// transaxx — file helpers: atomic writes (temp file + rename), whole-file reads.
//
// Every output of transaxx goes through write_file_atomic so that a killed run never leaves
// half a file: readers either see the old content or the complete new content.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace axx {

namespace fs = std::filesystem;

/// Writes `data` to `path` through a temporary file in the same folder and a rename.
/// Creates missing parent folders. Throws axx::Error "IO-001" when the folder cannot be created,
/// "IO-004" when the file cannot be created in it, "IO-005" when writing fails, "IO-006" when
/// the rename fails.
void write_file_atomic(const fs::path& path, std::string_view data);

/// Reads a whole file. Throws axx::Error "IO-002" naming the file when it cannot be read.
std::string read_file(const fs::path& path);

/// Creates `dir` (and parents) and checks that a file can be created inside it.
/// Throws axx::Error naming the folder and the reason otherwise: "IO-003" cannot be created,
/// "IO-007" is a file, "IO-008" not writable.
void ensure_writable_dir(const fs::path& dir);

/// Last `max_lines` lines of a text file (for showing a failed tool's log); "" if unreadable.
std::string tail_lines(const fs::path& path, int max_lines);

}  // namespace axx
