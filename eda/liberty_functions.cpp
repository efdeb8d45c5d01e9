// transaxx — Liberty cell functions (see liberty_functions.hpp).
#include "eda/liberty_functions.hpp"

#include <algorithm>
#include <cctype>
#include <functional>

#include <fmt/format.h>

#include "common/error.hpp"

namespace axx::flows {

namespace {

class FunctionParser {
 public:
  FunctionParser(const std::string& text, const std::vector<std::string>& pins) : s_(text), pins_(pins) {}
  template <typename Emit>
  void parse(Emit&& emit) {
    emit_ = [&](int op, int pin) { emit(op, pin); };
    parse_or();
    skip();
    if (i_ != s_.size()) fail("unexpected text");
  }

 private:
  // Precedence, high to low: ' and !, ^, & * and juxtaposition, | +.
  void parse_or() {
    parse_and();
    for (;;) {
      skip();
      if (i_ < s_.size() && (s_[i_] == '|' || s_[i_] == '+')) {
        ++i_;
        parse_and();
        emit_(4, 0);
      } else {
        return;
      }
    }
  }
  void parse_and() {
    parse_xor();
    for (;;) {
      skip();
      if (i_ < s_.size() && (s_[i_] == '&' || s_[i_] == '*')) {
        ++i_;
        parse_xor();
        emit_(3, 0);
      } else if (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '(' ||
                                     s_[i_] == '!' || s_[i_] == '_')) {
        parse_xor();  // juxtaposition means AND
        emit_(3, 0);
      } else {
        return;
      }
    }
  }
  void parse_xor() {
    parse_unary();
    for (;;) {
      skip();
      if (i_ < s_.size() && s_[i_] == '^') {
        ++i_;
        parse_unary();
        emit_(5, 0);
      } else {
        return;
      }
    }
  }
  void parse_unary() {
    skip();
    if (i_ < s_.size() && s_[i_] == '!') {
      ++i_;
      parse_unary();
      emit_(2, 0);
      return;
    }
    parse_primary();
    while (i_ < s_.size() && s_[i_] == '\'') {
      ++i_;
      emit_(2, 0);
    }
  }
  void parse_primary() {
    skip();
    if (i_ >= s_.size()) fail("unexpected end");
    if (s_[i_] == '(') {
      ++i_;
      parse_or();
      skip();
      if (i_ >= s_.size() || s_[i_] != ')') fail("missing ')'");
      ++i_;
      return;
    }
    std::string name;
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_' ||
                              s_[i_] == '[' || s_[i_] == ']' || s_[i_] == '.')) {
      name += s_[i_++];
    }
    if (name.empty()) fail(fmt::format("unexpected '{}'", s_[i_]));
    if (name == "0" || name == "1") {
      emit_(name == "0" ? 0 : 1, 0);
      return;
    }
    const auto it = std::find(pins_.begin(), pins_.end(), name);
    if (it == pins_.end()) fail(fmt::format("'{}' is not an input pin of the cell", name));
    emit_(6, static_cast<int>(it - pins_.begin()));
  }
  void skip() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw Error("LTY-003", fmt::format("cannot parse cell function \"{}\": {}", s_, why));
  }
  const std::string& s_;
  const std::vector<std::string>& pins_;
  size_t i_ = 0;
  std::function<void(int, int)> emit_;
};

}  // namespace

BoolFunction BoolFunction::parse(const std::string& text, const std::vector<std::string>& pins) {
  BoolFunction f;
  f.text_ = text;
  if (pins.size() > 255) throw Error("LTY-004", fmt::format("cell has {} inputs; functions over at most 255 are supported", pins.size()));
  FunctionParser p(text, pins);
  p.parse([&](int op, int pin) {
    static const Op map[] = {kZero, kOne, kNot, kAnd, kOr, kXor, kPin};
    f.code_.push_back({map[op], static_cast<uint8_t>(pin)});
  });
  return f;
}

uint64_t BoolFunction::eval(const uint64_t* inputs) const {
  uint64_t stack[32];
  int sp = 0;
  for (const Instr& in : code_) {
    switch (in.op) {
      case kPin: stack[sp++] = inputs[in.pin]; break;
      case kZero: stack[sp++] = 0; break;
      case kOne: stack[sp++] = ~uint64_t{0}; break;
      case kNot: stack[sp - 1] = ~stack[sp - 1]; break;
      case kAnd: --sp; stack[sp - 1] &= stack[sp]; break;
      case kOr: --sp; stack[sp - 1] |= stack[sp]; break;
      case kXor: --sp; stack[sp - 1] ^= stack[sp]; break;
    }
  }
  return stack[0];
}

}  // namespace axx::flows
