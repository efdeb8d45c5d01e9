// transaxx — a progress bar on stderr (items done, rate, ETA). Thread-safe.
// On a terminal it redraws one line; otherwise it prints a line at most every few seconds,
// so CI logs stay short.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

namespace axx {

class Progress {
 public:
  /// total: number of items; unit: what an item is ("multipliers", "images").
  Progress(std::string label, size_t total, std::string unit);
  ~Progress();
  /// Marks `n` more items done; `note` (e.g. the item's name) is shown beside the bar.
  void advance(size_t n = 1, const std::string& note = "");
  /// Ends the bar with a summary line.
  void finish();

 private:
  void draw(bool force);
  std::string label_, unit_, note_;
  size_t total_, done_ = 0;
  bool tty_, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::mutex mu_;
};

}  // namespace axx
