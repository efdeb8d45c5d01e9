// transaxx mpi — what does not depend on the transport: launcher detection, the item split,
// the error path and the round-based work list (mpi.hpp).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/json.hpp"
#include "mpi/mpi.hpp"

namespace axx::mpi {

bool launched() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "PMI_RANK"}) {
    if (const char* s = std::getenv(v); s && *s) return true;
  }
  return false;
}

std::vector<size_t> share(size_t n, Split split, int rank, int size) {
  std::vector<size_t> out;
  if (size < 1 || rank < 0 || rank >= size) return out;
  const size_t r = size_t(rank), s = size_t(size);
  if (split == Split::cyclic) {
    for (size_t i = r; i < n; i += s) out.push_back(i);
  } else {
    const size_t base = n / s, extra = n % s;
    const size_t begin = r * base + std::min(r, extra), count = base + (r < extra ? 1 : 0);
    for (size_t i = 0; i < count; ++i) out.push_back(begin + i);
  }
  return out;
}

ItemClaims::ItemClaims(const std::string& dir) {
  if (!parallel()) return;
  namespace fs = std::filesystem;
  std::string name;
  if (is_root()) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      if (e.path().filename().string().rfind(".mpi-claims-", 0) == 0) fs::remove_all(e.path(), ec);
    }
    const auto now = std::chrono::system_clock::now().time_since_epoch().count();
    name = (fs::path(dir) / fmt::format(".mpi-claims-{}-{}", ::getpid(), now)).string();
    fs::create_directories(name, ec);
    if (ec) name = "!" + fmt::format("cannot create the claim folder '{}': {}", name, ec.message());
  }
  folder_ = broadcast(name);  // every rank learns the folder, or the failure
  if (folder_.rfind("!", 0) == 0) {
    throw Error("MPI-005", fmt::format("{}; the output folder must be writable and shared by every rank",
                                       folder_.substr(1)));
  }
}

bool ItemClaims::claim(size_t i) const {
  if (folder_.empty()) return true;
  const std::string f = folder_ + "/" + std::to_string(i);
  const int fd = ::open(f.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd >= 0) {
    ::close(fd);
    return true;
  }
  if (errno == EEXIST) return false;
  throw Error("MPI-006", fmt::format("rank {} cannot claim item {} in '{}': {}; the output folder must be writable "
                                     "and shared by every rank (the same path on every node)",
                                     rank(), i, folder_, std::strerror(errno)));
}

void ItemClaims::remove() const {
  if (folder_.empty() || !is_root()) return;
  std::error_code ec;
  std::filesystem::remove_all(folder_, ec);
}

void rank_failed(int failed_rank, const std::string& item, const std::string& what) {
  throw Error("MPI-001", fmt::format("rank {} failed on {}: {}; the results finished before it are kept, run the "
                                     "same command again to resume",
                                     failed_rank, item, what));
}

void for_each_item(size_t n, const std::function<std::string(size_t)>& work,
                   const std::function<std::string(size_t)>& label,
                   const std::function<void(size_t, const std::string&)>& on_root, size_t per_round) {
  if (!parallel()) {
    for (size_t i = 0; i < n; ++i) on_root(i, work(i));
    return;
  }
  per_round = std::max<size_t>(per_round, 1);
  const std::vector<size_t> mine = share(n, Split::cyclic);
  const size_t most = (n + size_t(size()) - 1) / size_t(size());  // the longest share
  const size_t rounds = (most + per_round - 1) / per_round;
  for (size_t round = 0; round < rounds; ++round) {
    Json done = Json::array();
    for (size_t k = round * per_round; k < std::min(mine.size(), (round + 1) * per_round); ++k) {
      const size_t i = mine[k];
      try {
        done.push_back({{"i", i}, {"ok", true}, {"result", work(i)}});
      } catch (const Error& e) {
        done.push_back({{"i", i}, {"ok", false}, {"error", fmt::format("{} [{}]", e.what(), e.code())}});
        break;
      } catch (const std::exception& e) {
        done.push_back({{"i", i}, {"ok", false}, {"error", e.what()}});
        break;
      }
    }
    const std::vector<std::string> parts = gather(done.dump());
    std::string verdict = "go";
    if (is_root()) {
      std::map<size_t, std::string> results;
      Json failure;  // the failed item with the lowest index
      int failed_rank = -1;
      for (size_t r = 0; r < parts.size(); ++r) {
        for (const Json& d : Json::parse(parts[r])) {
          const size_t i = d.at("i").get<size_t>();
          if (d.at("ok").get<bool>()) {
            results[i] = d.at("result").get<std::string>();
          } else if (failure.is_null() || i < failure.at("i").get<size_t>()) {
            failure = d;
            failed_rank = int(r);
          }
        }
      }
      for (const auto& [i, res] : results) on_root(i, res);  // saved before anything stops
      if (!failure.is_null()) verdict = "stop";
      if (broadcast(verdict) == "stop") {
        rank_failed(failed_rank, label(failure.at("i").get<size_t>()), failure.at("error").get<std::string>());
      }
    } else if (broadcast(verdict) == "stop") {
      // Rank 0 prints the failure and aborts the job; wait for it here.
      barrier();
      abort_job(1, fmt::format("rank {}: stopped because another rank failed", rank()));
    }
  }
}

}  // namespace axx::mpi
