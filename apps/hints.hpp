// transaxx — what to type: one hint per error code whose fix is a command-line option.
//
// Errors thrown below apps/ describe the problem in terms of the thing (a clock frequency, a
// stimulus file, a stage); the options that set those things belong to the program, so main()
// prints the hint of the error's code after the error. tests/apps/test_hints checks that every
// option a hint names exists in its command's --help.
#pragma once

#include <string>
#include <vector>

namespace axx::app {

struct Hint {
  const char* code;     ///< error code, e.g. "CHR-010"
  const char* command;  ///< the command whose options the hint names, e.g. "library build"
  const char* text;     ///< one line
};

/// Every hint, one per code.
const std::vector<Hint>& hints();

/// The hint for `code`, or nullptr when there is none.
const Hint* find_hint(const std::string& code);

}  // namespace axx::app
