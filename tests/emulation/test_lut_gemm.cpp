// The integer core, one parity suite over every backend this build and machine have (the CPU
// kernels, and each CUDA kernel where a device is: backends.hpp): every one equals the reference
// loop bit for bit, for every table, wrap-around, K = 0, strided and batched operands; with an
// exact table every path equals an exact integer GEMM.
#include <ATen/Parallel.h>

#include "emulation/int_matmul.hpp"
#include "emulation/lut_gemm.hpp"
#include "backends.hpp"
#include "test_util.hpp"

namespace axx::emu {
namespace {

struct Shape {
  int64_t M, N, K;
};

using test::Backend;
using test::HostGemm;

std::vector<CpuKernel> fast_kernels() {
  std::vector<CpuKernel> k{CpuKernel::portable};
  if (cpu_supports(CpuKernel::avx512)) k.push_back(CpuKernel::avx512);
  if (cpu_supports(CpuKernel::avx512_shared)) k.push_back(CpuKernel::avx512_shared);
  return k;
}

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& x : v) x = uint8_t(rng());
  return v;
}

// Shapes around the kernels' block edges: 64-row blocks, 3-block groups, 256-step k chunks,
// and short last blocks (≤ 16 rows) that go through the swapped table when N ≥ 64.
const std::vector<Shape> kShapes = {{1, 1, 1},      {5, 7, 3},      {64, 8, 256},   {65, 33, 257},
                                    {130, 17, 600}, {197, 12, 768}, {3, 64, 513},   {129, 5, 1},
                                    {197, 70, 100}, {80, 64, 40},   {140, 200, 64}, {250, 3, 20}};

struct LutCase {
  const char* name;
  int64_t lo, hi;
};
// Every fast backend on contiguous A [M, K] and B [N, K] gives the reference loop's C bit for
// bit (output prefilled with a pattern, so a kernel that skips an element fails too).
void expect_kernels_match_reference(const std::vector<int32_t>& lut, const PreparedLut& p, const Shape& s,
                                    const std::vector<uint8_t>& A, const std::vector<uint8_t>& B,
                                    const std::string& what) {
  std::vector<int32_t> ref(size_t(s.M * s.N)), out(size_t(s.M * s.N));
  lut_gemm_reference(s.M, s.N, s.K, A.data(), s.K, B.data(), s.K, lut.data(), ref.data(), s.N);
  for (const Backend& be : test::fast_backends()) {
    if (!be.applies(p)) continue;
    std::fill(out.begin(), out.end(), 0x5a5a5a5a);
    HostGemm g;
    g.M = s.M;
    g.N = s.N;
    g.K = s.K;
    g.A = A.data();
    g.lda = s.K;
    g.B = B.data();
    g.ldb = s.K;
    g.C = out.data();
    g.ldc = s.N;
    be.run(p, g);
    EXPECT_EQ(out, ref) << what << " " << be.name << " M=" << s.M << " N=" << s.N << " K=" << s.K;
  }
}

const std::vector<LutCase> kLuts = {{"signed16", -32768, 32767},  {"unsigned16", 0, 65535},
                                    {"small", -3, 3},             {"max_only", 65535, 65535},
                                    {"min_only", -32768, -32768}, {"narrow_hi", 1000, 1100}};

TEST(LutGemm, EveryKernelMatchesReferenceForRandomTables) {
  uint32_t seed = 10;
  for (const auto& lc : kLuts) {
    const auto lut = test::random_lut(seed++, lc.lo, lc.hi);
    const PreparedLut p(lut.data());
    for (const auto& s : kShapes) {
      const auto A = random_bytes(size_t(s.M * s.K), seed++);
      const auto B = random_bytes(size_t(s.N * s.K), seed++);
      expect_kernels_match_reference(lut, p, s, A, B, lc.name);
      if (HasFailure()) return;  // one mismatching case says enough
    }
  }
}

