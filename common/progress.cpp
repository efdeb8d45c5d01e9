#include "common/progress.hpp"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

namespace axx {

namespace {
std::string format_seconds(double s) {
  if (s < 0 || s > 1e7) return "?";
  const int t = static_cast<int>(s + 0.5);
  if (t >= 3600) return fmt::format("{}h{:02}m", t / 3600, (t / 60) % 60);
  if (t >= 60) return fmt::format("{}m{:02}s", t / 60, t % 60);
  return fmt::format("{}s", t);
}
}  // namespace

Progress::Progress(std::string label, size_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), tty_(::isatty(2) == 1),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {
  draw(true);
}

Progress::~Progress() { finish(); }

void Progress::advance(size_t n, const std::string& note) {
  std::lock_guard<std::mutex> lock(mu_);
  done_ += n;
  if (!note.empty()) note_ = note;
  draw(done_ == total_);
}

void Progress::finish() {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  finished_ = true;
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (tty_) std::fputs("\r\033[K", stderr);
  std::fprintf(stderr, "%s: %zu/%zu %s in %s\n", label_.c_str(), done_, total_, unit_.c_str(),
               format_seconds(secs).c_str());
}

void Progress::draw(bool force) {
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_draw_).count();
  if (!force && since < (tty_ ? 0.1 : 5.0)) return;
  if (!tty_ && (done_ == 0 || done_ == total_)) return;  // start and end lines come from finish()
  last_draw_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double rate = secs > 0 ? done_ / secs : 0;
  const double eta = rate > 0 ? (total_ - done_) / rate : -1;
  const int width = 24;
  const int filled = total_ ? static_cast<int>(width * done_ / total_) : width;
  const std::string bar = std::string(filled, '#') + std::string(width - filled, '-');
  const std::string line = fmt::format("{} [{}] {}/{} {} {:.2f}/s ETA {} {}", label_, bar, done_, total_, unit_,
                                       rate, format_seconds(eta), note_);
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

}  // namespace axx
