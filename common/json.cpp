#include "common/json.hpp"

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/fs.hpp"

namespace axx {

void write_json_atomic(const std::filesystem::path& path, const Json& j) {
  write_file_atomic(path, j.dump(2) + "\n");
}

Json read_json_file(const std::filesystem::path& path) {
  const std::string text = read_file(path);
  try {
    return Json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // Translate the byte offset into line:column for the user.
    size_t line = 1, col = 1;
    for (size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) {
      if (text[i] == '\n') { ++line; col = 1; } else { ++col; }
    }
    throw Error("JSON-001", fmt::format("{}:{}:{}: invalid JSON: {}", path.string(), line, col, e.what()));
  } catch (const nlohmann::json::exception& e) {
    // Valid syntax the parser cannot hold, e.g. a number beyond double's range (1e309).
    throw Error("JSON-010", fmt::format("{}: JSON that cannot be read: {}; write numbers within double's range",
                                        path.string(), e.what()));
  }
}

}  // namespace axx
