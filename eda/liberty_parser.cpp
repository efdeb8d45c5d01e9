// transaxx — Liberty syntax (see liberty_parser.hpp).
#include "eda/liberty_parser.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

#include <fmt/format.h>

#include "common/error.hpp"

namespace axx::flows {

const std::string* LibertyGroup::attr(const std::string& k) const {
  for (const auto& [key, v] : simple)
    if (key == k) return &v;
  return nullptr;
}

const std::vector<std::string>* LibertyGroup::complex_attr(const std::string& k) const {
  for (const auto& [key, v] : complex)
    if (key == k) return &v;
  return nullptr;
}

namespace {

class Lexer {
 public:
  Lexer(const std::string& text, std::string file) : s_(text), file_(std::move(file)) {}

  // Token kinds: 'w' word, 's' string, or a punctuation character; 0 at end.
  char next(std::string& tok) {
    skip();
    if (i_ >= s_.size()) return 0;
    const char c = s_[i_];
    if (c == '"') {
      ++i_;
      tok.clear();
      while (i_ < s_.size() && s_[i_] != '"') {
        if (s_[i_] == '\\' && i_ + 1 < s_.size() && (s_[i_ + 1] == '\n' || s_[i_ + 1] == '\r')) {
          i_ += 2;  // line continuation inside a string
          continue;
        }
        if (s_[i_] == '\n') ++line_;
        tok += s_[i_++];
      }
      if (i_ >= s_.size()) fail("unterminated string");
      ++i_;
      return 's';
    }
    if (std::strchr("(){}:;,", c)) {
      ++i_;
      tok = std::string(1, c);
      return c;
    }
    tok.clear();
    while (i_ < s_.size() && !std::isspace(static_cast<unsigned char>(s_[i_])) &&
           !std::strchr("(){}:;,\"", s_[i_])) {
      if (s_[i_] == '\\') break;
      tok += s_[i_++];
    }
    if (tok.empty()) fail(fmt::format("unexpected character '{}'", c));
    return 'w';
  }
  int line() const { return line_; }
  [[noreturn]] void fail(const std::string& why) const {
    throw Error("LTY-001", fmt::format("{}:{}: Liberty syntax error: {}", file_, line_, why));
  }

 private:
  void skip() {
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == '\n') { ++line_; ++i_; }
      else if (std::isspace(static_cast<unsigned char>(c))) ++i_;
      else if (c == '\\' && i_ + 1 < s_.size() && (s_[i_ + 1] == '\n' || s_[i_ + 1] == '\r')) ++i_;
      else if (c == '/' && i_ + 1 < s_.size() && s_[i_ + 1] == '*') {
        const size_t e = s_.find("*/", i_ + 2);
        if (e == std::string::npos) fail("unterminated comment");
        line_ += static_cast<int>(std::count(s_.begin() + static_cast<long>(i_), s_.begin() + static_cast<long>(e), '\n'));
        i_ = e + 2;
      } else if (c == '/' && i_ + 1 < s_.size() && s_[i_ + 1] == '/') {
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
      } else {
        break;
      }
    }
  }
  const std::string& s_;
  std::string file_;
  size_t i_ = 0;
  int line_ = 1;
};

// Parses the body of a group after '{' up to and including the matching '}'.
void parse_body(Lexer& lx, LibertyGroup& g) {
  std::string tok;
  for (;;) {
    const char k = lx.next(tok);
    if (k == '}') return;
    if (k == 0) lx.fail(fmt::format("missing '}}' for group '{}' opened on line {}", g.type, g.line));
    if (k == ';') continue;
    if (k != 'w' && k != 's') lx.fail(fmt::format("unexpected '{}'", tok));
    const std::string name = tok;
    const int line = lx.line();
    const char k2 = lx.next(tok);
    if (k2 == ':') {
      std::string value;
      char k3 = lx.next(tok);
      if (k3 != 'w' && k3 != 's') lx.fail(fmt::format("attribute '{}' has no value", name));
      value = tok;
      // Values may continue with more words (expressions); gather up to ';' or a line end.
      for (;;) {
        const char k4 = lx.next(tok);
        if (k4 == ';') break;
        if (k4 == '}' ) { g.simple.emplace_back(name, value); return; }
        if (k4 == 0) lx.fail(fmt::format("attribute '{}' is not terminated", name));
        value += " " + tok;
      }
      g.simple.emplace_back(name, value);
    } else if (k2 == '(') {
      std::vector<std::string> args;
      for (;;) {
        const char k3 = lx.next(tok);
        if (k3 == ')') break;
        if (k3 == ',') continue;
        if (k3 == 0) lx.fail(fmt::format("'{}(' is not closed", name));
        args.push_back(tok);
      }
      std::string peek;
      const char k4 = lx.next(peek);
      if (k4 == '{') {
        LibertyGroup sub;
        sub.type = name;
        sub.args = std::move(args);
        sub.line = line;
        parse_body(lx, sub);
        g.groups.push_back(std::move(sub));
      } else if (k4 == ';') {
        g.complex.emplace_back(name, std::move(args));
      } else if (k4 == '}') {
        g.complex.emplace_back(name, std::move(args));
        return;
      } else {
        g.complex.emplace_back(name, std::move(args));  // tolerate a missing ';'
        if (k4 == 'w' || k4 == 's') lx.fail(fmt::format("expected ';' after '{}(...)'", name));
      }
    } else {
      lx.fail(fmt::format("expected ':' or '(' after '{}'", name));
    }
  }
}

}  // namespace

LibertyGroup parse_liberty(const std::string& text, const std::string& file) {
  Lexer lx(text, file);
  std::string tok;
  char k = lx.next(tok);
  if (k != 'w' || tok != "library") lx.fail("the file does not start with library(...)");
  LibertyGroup lib;
  lib.type = "library";
  if (lx.next(tok) != '(') lx.fail("expected '(' after library");
  while ((k = lx.next(tok)) != ')') {
    if (k == 0) lx.fail("library( is not closed");
    lib.args.push_back(tok);
  }
  if (lx.next(tok) != '{') lx.fail("expected '{' after library(...)");
  parse_body(lx, lib);
  return lib;
}

}  // namespace axx::flows
