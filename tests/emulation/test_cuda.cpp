// CUDA LUT GEMM and the dispatcher op: bit-identical to the CPU reference. The device tests
// skip without CUDA kernels, LibTorch CUDA or a GPU; the CPU kernel of the op and the device
// table cache are tested everywhere.
#include <ATen/ATen.h>

#include "emulation/int_matmul.hpp"
#include "emulation/lut_gemm.hpp"
#include "emulation/torch_ops.hpp"
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

// A table's device copy is made once per device and then reused (what the CUDA path of
// lut_matmul relies on to upload each LUT once).
TEST(DeviceTable, UploadsOncePerDevice) {
  const auto lut = test::random_lut(8, -32768, 32767);
  const PreparedLut p(lut.data());
  int uploads = 0;
  auto upload = [&] {
    ++uploads;
    return std::shared_ptr<const void>(std::make_shared<int>(uploads));
  };
  const auto a = p.device_table(0, upload);
  const auto b = p.device_table(0, upload);
  const auto c = p.device_table(1, upload);
  EXPECT_EQ(uploads, 2);
  EXPECT_EQ(a.get(), b.get());
  EXPECT_NE(a.get(), c.get());
}

TEST(TorchOp, CpuKernelMatchesReferenceBitForBit) {
  const auto lut = test::random_lut(9, -32768, 32767);
  const at::Tensor a = at::randint(0, 256, {70, 48}, at::kByte), b = at::randint(0, 256, {33, 48}, at::kByte);
  const at::Tensor c = lut_matmul_op(a, b, test::lut_tensor(lut));
  std::vector<int32_t> ref(size_t(70 * 33));
  lut_gemm_reference(70, 33, 48, a.data_ptr<uint8_t>(), 48, b.data_ptr<uint8_t>(), 48, lut.data(), ref.data(), 33);
  ASSERT_EQ(c.scalar_type(), at::kInt);
  EXPECT_TRUE(std::equal(ref.begin(), ref.end(), c.data_ptr<int32_t>()));
  // A second table through the same op is not served the first one's prepared copy.
  const auto lut2 = test::random_lut(10, 0, 65535);
  lut_gemm_reference(70, 33, 48, a.data_ptr<uint8_t>(), 48, b.data_ptr<uint8_t>(), 48, lut2.data(), ref.data(), 33);
  const at::Tensor c2 = lut_matmul_op(a, b, test::lut_tensor(lut2));
  EXPECT_TRUE(std::equal(ref.begin(), ref.end(), c2.data_ptr<int32_t>()));
}

TEST(TorchOp, BadLutOrOperandsAreErrors) {
  const at::Tensor a = at::zeros({4, 8}, at::kByte), b = at::zeros({3, 8}, at::kByte);
  test::expect_error("EMU-003", [&] { lut_matmul_op(a, b, at::zeros({256, 255}, at::kInt)); });
  test::expect_error("EMU-002", [&] { lut_matmul_op(a, b, at::zeros({256, 256}, at::kLong)); });
  test::expect_error("EMU-025", [&] { lut_matmul_op(a, at::zeros({3, 7}, at::kByte), at::zeros({256, 256}, at::kInt)); });
  test::expect_error("EMU-023", [&] { lut_matmul_op(a.to(at::kFloat), b, at::zeros({256, 256}, at::kInt)); });
}

TEST(TorchOp, CudaKernelMatchesCpuBitForBit) {
  if (!torch_op_has_cuda()) GTEST_SKIP() << "no CUDA kernel registered (nvcc or LibTorch CUDA missing)";
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  const auto lut = test::random_lut(11, -32768, 32767);
  const at::Tensor a = at::randint(0, 256, {197, 64}, at::kByte), b = at::randint(0, 256, {197, 64}, at::kByte);
  const at::Tensor l = test::lut_tensor(lut);
  const at::Tensor cpu = lut_matmul_op(a, b, l);
  const at::Tensor gpu = lut_matmul_op(a.cuda(), b.cuda(), l.cuda()).cpu();
  EXPECT_TRUE(at::equal(cpu, gpu));
  // The Multiplier path: the same numbers, with the table uploaded once and cached.
  const auto m = make_multiplier("r", true, l);
  const at::Tensor via_mult = lut_matmul(a.cuda(), b.cuda(), *m).cpu();
  EXPECT_TRUE(at::equal(cpu, via_mult));
  bool uploaded_again = false;
  m->table->device_table(0, [&] {
    uploaded_again = true;
    return std::shared_ptr<const void>();
  });
  EXPECT_FALSE(uploaded_again);
}

}  // namespace
}  // namespace axx::emu
