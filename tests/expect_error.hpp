// Shared by the test suites: expecting an axx::Error with a given code.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "common/error.hpp"

namespace axx::test {

/// Runs `f`, expects an axx::Error with `code`; returns its message for further checks.
template <typename F>
std::string expect_error(const std::string& code, F&& f) {
  try {
    f();
  } catch (const axx::Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected axx::Error " << code;
  return {};
}

}  // namespace axx::test
