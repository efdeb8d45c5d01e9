// The MPI layer: the static split, and (with OpenMPI and mpirun) `library build`, `sensitivity`
// and `search` under mpirun -np 1/2/3 giving the plain command's results, also after a rank was
// killed halfway and the job rerun. Built without MPI, the commands' own suites run unchanged.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "common/error.hpp"
#include "common/json.hpp"
#include "mpi/mpi.hpp"
#include "tests/cli_util.hpp"

namespace {

using namespace axx;
namespace fs = std::filesystem;

TEST(MpiShare, EveryItemOnExactlyOneRank) {
  for (auto split : {mpi::Split::block, mpi::Split::cyclic}) {
    for (size_t n : {0, 1, 2, 5, 7, 64}) {
      for (int size : {1, 2, 3, 8}) {
        std::vector<int> owner(n, -1);
        for (int r = 0; r < size; ++r) {
          const auto mine = mpi::share(n, split, r, size);
          EXPECT_LE(mine.size(), (n + size_t(size) - 1) / size_t(size));  // balanced
          for (size_t i : mine) {
            ASSERT_LT(i, n);
            EXPECT_EQ(owner[i], -1) << "item " << i << " on two ranks";
            owner[i] = r;
          }
        }
        for (size_t i = 0; i < n; ++i) EXPECT_NE(owner[i], -1) << "item " << i << " on no rank";
      }
    }
  }
  EXPECT_EQ(mpi::share(7, mpi::Split::block, 0, 3), (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ(mpi::share(7, mpi::Split::block, 2, 3), (std::vector<size_t>{5, 6}));
  EXPECT_EQ(mpi::share(7, mpi::Split::cyclic, 1, 3), (std::vector<size_t>{1, 4}));
}

TEST(MpiShare, PlainProcessIsOneRankAndLoopsInOrder) {
  // The test program itself is not under mpirun: one rank, items in order, errors unchanged.
  EXPECT_EQ(mpi::rank(), 0);
  EXPECT_EQ(mpi::size(), 1);
  std::vector<size_t> seen;
  mpi::for_each_item(
      4, [](size_t i) { return std::to_string(i * i); }, [](size_t i) { return std::to_string(i); },
      [&](size_t i, const std::string& r) {
        seen.push_back(i);
        EXPECT_EQ(r, std::to_string(i * i));
      });
  EXPECT_EQ(seen, (std::vector<size_t>{0, 1, 2, 3}));
  EXPECT_THROW(mpi::for_each_item(
                   2, [](size_t i) -> std::string { throw Error("TST-001", "boom"); },
                   [](size_t i) { return std::string("x"); }, [](size_t, const std::string&) {}),
               Error);
  EXPECT_EQ(mpi::gather("a"), (std::vector<std::string>{"a"}));
  EXPECT_EQ(mpi::broadcast("b"), "b");
  // One rank claims every item, again and again, and writes no claim files.
  const fs::path d = test::temp_dir("claims");
  const mpi::ItemClaims claims(d.string());
  EXPECT_TRUE(claims.claim(0));
  EXPECT_TRUE(claims.claim(0));
  EXPECT_TRUE(fs::is_empty(d));
  fs::remove_all(d);
}

TEST(MpiShare, BuildWithoutMpiRefusesToRunAsOneOfManyRanks) {
  if (mpi::built_with_mpi()) GTEST_SKIP() << "this build has OpenMPI: mpirun runs it as ranks (MpiRun below)";
  // Two copies would each do the whole job into the same folders.
  const test::CliResult r = test::run_cli({"library", "list", "/nonexistent"}, {{"OMPI_COMM_WORLD_SIZE", "2"}});
  EXPECT_EQ(r.rc, 1) << r.output;
  EXPECT_NE(r.output.find("MPI-004"), std::string::npos) << r.output;
  // A plain run of the same build is one rank and goes on to the command's own error.
  const test::CliResult plain = test::run_cli({"library", "list", "/nonexistent"});
  EXPECT_EQ(plain.output.find("MPI-"), std::string::npos) << plain.output;
}

#ifdef AXX_MPIRUN

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

/// Runs `mpirun -np N --oversubscribe transaxx args...` in `cwd`.
test::CliResult run_mpi(int np, const std::vector<std::string>& args, const fs::path& cwd) {
  static int n = 0;
  const fs::path log = fs::temp_directory_path() / ("axx-mpi-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
  std::vector<std::string> argv = {AXX_MPIRUN, "-np", std::to_string(np), "--oversubscribe", AXX_TRANSAXX_EXE};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions po;
  po.cwd = cwd;
  po.log = log;
  const int rc = run_process(argv, po);
  std::string out = read_file(log);
  fs::remove(log);
  return {rc, out};
}

// Three small built-in signed multipliers (exact_s8 is the search's power reference).
const std::vector<std::string> kMults = {"exact_s8", "bam_s8_v8", "mitchell_s8_w3"};

std::vector<std::string> build_args(const fs::path& out) {
  std::vector<std::string> a = {"library", "build", "--out", out.string(), "--vectors", "10000", "--only"};
  a.insert(a.end(), kMults.begin(), kMults.end());
  return a;
}

class MpiRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = test::temp_dir("mpi");
    const test::CliResult r = test::run_cli(build_args(dir_ / "plain"));
    ASSERT_EQ(r.rc, 0) << r.output;
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }
  static fs::path dir_;
};
fs::path MpiRun::dir_;

void expect_same_library(const fs::path& a, const fs::path& b) {
  for (const char* f : {"library.json", "library.csv", "library.svg"}) {
    EXPECT_EQ(slurp(a / f), slurp(b / f)) << f << " differs between " << a << " and " << b;
  }
  EXPECT_FALSE(slurp(a / "library.json").empty());
}

TEST_F(MpiRun, LibraryBuildOnOneTwoThreeRanksIsByteIdentical) {
  for (int np : {1, 2, 3}) {
    const fs::path out = dir_ / ("np" + std::to_string(np));
    const test::CliResult r = run_mpi(np, build_args(out), dir_);
    ASSERT_EQ(r.rc, 0) << r.output;
    EXPECT_NE(r.output.find("3 built, 0 up to date, 0 failed"), std::string::npos) << r.output;
    expect_same_library(dir_ / "plain", out);
    for (const auto& e : fs::directory_iterator(out)) {  // the job's claim folder is gone
      EXPECT_NE(e.path().filename().string().rfind(".mpi-claims-", 0), 0u) << e.path();
    }
  }
  // Ranks other than 0 log to files, not to the terminal.
  EXPECT_TRUE(fs::exists(dir_ / "transaxx-mpi-logs" / "rank-2.log"));
}

TEST_F(MpiRun, KilledRankStopsTheJobAndRerunRedoesOnlyWhatIsMissing) {
  const fs::path out = dir_ / "killed";
  std::vector<std::string> argv = {AXX_MPIRUN, "-np", "2", "--oversubscribe", AXX_TRANSAXX_EXE};
  for (const auto& a : build_args(out)) argv.push_back(a);
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  pid_t launcher = 0;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  ASSERT_EQ(posix_spawn(&launcher, argv[0].c_str(), &fa, nullptr, cargv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&fa);
  // The ranks take the multipliers as they become free: when the first record is written
  // (exact_s8, taken first), kill rank 1 (a child of this mpirun whose environment says rank 1).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(3);
  pid_t victim = -1;
  while (std::chrono::steady_clock::now() < deadline && victim < 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (!fs::exists(out / "exact_s8.json")) continue;
    for (const auto& e : fs::directory_iterator("/proc")) {
      const std::string pid = e.path().filename().string();
      if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
      const std::string stat = slurp(e.path() / "stat");
      const auto close = stat.rfind(')');
      if (close == std::string::npos) continue;
      int ppid = 0;
      char state = 0;
      if (std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) != 2 || ppid != launcher) continue;
      const std::string env = slurp(e.path() / "environ");
      if (env.find(std::string("OMPI_COMM_WORLD_RANK=1") + '\0') != std::string::npos) victim = std::stoi(pid);
    }
  }
  ASSERT_GT(victim, 0) << "rank 1 not found or rank 0 wrote nothing in time";
  ::kill(victim, SIGKILL);
  int status = 0;
  ::waitpid(launcher, &status, 0);
  EXPECT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the job went on without rank 1";
  EXPECT_FALSE(fs::exists(out / "library.json"));  // no index from a partial job
  // The rerun keeps what was finished and completes with the same library.
  const test::CliResult r = run_mpi(2, build_args(out), dir_);
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_EQ(r.output.find(" 0 up to date"), std::string::npos) << "rank 0's finished record was redone: " << r.output;
  expect_same_library(dir_ / "plain", out);
}

#ifdef AXX_HAVE_MODELS
std::vector<std::string> model_args(const fs::path& lib) {
  return {"--model", fs::path(AXX_SOURCE_DIR) / "examples/models/fmnist_vit.safetensors", "--library", lib.string(),
          "--test-limit", "100", "--calib-images", "32", "--threads", "1", "--no-progress"};
}

TEST_F(MpiRun, SensitivityTableIsTheSameAndResumesAfterAStop) {
  std::vector<std::string> args = {"sensitivity"};
  for (const auto& a : model_args(dir_ / "plain")) args.push_back(a);
  for (const char* a : {"--layers", "blocks.0.attn.qkv", "blocks.0.mlp.fc2", "head"}) args.push_back(a);
  auto with_out = [&](const fs::path& out) {
    auto a = args;
    a.insert(a.end(), {"--out", out.string()});
    return a;
  };
  const test::CliResult plain = test::run_cli(with_out(dir_ / "sens_plain"));
  ASSERT_EQ(plain.rc, 0) << plain.output;
  const std::string table = slurp(dir_ / "sens_plain" / "sensitivity.csv");
  for (int np : {1, 2, 3}) {
    const fs::path out = dir_ / ("sens_np" + std::to_string(np));
    const test::CliResult r = run_mpi(np, with_out(out), dir_);
    ASSERT_EQ(r.rc, 0) << r.output;
    EXPECT_EQ(slurp(out / "sensitivity.csv"), table) << "np " << np;
  }
  // Stopped after 4 of 6 rows on 3 ranks (as if killed): the error names the stop, the partial
  // file holds exactly the rows done, and the rerun on 2 ranks completes the same table.
  const fs::path out = dir_ / "sens_stop";
  auto stop = with_out(out);
  stop.insert(stop.end(), {"--stop-after", "4", "--multipliers", "bam_s8_v8", "mitchell_s8_w3"});
  const test::CliResult r1 = run_mpi(3, stop, dir_);
  EXPECT_NE(r1.rc, 0);
  EXPECT_NE(r1.output.find("TRN-004"), std::string::npos) << r1.output;
  EXPECT_EQ(read_json_file(out / "sensitivity.partial.json").at("rows").size(), 4u);
  auto resume = with_out(out);
  resume.insert(resume.end(), {"--multipliers", "bam_s8_v8", "mitchell_s8_w3"});
  const test::CliResult r2 = run_mpi(2, resume, dir_);
  ASSERT_EQ(r2.rc, 0) << r2.output;
  EXPECT_NE(r2.output.find("4 of them from an earlier run"), std::string::npos) << r2.output;
  auto rerun_plain = with_out(dir_ / "sens_plain2");
  rerun_plain.insert(rerun_plain.end(), {"--multipliers", "bam_s8_v8", "mitchell_s8_w3"});
  ASSERT_EQ(test::run_cli(rerun_plain).rc, 0);
  EXPECT_EQ(slurp(out / "sensitivity.csv"), slurp(dir_ / "sens_plain2" / "sensitivity.csv"));
}

TEST_F(MpiRun, SearchFrontIsTheSameOnEveryRankCount) {
  std::vector<std::string> args = {"search"};
  for (const auto& a : model_args(dir_ / "plain")) args.push_back(a);
  for (const char* a : {"--eval-images", "100", "--budget", "12", "--batch", "5", "--algo", "nsga2", "--seed", "3",
                        "--no-final-eval"})
    args.push_back(a);
  auto with_out = [&](const fs::path& out) {
    auto a = args;
    a.insert(a.end(), {"--out", out.string()});
    return a;
  };
  const test::CliResult plain = test::run_cli(with_out(dir_ / "search_plain"));
  ASSERT_EQ(plain.rc, 0) << plain.output;
  const std::string front = slurp(dir_ / "search_plain" / "nsga2" / "front.csv");
  const std::string evals = slurp(dir_ / "search_plain" / "nsga2" / "evaluations.csv");
  ASSERT_FALSE(front.empty());
  for (int np : {2, 3}) {
    const fs::path out = dir_ / ("search_np" + std::to_string(np));
    const test::CliResult r = run_mpi(np, with_out(out), dir_);
    ASSERT_EQ(r.rc, 0) << r.output;
    EXPECT_EQ(slurp(out / "nsga2" / "front.csv"), front) << "np " << np;
    EXPECT_EQ(slurp(out / "nsga2" / "evaluations.csv"), evals) << "np " << np;
  }
}
#endif  // AXX_HAVE_MODELS

#endif  // AXX_MPIRUN

}  // namespace
