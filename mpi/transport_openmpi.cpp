// transaxx mpi — the OpenMPI transport (mpi.hpp). MPI is initialized only under a launcher.
#include <mpi.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "common/error.hpp"
#include "mpi/mpi.hpp"

namespace axx::mpi {

namespace {

bool g_initialized = false;
int g_rank = 0, g_size = 1;
int g_terminal = -1;  // the stderr this process started with (ranks > 0 log to a file)

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) {
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, text, &len);
    throw Error("MPI-002", fmt::format("{} failed on rank {}: {}", what, g_rank, std::string(text, size_t(len))));
  }
}

int checked_length(size_t n) {
  if (n > size_t(INT_MAX)) {
    throw Error("MPI-003", fmt::format("a message of {} bytes is larger than one MPI message can carry (2 GiB); "
                                       "split the work into more items",
                                       n));
  }
  return int(n);
}

}  // namespace

bool built_with_mpi() { return true; }

void init(int& argc, char**& argv) {
  if (g_initialized || !launched()) return;
  check(MPI_Init(&argc, &argv), "MPI_Init");
  g_initialized = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_size);
  // Errors come back as return codes (MPI-002), not as a silent abort inside the library.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  g_terminal = ::dup(2);
  if (g_size > 1 && g_rank > 0) {
    const char* d = std::getenv("TRANSAXX_MPI_LOG_DIR");
    const std::filesystem::path dir = d && *d ? d : "transaxx-mpi-logs";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    const std::string log = (dir / fmt::format("rank-{}.log", g_rank)).string();
    if (std::freopen(log.c_str(), "w", stderr)) {
      ::dup2(2, 1);  // stdout to the same log
      std::setvbuf(stderr, nullptr, _IOLBF, 0);
    }
  }
}

void finalize() {
  if (!g_initialized) return;
  std::fflush(stdout);
  std::fflush(stderr);
  MPI_Finalize();
  g_initialized = false;
}

int rank() { return g_rank; }
int size() { return g_size; }

std::vector<std::string> gather(const std::string& mine) {
  if (g_size == 1) return {mine};
  int len = checked_length(mine.size());
  std::vector<int> lens(g_rank == 0 ? size_t(g_size) : 0);
  check(MPI_Gather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Gather");
  std::vector<int> displs(lens.size());
  size_t total = 0;
  for (size_t r = 0; r < lens.size(); ++r) {
    displs[r] = checked_length(total);
    total += size_t(lens[r]);
  }
  checked_length(total);
  std::string all(total, '\0');
  check(MPI_Gatherv(mine.data(), len, MPI_CHAR, all.data(), lens.data(), displs.data(), MPI_CHAR, 0, MPI_COMM_WORLD),
        "MPI_Gatherv");
  std::vector<std::string> out;
  for (size_t r = 0; r < lens.size(); ++r) out.push_back(all.substr(size_t(displs[r]), size_t(lens[r])));
  return out;
}

std::string broadcast(const std::string& s) {
  if (g_size == 1) return s;
  int len = g_rank == 0 ? checked_length(s.size()) : 0;
  check(MPI_Bcast(&len, 1, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Bcast");
  std::string out = g_rank == 0 ? s : std::string(size_t(len), '\0');
  check(MPI_Bcast(out.data(), len, MPI_CHAR, 0, MPI_COMM_WORLD), "MPI_Bcast");
  return out;
}

void barrier() {
  if (g_size > 1) check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
}

void abort_job(int code, const std::string& message) {
  const std::string line = message + "\n";
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
  if (g_rank > 0 && g_terminal >= 0) {
    [[maybe_unused]] ssize_t w = ::write(g_terminal, line.data(), line.size());
  }
  std::fflush(stdout);
  if (g_initialized && g_size > 1) MPI_Abort(MPI_COMM_WORLD, code);
  finalize();
  std::exit(code);
}

}  // namespace axx::mpi
