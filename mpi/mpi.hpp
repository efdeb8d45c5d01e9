// transaxx mpi — the small message-passing layer the commands whose work is a list of independent
// items use (library build, sensitivity, search batches): rank and size, a static split of an
// item list, gather to rank 0, broadcast from rank 0, and one error path.
//
// Built on OpenMPI when the build found it (AXX_WITH_MPI); otherwise a single-process
// implementation of the same interface, so every command works unchanged. MPI is touched only
// when the program was launched by mpirun/srun (OMPI_COMM_WORLD_SIZE, PMI_SIZE or PMIX_RANK in the
// environment): a plain run never initializes it and is rank 0 of 1.
//
// Every call below except rank()/size() is collective when size() > 1: all ranks make the same
// calls in the same order. A rank whose item fails does not stop on its own: it sends the failure
// in its gathered result and rank 0 raises MPI-001 naming the rank and the item; the program
// prints it on rank 0 and then aborts the job (abort_job).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace axx::mpi {

/// True when the environment says this process was started by an MPI launcher.
bool launched();
/// True when this build has OpenMPI (AXX_WITH_MPI).
bool built_with_mpi();

/// Initializes MPI when launched() and built with it (called once from main); else nothing.
/// With more than one rank, ranks other than 0 send stdout and stderr to
/// $TRANSAXX_MPI_LOG_DIR/rank-<N>.log (default folder: transaxx-mpi-logs), so progress and logs
/// come from rank 0 only.
void init(int& argc, char**& argv);
/// Finalizes MPI when init() initialized it.
void finalize();

int rank();                       ///< this process's rank (0 without MPI)
int size();                       ///< ranks in the job (1 without MPI)
inline bool is_root() { return rank() == 0; }
inline bool parallel() { return size() > 1; }

enum class Split { block, cyclic };
/// The indices of [0, n) that `rank` of `size` works on: contiguous blocks (the first n % size
/// ranks one more) or cyclic (i % size == rank). Every index belongs to exactly one rank.
std::vector<size_t> share(size_t n, Split split, int rank, int size);
/// This process's share.
inline std::vector<size_t> share(size_t n, Split split = Split::cyclic) { return share(n, split, rank(), size()); }

/// Items handed out as ranks become free, through a folder every rank sees (a shared file
/// system, as the library folder already is): each item is taken by the first rank (or thread)
/// whose claim(i) creates its claim file. Balances items of unequal cost, where a static split
/// leaves one rank waiting for the other. Without MPI (or on one rank) claim() is always true
/// and touches no file.
class ItemClaims {
 public:
  /// Collective: rank 0 removes claim folders that killed jobs left in `dir`
  /// (.mpi-claims-*), makes this job's and broadcasts its name. Throws axx::Error "MPI-005" on
  /// every rank when rank 0 cannot make it.
  explicit ItemClaims(const std::string& dir);
  /// True for exactly one caller over all ranks and threads for each i. Throws axx::Error
  /// "MPI-006" when the claim file can be neither created nor found (e.g. a folder not shared).
  bool claim(size_t i) const;
  /// Removes this job's claim folder; rank 0, after a collective call that every rank reaches
  /// once it has stopped claiming (e.g. gather).
  void remove() const;

 private:
  std::string folder_;  ///< empty without MPI
};

/// Every rank's string, in rank order, on rank 0 (other ranks get an empty vector).
std::vector<std::string> gather(const std::string& mine);
/// Rank 0's `s` on every rank.
std::string broadcast(const std::string& s);
void barrier();

/// Prints `message` to the terminal (also from ranks whose stderr goes to their log file) and
/// stops the whole job with exit status `code` (MPI_Abort; without MPI: std::exit).
[[noreturn]] void abort_job(int code, const std::string& message);

/// Throws axx::Error "MPI-001": rank `failed_rank` failed on `item` with `what`.
[[noreturn]] void rank_failed(int failed_rank, const std::string& item, const std::string& what);

/// One item of a work list as the ranks report it to rank 0.
struct ItemResult {
  size_t index = 0;
  std::string result;               ///< what work() returned
};

/// Runs work(i) for i in [0, n) across the ranks in rounds: in each round every rank takes its
/// next `per_round` items of a cyclic split, then rank 0 receives the round's results and calls
/// on_root(index, result) in item order (so it can save them before the next round). An
/// exception of work(i) on any rank stops every rank after that round; rank 0 then throws
/// MPI-001 naming the rank, label(i) and the error (its code included). Without MPI (or one
/// rank) this is a plain loop that lets work()'s exceptions through unchanged.
void for_each_item(size_t n, const std::function<std::string(size_t)>& work,
                   const std::function<std::string(size_t)>& label,
                   const std::function<void(size_t, const std::string&)>& on_root, size_t per_round = 1);

}  // namespace axx::mpi