TEST(LutGemm, LongKAndSkewedWeightCodes) {
  // k ≥ 512 visits a column's steps sorted by weight code within 1,024-step segments; K = 2,500
  // crosses two segment edges and 256-step folds. Real weights are bell-shaped: here most codes
  // are 0 or 1, so one code's run spans whole folds and segments. N = 70 spans three 32-column
  // chunks; M = 200 has a full 3-block group, a 1-block group and an 8-row tail.
  const auto lut = test::random_lut(21, -32768, 32767);
  const PreparedLut p(lut.data());
  const Shape s{200, 70, 2500};
  const auto A = random_bytes(size_t(s.M * s.K), 22);
  auto B = random_bytes(size_t(s.N * s.K), 23);
  for (size_t i = 0; i < B.size(); ++i)
    if (B[i] % 8 != 0) B[i] = uint8_t(B[i] % 2);
  expect_kernels_match_reference(lut, p, s, A, B, "skewed");
}

TEST(LutGemm, ThreadsSplittingBlocksAddUpPartialSums) {
  // avx512_shared hands each thread a run of (64-row block, 8-step group) items; with 3 threads
  // and one or three blocks, blocks are split between threads and their partial sums added up.
  // K = 4100 also passes a 256-step fold inside a thread's run and ends on a short group. With
  // M > N it computes Cᵀ (tokens as columns); 2,100 columns make two column chunks.
  const auto lut = test::random_lut(31, -32768, 32767);
  const PreparedLut p(lut.data());
  const int saved = at::get_num_threads();
  at::set_num_threads(3);
  for (const Shape& s : std::vector<Shape>{{64, 40, 4100}, {197, 600, 300}, {150, 9, 2}, {2100, 70, 40}, {64, 2100, 30}}) {
    expect_kernels_match_reference(lut, p, s, random_bytes(size_t(s.M * s.K), 32),
                                   random_bytes(size_t(s.N * s.K), 33), "3 threads");
  }
  at::set_num_threads(saved);
}

TEST(LutGemm, StridedOperandsAndOutput) {
  const auto lut = test::random_lut(99, -32768, 32767);
  const PreparedLut p(lut.data());
  const int64_t M = 70, N = 9, K = 40, lda = 50, ldb = 45, ldc = 13;
  const auto A = random_bytes(size_t(M * lda), 1), B = random_bytes(size_t(N * ldb), 2);
  std::vector<int32_t> ref(size_t(M * ldc), 7), out(size_t(M * ldc), 7);
  lut_gemm_reference(M, N, K, A.data(), lda, B.data(), ldb, lut.data(), ref.data(), ldc);
  for (const Backend& be : test::fast_backends()) {
    std::fill(out.begin(), out.end(), 7);
    HostGemm g{1, M, N, K, A.data(), lda, 0, B.data(), ldb, 0, out.data(), ldc, 0};
    be.run(p, g);
    EXPECT_EQ(out, ref) << be.name;
  }
}

TEST(LutGemm, BatchedStridedProductsEqualPerItemReference) {
  // Attention-like products (many small GEMMs, K = 64) and a ragged one, items at strides with
  // gaps between them: each backend's batch (the CUDA ones: one launch) equals the loop per item.
  for (const auto& lc : std::vector<std::pair<int64_t, int64_t>>{{-32768, 32767}, {-(int64_t(1) << 30), int64_t(1) << 30}}) {
    const auto lut = test::random_lut(uint32_t(lc.second & 0xffff) + 41, lc.first, lc.second);
    const PreparedLut p(lut.data());
    for (const Shape& s : std::vector<Shape>{{197, 197, 64}, {33, 130, 7}}) {
      const int64_t batch = 5, lda = s.K + 3, ldb = s.K + 1, ldc = s.N + 2;
      const int64_t sa = s.M * lda + 11, sb = s.N * ldb + 5, sc = s.M * ldc + 3;
      const auto A = random_bytes(size_t(batch * sa), 42), B = random_bytes(size_t(batch * sb), 43);
      std::vector<int32_t> ref(size_t(batch * sc), -1), out(size_t(batch * sc), -1);
      HostGemm g{batch, s.M, s.N, s.K, A.data(), lda, sa, B.data(), ldb, sb, ref.data(), ldc, sc};
      test::reference_gemm(p, g);
      for (const Backend& be : test::fast_backends()) {
        if (!be.applies(p)) continue;
        std::fill(out.begin(), out.end(), -1);
        g.C = out.data();
        be.run(p, g);
        EXPECT_EQ(out, ref) << be.name << " batch of " << s.M << "x" << s.N << "x" << s.K;
      }
    }
  }
}

