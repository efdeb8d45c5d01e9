// transaxx — the command-line program. Thin: the subcommands (commands.hpp) parse their
// arguments and call the libraries; main() maps errors to exit codes (1 failure, 2 bad usage).
#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <CLI/CLI.hpp>

#include "apps/commands.hpp"
#include "apps/hints.hpp"
#include "apps/option_ranges.hpp"
#include "common/error.hpp"
#include "mpi/mpi.hpp"

#ifndef AXX_VERSION
#define AXX_VERSION "0.0.0"
#endif

namespace {

/// LibTorch's OpenMP threads spin-wait between parallel regions by default; beside OpenBLAS's
/// own threads on a few cores that costs several times the work (measured on 2 cores: exact
/// 8-bit eval 44 instead of 778 images/s, fp32 397 instead of 1442). libgomp reads
/// OMP_WAIT_POLICY when it is loaded, before main(), so the model commands set it and re-exec
/// themselves once. A value the user set is kept.
void use_passive_openmp(int argc, char** argv) {
#ifdef AXX_HAVE_MODELS
  static const char* kTorchCommands[] = {"train", "eval", "sensitivity", "finetune", "layers", "search"};
  if (argc < 2 || std::getenv("OMP_WAIT_POLICY")) return;
  bool torch = false;
  for (const char* c : kTorchCommands) torch |= std::strcmp(argv[1], c) == 0;
  if (!torch) return;
  ::setenv("OMP_WAIT_POLICY", "passive", 1);
  ::execv("/proc/self/exe", argv);  // returns only on failure: then run as we are
#else
  (void)argc;
  (void)argv;
#endif
}

/// mpirun binds each rank to a core, and OpenBLAS sizes its thread pool from the cores it may
/// run on; its float GEMMs (the fp32 and exact 8-bit layers) then sum in another order than a
/// plain run's and an image near a decision boundary can flip. Ranks use the thread count a
/// plain process on this machine would (unless OPENBLAS_NUM_THREADS says otherwise), so results
/// under mpirun are the plain command's.
void match_plain_blas_threads() {
  if (!axx::mpi::launched() || std::getenv("OPENBLAS_NUM_THREADS")) return;
  using SetThreads = void (*)(int);
  if (auto* f = reinterpret_cast<SetThreads>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    if (n > 0) f(int(n));
  }
}

}  // namespace

int main(int argc, char** argv) {
  use_passive_openmp(argc, argv);
  CLI::App app{"transaxx — approximate multipliers for Vision Transformers, from Verilog to accelerator.\n"
               "Characterize multipliers, emulate ViTs with them, search per-layer mixes, generate the accelerator;\n"
               "`transaxx flow run examples/demo/flow.toml` does all of it."};
  app.set_version_flag("--version", std::string("transaxx ") + AXX_VERSION);
  app.require_subcommand(1);
  axx::app::add_characterize_commands(app);
  axx::app::add_hwgen_commands(app);
  axx::app::add_model_commands(app);
  axx::app::add_search_commands(app);
  axx::app::add_flow_commands(app);
  axx::app::apply_option_ranges(app);
  int rc = 0;
  std::string failure;  // what went wrong, as printed
  try {
    // Under mpirun every rank runs the same command; rank 0 prints, the others log to files.
    axx::mpi::init(argc, argv);
    match_plain_blas_threads();
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    rc = app.exit(e);
    rc = rc == 0 ? 0 : 2;
  } catch (const axx::Error& e) {
    failure = "transaxx: error " + e.code() + ": " + e.what();
    if (const axx::app::Hint* h = axx::app::find_hint(e.code())) failure += std::string("\nhint: ") + h->text;
    rc = e.exit_code();
  } catch (const std::exception& e) {
    failure = std::string("transaxx: internal error: ") + e.what();
    rc = 1;
  }
  if (rc != 0 && axx::mpi::parallel()) {
    // One rank failing stops the job: rank 0 says why, then every rank is stopped. A rank other
    // than 0 logs its error and gives rank 0 a moment to report the same failure first.
    if (axx::mpi::is_root()) axx::mpi::abort_job(rc, failure.empty() ? "transaxx: stopped (usage error)" : failure);
    std::fprintf(stderr, "%s\n", failure.c_str());
    std::fflush(stderr);
    ::sleep(3);
    axx::mpi::abort_job(rc, "transaxx: rank " + std::to_string(axx::mpi::rank()) + ": " + failure);
  }
  if (!failure.empty()) std::fprintf(stderr, "%s\n", failure.c_str());
  axx::mpi::finalize();
  return rc;
}
