// transaxx tests — a small deterministic mutation fuzzer for the project's own parsers.
//
// Each fuzz test gives seed inputs (real files: shipped examples, test data, generated records),
// a dictionary of the format's tokens and a function that parses one input. run_fuzz() makes
// `runs` inputs (AXX_FUZZ_RUNS overrides the default 10,000), input i from std::mt19937(i): a seed
// input with 1..5 mutations (byte flips, random bytes, inserts, deletions, truncation, splices
// with another seed input, duplicated chunks, dictionary tokens, odd numbers). Every input must
// be accepted or refused with an axx::Error whose code has one of the allowed prefixes; anything
// else fails the test with the input's number and bytes (hex). A crash (signal, sanitizer report)
// prints the same before the process dies. AXX_FUZZ_ONLY=i runs input i alone to reproduce it.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <typeinfo>
#include <unistd.h>
#include <vector>

#include "common/error.hpp"

extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

namespace axx::fuzz {

inline std::string hex(const std::string& s, size_t max = 1 << 20) {
  static const char d[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    out += d[static_cast<unsigned char>(s[i]) >> 4];
    out += d[static_cast<unsigned char>(s[i]) & 15];
  }
  if (s.size() > max) out += "...";
  return out;
}

/// The input being parsed, for the crash reporter (signal handler / sanitizer death callback).
struct CrashContext {
  const char* name = "";
  uint32_t index = 0;
  const std::string* input = nullptr;
};
inline CrashContext& crash_context() {
  static CrashContext c;
  return c;
}

inline void write_all(const char* s, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(2, s, n);
    if (w <= 0) return;
    s += w;
    n -= size_t(w);
  }
}

/// Async-signal-safe: prints the fuzzer name, input number and bytes (hex) to stderr.
inline void report_crash() {
  const CrashContext& c = crash_context();
  if (!c.input) return;
  char num[16];
  int k = 0;
  uint32_t v = c.index;
  char rev[16];
  do { rev[k++] = char('0' + v % 10); v /= 10; } while (v);
  for (int i = 0; i < k; ++i) num[i] = rev[k - 1 - i];
  write_all("\nfuzz crash: ", 13);
  write_all(c.name, std::strlen(c.name));
  write_all(" input ", 7);
  write_all(num, size_t(k));
  write_all(" (rerun with AXX_FUZZ_ONLY=", 27);
  write_all(num, size_t(k));
  write_all("), bytes (hex):\n", 16);
  static const char d[] = "0123456789abcdef";
  char buf[2];
  for (unsigned char ch : *c.input) {
    buf[0] = d[ch >> 4];
    buf[1] = d[ch & 15];
    write_all(buf, 2);
  }
  write_all("\n", 1);
}