TEST(LutGemm, WideTablesFallBackAndWrapLikeInt32) {
  // Entries beyond a 16-bit span (not a docs/architecture.md LUT, but the kernels must stay exact) and sums
  // that overflow int32: every path wraps modulo 2^32.
  auto lut = test::random_lut(5, -(int64_t(1) << 30), int64_t(1) << 30);
  const PreparedLut p(lut.data());
  EXPECT_FALSE(p.fits_16bit());
  const int64_t M = 66, N = 3, K = 300;
  const auto A = random_bytes(size_t(M * K), 3), B = random_bytes(size_t(N * K), 4);
  std::vector<int32_t> ref(size_t(M * N)), out(size_t(M * N));
  lut_gemm_reference(M, N, K, A.data(), K, B.data(), K, lut.data(), ref.data(), N);
  lut_gemm_cpu(p, M, N, K, A.data(), K, B.data(), K, out.data(), N);
  EXPECT_EQ(out, ref);
  for (const Backend& be : test::fast_backends()) {
    if (!be.applies(p)) continue;
    std::fill(out.begin(), out.end(), 0);
    be.run(p, HostGemm{1, M, N, K, A.data(), K, 0, B.data(), K, 0, out.data(), N, 0});
    EXPECT_EQ(out, ref) << be.name;
  }
  if (cpu_supports(CpuKernel::avx512)) {
    test::expect_error("EMU-021", [&] {
      lut_gemm_cpu(p, M, N, K, A.data(), K, B.data(), K, out.data(), N, CpuKernel::avx512);
    });
  }
}

TEST(LutGemm, SixteenBitTablesWrapLikeInt32) {
  // A 16-bit table at its top (every entry 32767 or 65535) with K = 70,000: the sums pass 2^31
  // (and 2^32), and the biased 16-bit kernels (avx512, shared16) must wrap exactly as int32 does.
  for (int64_t v : {int64_t(32767), int64_t(65535), int64_t(-32768)}) {
    const auto lut = test::random_lut(uint32_t(v & 0xff) + 3, v, v);
    const PreparedLut p(lut.data());
    const Shape s{3, 2, 70000};
    const auto A = random_bytes(size_t(s.M * s.K), 44), B = random_bytes(size_t(s.N * s.K), 45);
    expect_kernels_match_reference(lut, p, s, A, B, "wrap " + std::to_string(v));
  }
}

TEST(LutGemm, EmptyKGivesZeros) {
  const auto lut = test::random_lut(6, -5, 5);
  const PreparedLut p(lut.data());
  std::vector<int32_t> out(6, 3);
  lut_gemm_cpu(p, 2, 3, 0, nullptr, 0, nullptr, 0, out.data(), 3);
  EXPECT_EQ(out, std::vector<int32_t>(6, 0));
  const uint8_t dummy = 0;  // a valid pointer that K = 0 never reads
  for (const Backend& be : test::fast_backends()) {
    std::fill(out.begin(), out.end(), 3);
    be.run(p, HostGemm{1, 2, 3, 0, &dummy, 0, 0, &dummy, 0, 0, out.data(), 3, 0});
    EXPECT_EQ(out, std::vector<int32_t>(6, 0)) << be.name;
  }
}

TEST(LutGemm, CudaBackendsTakePart) {
  // Says plainly, in the test report, whether the CUDA cases above ran on a device.
  if (!test::cuda_backends_present()) GTEST_SKIP() << "CUDA backends not tested: " << test::cuda_backends_absent_reason();
  int cuda = 0;
  for (const Backend& be : test::fast_backends()) cuda += be.name.rfind("cuda_", 0) == 0;
  EXPECT_GE(cuda, 2) << "global32 and naive run on every device";
}

// Exact integer GEMM of codes, int64.
at::Tensor exact_gemm(const at::Tensor& a, const at::Tensor& b, bool is_signed) {
  auto v = [&](const at::Tensor& c) { return (is_signed ? c.view(at::kChar) : c).to(at::kLong); };
  return at::mm(v(a), v(b).t());
}

