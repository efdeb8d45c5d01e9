// transaxx — JSON helpers on top of nlohmann::json.
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

namespace axx {

using Json = nlohmann::ordered_json;

/// Writes pretty JSON (2-space indent, trailing newline) atomically.
void write_json_atomic(const std::filesystem::path& path, const Json& j);

/// Parses a JSON file. Throws axx::Error "JSON-001" naming the file, line and column on a
/// syntax error, "IO-002" when unreadable.
Json read_json_file(const std::filesystem::path& path);

}  // namespace axx
