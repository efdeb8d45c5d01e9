// transaxx — error types shared by every module.
//
// Library code throws axx::Error; only main() turns it into an exit code (1 for a failure,
// 2 for bad usage) and a one-line message. Every error carries a code "<MODULE>-<NNN>"
// (for example "IO-002") so tests can assert the code rather than the wording, and the
// message names the object (file, module, port, field) and says what the user can do.
#pragma once

#include <stdexcept>
#include <string>

namespace axx {

class Error : public std::runtime_error {
 public:
  /// code: "<MODULE>-<NNN>", e.g. "IO-002". message: one or more lines, first line self-contained.
  Error(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const noexcept { return code_; }
  /// Exit code main() should return for this error.
  virtual int exit_code() const noexcept { return 1; }

 private:
  std::string code_;
};

/// Bad command-line usage (unknown option value, conflicting flags): exit code 2.
class UsageError : public Error {
 public:
  UsageError(std::string code, const std::string& message) : Error(std::move(code), message) {}
  int exit_code() const noexcept override { return 2; }
};

}  // namespace axx