TEST(LutMatmul, ExactTableEqualsIntegerGemmOnEveryPath) {
  for (bool is_signed : {true, false}) {
    auto m = make_exact_multiplier(is_signed);
    // K = 3000 forces the BLAS path to split K (2^24 bound); extreme codes make the sums large.
    for (const Shape& s : std::vector<Shape>{{33, 21, 3000}, {197, 40, 768}}) {
      at::Tensor a = at::randint(0, 256, {s.M, s.K}, at::kByte);
      at::Tensor b = at::randint(0, 256, {s.N, s.K}, at::kByte);
      a.narrow(0, 0, 1).fill_(is_signed ? 0x80 : 0xff);  // row of -128 / 255
      b.narrow(0, 0, 1).fill_(is_signed ? 0x80 : 0xff);
      const at::Tensor want = exact_gemm(a, b, is_signed).to(at::kInt);
      EXPECT_TRUE(at::equal(lut_matmul(a, b, *m), want));
      EXPECT_TRUE(at::equal(lut_matmul(a, b, *m, MatmulPath::blas_exact), want));
      for (CpuKernel k : fast_kernels()) {
        EXPECT_TRUE(at::equal(lut_matmul(a, b, *m, MatmulPath::lut, k), want)) << to_string(k);
      }
    }
  }
}

TEST(LutMatmul, RandomTableEqualsNaiveLoop) {
  const auto v = test::random_lut(7, -32768, 32767);
  auto m = make_multiplier("rand", true, test::lut_tensor(v));
  at::Tensor a = at::randint(0, 256, {100, 77}, at::kByte);
  at::Tensor b = at::randint(0, 256, {31, 77}, at::kByte);
  EXPECT_TRUE(at::equal(lut_matmul(a, b, *m).to(at::kLong), test::naive_lut_sum(a, b, v.data())));
  test::expect_error("EMU-022", [&] { lut_matmul(a, b, *m, MatmulPath::blas_exact); });
}

TEST(LutMatmul, RejectsBadOperands) {
  auto m = make_exact_multiplier(true);
  test::expect_error("EMU-023", [&] { lut_matmul(at::zeros({2, 3}), at::zeros({2, 3}, at::kByte), *m); });
  test::expect_error("EMU-025", [&] {
    lut_matmul(at::zeros({2, 3}, at::kByte), at::zeros({2, 4}, at::kByte), *m);
  });
  test::expect_error("EMU-023", [&] { lut_matmul(at::zeros({3}, at::kByte), at::zeros({2, 3}, at::kByte), *m); });
}

}  // namespace
}  // namespace axx::emu

namespace axx::emu {
namespace {

TEST(LutBmm, BatchedEqualsPerItemForRandomAndExactTables) {
  const auto v = test::random_lut(8, 0, 65535);
  auto m = make_multiplier("rand_u", false, test::lut_tensor(v));
  at::Tensor a = at::randint(0, 256, {5, 70, 33}, at::kByte);
  at::Tensor b = at::randint(0, 256, {5, 19, 33}, at::kByte);
  const at::Tensor c = lut_bmm(a, b, *m);
  ASSERT_EQ(c.sizes(), (std::vector<int64_t>{5, 70, 19}));
  for (int64_t i = 0; i < 5; ++i) EXPECT_TRUE(at::equal(c[i].to(at::kLong), test::naive_lut_sum(a[i], b[i], v.data())));
  auto e = make_exact_multiplier(true);
  at::Tensor big = at::randint(0, 256, {3, 20, 2000}, at::kByte);
  at::Tensor big_b = at::randint(0, 256, {3, 9, 2000}, at::kByte);
  const at::Tensor want = at::matmul(big.view(at::kChar).to(at::kLong), big_b.view(at::kChar).to(at::kLong).transpose(1, 2));
  EXPECT_TRUE(at::equal(lut_bmm(big, big_b, *e).to(at::kLong), want));
  EXPECT_TRUE(at::equal(lut_bmm(big, big_b, *e, MatmulPath::lut).to(at::kLong), want));
  test::expect_error("EMU-027", [&] { lut_bmm(a, b[0], *m); });
}

}  // namespace
}  // namespace axx::emu
