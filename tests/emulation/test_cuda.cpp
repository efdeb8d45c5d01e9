// CUDA LUT GEMM: bit-identical to the CPU reference. Skipped without CUDA kernels or a GPU.
#include "emulation/lut_gemm.hpp"
#include "test_util.hpp"
#if defined(AXX_HAVE_CUDA_KERNELS)
#include "emulation/cuda/lut_gemm_cuda.hpp"
#endif

namespace axx::emu {
namespace {

TEST(CudaLutGemm, MatchesCpuReferenceBitForBit) {
#if !defined(AXX_HAVE_CUDA_KERNELS)
  GTEST_SKIP() << "built without CUDA kernels (nvcc not found)";
#else
  if (!cuda::device_available()) GTEST_SKIP() << "no CUDA device";
  std::mt19937 rng(5);
  for (auto [lo, hi] : std::vector<std::pair<int64_t, int64_t>>{{-32768, 32767}, {0, 65535}}) {
    const auto lut = test::random_lut(uint32_t(lo + 70000), lo, hi);
    for (auto [M, N, K] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{{1, 1, 1}, {197, 77, 768}, {65, 130, 33}}) {
      std::vector<uint8_t> A(size_t(M * K)), B(size_t(N * K));
      for (auto& v : A) v = uint8_t(rng());
      for (auto& v : B) v = uint8_t(rng());
      std::vector<int32_t> ref(size_t(M * N)), out(size_t(M * N));
      lut_gemm_reference(M, N, K, A.data(), K, B.data(), K, lut.data(), ref.data(), N);
      cuda::lut_gemm_host(M, N, K, A.data(), B.data(), lut.data(), out.data());
      ASSERT_EQ(out, ref) << M << "x" << N << "x" << K;
    }
  }
#endif
}

}  // namespace
}  // namespace axx::emu
