// transaxx — Liberty (.lib) syntax: a file's text as a tree of groups with simple and complex
// attributes (Synopsys Liberty Reference Manual, "Library Compiler: Liberty format"). What the
// groups mean (cells, pins, tables) is read by liberty.hpp.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace axx::flows {

/// `type(args) { simple : value; complex(v, ...); sub-groups }`.
struct LibertyGroup {
  std::string type;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> simple;
  std::vector<std::pair<std::string, std::vector<std::string>>> complex;
  std::vector<LibertyGroup> groups;
  int line = 0;

  /// The first simple attribute `k`, or nullptr.
  const std::string* attr(const std::string& k) const;
  /// The first complex attribute `k`, or nullptr.
  const std::vector<std::string>* complex_attr(const std::string& k) const;
};

/// Parses the text of a Liberty file, which must be one `library(name) { ... }` group; `file`
/// names it in messages. Throws axx::Error "LTY-001" (syntax error, with file:line).
LibertyGroup parse_liberty(const std::string& text, const std::string& file);

}  // namespace axx::flows