inline void on_signal(int sig) {
  report_crash();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

inline void install_crash_reporter() {
  static bool done = false;
  if (done) return;
  done = true;
  for (int s : {SIGSEGV, SIGABRT, SIGFPE, SIGBUS, SIGILL}) std::signal(s, on_signal);
  if (&__sanitizer_set_death_callback) __sanitizer_set_death_callback(report_crash);
}

struct Spec {
  std::string name;                      ///< "npy"
  std::vector<std::string> seeds;        ///< valid (or nearly valid) inputs of the format
  std::vector<std::string> dictionary;   ///< the format's tokens
  std::vector<std::string> prefixes;     ///< allowed error-code prefixes, e.g. {"NPY-", "IO-"}
  uint32_t runs = 10000;
};

/// Input `index` of the run: deterministic in (seeds, dictionary, index).
inline std::string mutate(const Spec& spec, uint32_t index) {
  std::mt19937 rng(index * 2654435761u + 17u);
  auto pick = [&](size_t n) { return n ? size_t(rng() % n) : size_t(0); };
  std::string b = spec.seeds[pick(spec.seeds.size())];
  static const std::vector<std::string> odd = {"0", "-1", "1", "-0", "255", "256", "65536", "2147483647",
                                               "-2147483649", "4294967296", "9223372036854775807",
                                               "18446744073709551616", "99999999999999999999999", "1e308",
                                               "1e309", "-1e309", "nan", "inf", "-inf", "0.0", "1e-320", "0x10",
                                               "\"\"", "[]", "{}", "null", "true", "\xff\xfe", std::string(1, '\0')};
  const int n = 1 + int(pick(5));
  for (int m = 0; m < n; ++m) {
    const size_t pos = pick(b.size() + 1);
    switch (pick(10)) {
      case 0:  // flip bits of a byte
        if (!b.empty()) b[pick(b.size())] ^= char(1u << pick(8));
        break;
      case 1:  // a random byte
        if (!b.empty()) b[pick(b.size())] = char(rng());
        break;
      case 2: {  // insert random bytes
        std::string ins(1 + pick(8), '\0');
        for (auto& c : ins) c = char(rng());
        b.insert(pos, ins);
        break;
      }
      case 3:  // delete a range
        if (!b.empty()) b.erase(pick(b.size()), 1 + pick(std::min<size_t>(b.size(), 64)));
        break;
      case 4:  // truncate
        b.resize(pick(b.size() + 1));
        break;
      case 5: {  // splice: our head, another seed's tail
        const std::string& o = spec.seeds[pick(spec.seeds.size())];
        b = b.substr(0, pos) + o.substr(pick(o.size() + 1));
        break;
      }
      case 6: {  // duplicate a chunk
        if (b.empty()) break;
        const size_t from = pick(b.size());
        b.insert(pos, b.substr(from, 1 + pick(std::min<size_t>(b.size() - from, 128))));
        break;
      }
      case 7:
      case 8:  // a dictionary token, inserted or over a token-sized piece
        if (!spec.dictionary.empty()) {
          const std::string& t = spec.dictionary[pick(spec.dictionary.size())];
          if (rng() % 2 && pos < b.size()) b.erase(pos, std::min(b.size() - pos, t.size()));
          b.insert(std::min(pos, b.size()), t);
        }
        break;
      case 9: {  // an odd number over the digits at a random place
        const std::string& t = odd[pick(odd.size())];
        size_t p = pos, e = pos;
        while (e < b.size() && (std::isdigit(static_cast<unsigned char>(b[e])) || b[e] == '.' || b[e] == '-')) ++e;
        b.replace(p, e - p, t);
        break;
      }
    }
  }
  return b;
}

/// Runs the fuzzer; returns how often each outcome ("ok" or the error code) occurred.
inline std::map<std::string, int> run_fuzz(const Spec& spec, const std::function<void(const std::string&)>& parse) {
  install_crash_reporter();
  std::map<std::string, int> outcomes;
  uint32_t first = 0, last = spec.runs;
  if (const char* r = std::getenv("AXX_FUZZ_RUNS")) last = uint32_t(std::strtoul(r, nullptr, 10));
  if (const char* o = std::getenv("AXX_FUZZ_ONLY")) first = uint32_t(std::strtoul(o, nullptr, 10)), last = first + 1;
  int failures = 0;
  for (uint32_t i = first; i < last; ++i) {
    const std::string input = mutate(spec, i);
    crash_context() = {spec.name.c_str(), i, &input};
    std::string outcome, problem;
    try {
      parse(input);
      outcome = "ok";
    } catch (const Error& e) {
      outcome = e.code();
      bool allowed = false;
      for (const auto& p : spec.prefixes) allowed = allowed || e.code().rfind(p, 0) == 0;
      if (!allowed) problem = "axx::Error with a code of another part: " + e.code() + ": " + e.what();
    } catch (const std::exception& e) {
      outcome = "std::exception";
      problem = std::string("not an axx::Error: ") + typeid(e).name() + ": " + e.what();
    } catch (...) {
      outcome = "unknown exception";
      problem = "not an axx::Error (not even a std::exception)";
    }
    crash_context().input = nullptr;
    ++outcomes[outcome];
    if (!problem.empty() && ++failures <= 5) {
      ADD_FAILURE() << spec.name << " input " << i << " (rerun with AXX_FUZZ_ONLY=" << i << "): " << problem
                    << "\n  bytes (hex): " << hex(input, 4096);
    }
  }
  std::cout << spec.name << ": " << (last - first) << " inputs from " << spec.seeds.size() << " seeds\n";
  for (const auto& [o, n] : outcomes) std::cout << "  " << o << ": " << n << "\n";
  return outcomes;
}

/// The bytes of a hex string (regression inputs are kept in hex, as the fuzzer prints them).
inline std::string unhex(const std::string& h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out += char(std::stoi(h.substr(i, 2), nullptr, 16));
  return out;
}

}  // namespace axx::fuzz
