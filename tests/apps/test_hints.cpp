// The program's hints (apps/hints.hpp): one per code, and every option a hint names exists in
// the --help of the command it belongs to (the real program, so a renamed option fails here).
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>
#include <vector>

#include "apps/hints.hpp"
#include "tests/cli_util.hpp"

namespace axx {
namespace {

/// The words of a command line: "library build" -> {"library", "build"}.
std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  std::regex word(R"(\S+)");
  for (auto it = std::sregex_iterator(s.begin(), s.end(), word); it != std::sregex_iterator(); ++it) {
    out.push_back(it->str());
  }
  return out;
}

/// The options a hint names: --long-name and -x.
std::vector<std::string> options_named(const std::string& text) {
  std::vector<std::string> out;
  std::regex opt(R"((^|[\s(/'`])(--[a-z0-9][a-z0-9-]*|-[a-zA-Z])\b)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), opt); it != std::sregex_iterator(); ++it) {
    out.push_back((*it)[2].str());
  }
  return out;
}

/// Commands that exist only when the program is built with LibTorch (apps/main.cpp).
bool needs_libtorch(const std::string& command) {
  static const std::set<std::string> torch = {"train", "eval", "sensitivity", "finetune", "layers", "search"};
  return torch.count(words(command).at(0)) > 0;
}

TEST(Hints, OnePerCodeAndEachNamesAnOption) {
  std::set<std::string> codes;
  for (const app::Hint& h : app::hints()) {
    EXPECT_TRUE(std::regex_match(std::string(h.code), std::regex(R"([A-Z]+-\d{3})"))) << h.code;
    EXPECT_TRUE(codes.insert(h.code).second) << h.code << " has two hints";
    EXPECT_FALSE(options_named(h.text).empty()) << h.code << ": a hint names the option to use: " << h.text;
    EXPECT_EQ(app::find_hint(h.code), &h);
  }
  EXPECT_EQ(app::find_hint("NONE-000"), nullptr);
}

TEST(Hints, EveryOptionAHintNamesIsInItsCommandsHelp) {
  const std::string top = test::run_cli({"--help"}).output;
  for (const app::Hint& h : app::hints()) {
    std::vector<std::string> args = words(h.command);
    ASSERT_FALSE(args.empty()) << h.code;
    if (needs_libtorch(h.command) && top.find(" " + args[0]) == std::string::npos) continue;  // built without LibTorch
    args.push_back("--help");
    const auto r = test::run_cli(args);
    ASSERT_EQ(r.rc, 0) << h.code << ": `transaxx " << h.command << " --help` failed:\n" << r.output;
    for (const std::string& opt : options_named(h.text)) {
      const std::regex in_help("(^|[\\s,])" + opt + "([\\s,=]|$)");
      EXPECT_TRUE(std::regex_search(r.output, in_help))
          << h.code << ": the hint names " << opt << ", which `transaxx " << h.command << " --help` does not list:\n"
          << r.output;
    }
  }
}

TEST(Hints, OptionsAreFoundInHintText) {
  EXPECT_EQ(options_named("-j/--jobs takes at least 1"), (std::vector<std::string>{"-j", "--jobs"}));
  EXPECT_EQ(options_named("give --only, or --from and/or --to"),
            (std::vector<std::string>{"--only", "--from", "--to"}));
  EXPECT_TRUE(options_named("no option here, not even a-b").empty());
}

}  // namespace
}  // namespace axx
