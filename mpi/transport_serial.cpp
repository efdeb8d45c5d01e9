// transaxx mpi — the single-process transport of builds without OpenMPI (mpi.hpp): one rank.
#include <cstdio>
#include <cstdlib>

#include "mpi/mpi.hpp"

namespace axx::mpi {

bool built_with_mpi() { return false; }
void init(int&, char**&) {}
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
