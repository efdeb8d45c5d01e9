// transaxx mpi — the single-process transport of builds without OpenMPI (mpi.hpp): one rank.
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "common/error.hpp"
#include "mpi/mpi.hpp"

namespace axx::mpi {

bool built_with_mpi() { return false; }
void init(int&, char**&) {
  // N copies of a build without MPI would each do the whole job into the same folders.
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}) {
    const char* s = std::getenv(v);
    if (s && std::atoi(s) > 1) {
      throw Error("MPI-004", fmt::format("started as one of {} MPI ranks ({}), but this transaxx was built without "
                                         "MPI; rebuild it with OpenMPI installed (libopenmpi-dev) or run it as one "
                                         "process",
                                         s, v));
    }
  }
}
void finalize() {}
int rank() { return 0; }
int size() { return 1; }
std::vector<std::string> gather(const std::string& mine) { return {mine}; }
std::string broadcast(const std::string& s) { return s; }
void barrier() {}

void abort_job(int code, const std::string& message) {
  std::fprintf(stderr, "%s\n", message.c_str());
  std::fflush(stderr);
  std::exit(code);
}

}  // namespace axx::mpi
