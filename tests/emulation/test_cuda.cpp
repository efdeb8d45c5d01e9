// The CUDA backend on tensors (lut_matmul / lut_bmm / the dispatcher op): bit-identical to the CPU
// for every table, shape and CUDA kernel, strided and batched operands, K = 0. The plain-pointer
// kernels are in the parity suite of test_lut_gemm.cpp; whole models in test_cuda_model.cpp.
// Device cases skip, saying why, without CUDA kernels, a CUDA LibTorch or a GPU; the CPU kernel
// of the op and the device table cache are tested everywhere.
#include <ATen/ATen.h>

#include "emulation/device.hpp"
#include "emulation/int_matmul.hpp"
#include "emulation/lut_gemm.hpp"
#include "emulation/torch_ops.hpp"
#include "test_util.hpp"

namespace axx::emu {
namespace {

#define AXX_SKIP_WITHOUT_CUDA()                                          \
  do {                                                                   \
    const std::string why = cuda_unusable_reason();                      \
    if (!why.empty()) GTEST_SKIP() << "CUDA case not run: " << why;      \
  } while (0)

TEST(CudaLutMatmul, TensorsMatchCpuForEveryTableShapeAndKernel) {
  AXX_SKIP_WITHOUT_CUDA();
  uint32_t seed = 100;
  for (auto [lo, hi] : std::vector<std::pair<int64_t, int64_t>>{
           {-32768, 32767}, {0, 65535}, {-3, 3}, {-(int64_t(1) << 30), int64_t(1) << 30}}) {
    const auto v = test::random_lut(seed++, lo, hi);
    const auto m = make_multiplier("r", true, test::lut_tensor(v));
    for (auto [M, N, K] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
             {1, 1, 1}, {197, 77, 768}, {65, 130, 33}, {129, 257, 1}, {300, 3, 2000}}) {
      const at::Tensor a = at::randint(0, 256, {M, K}, at::kByte), b = at::randint(0, 256, {N, K}, at::kByte);
      const at::Tensor want = lut_matmul(a, b, *m, MatmulPath::lut);
      for (CudaKernel k : {CudaKernel::automatic, CudaKernel::global32, CudaKernel::naive, CudaKernel::shared16}) {
        if (k == CudaKernel::shared16 && !m->table->fits_16bit()) continue;
        const at::Tensor got = lut_matmul(a.cuda(), b.cuda(), *m, MatmulPath::lut, CpuKernel::automatic, k).cpu();
        EXPECT_TRUE(at::equal(got, want)) << to_string(k) << " " << M << "x" << N << "x" << K << " table [" << lo
                                          << ", " << hi << "]";
      }
    }
  }
}

TEST(CudaLutMatmul, ExactTablesStrideAndEmptyK) {
  AXX_SKIP_WITHOUT_CUDA();
  for (bool is_signed : {true, false}) {
    const auto m = make_exact_multiplier(is_signed);
    // Transposed (strided) views: the CUDA path makes them contiguous on the device.
    const at::Tensor a = at::randint(0, 256, {300, 70}, at::kByte).t(), b = at::randint(0, 256, {300, 33}, at::kByte).t();
    const at::Tensor want = lut_matmul(a, b, *m);
    EXPECT_TRUE(at::equal(lut_matmul(a.cuda(), b.cuda(), *m).cpu(), want));
    const at::Tensor z = lut_matmul(at::zeros({4, 0}, at::kByte).cuda(), at::zeros({5, 0}, at::kByte).cuda(), *m);
    EXPECT_TRUE(at::equal(z.cpu(), at::zeros({4, 5}, at::kInt)));
  }
}

TEST(CudaLutBmm, OneLaunchEqualsCpuBatch) {
  AXX_SKIP_WITHOUT_CUDA();
  const auto v = test::random_lut(12, -32768, 32767);
  const auto m = make_multiplier("r", true, test::lut_tensor(v));
  // The attention products of DeiT-S at batch 4: 4 × 6 heads of [197, 64] · [64, 197].
  const at::Tensor a = at::randint(0, 256, {24, 197, 64}, at::kByte), b = at::randint(0, 256, {24, 197, 64}, at::kByte);
  const at::Tensor want = lut_bmm(a, b, *m, MatmulPath::lut);
  for (CudaKernel k : {CudaKernel::automatic, CudaKernel::global32, CudaKernel::naive}) {
    EXPECT_TRUE(at::equal(lut_bmm(a.cuda(), b.cuda(), *m, MatmulPath::lut, CpuKernel::automatic, k).cpu(), want))
        << to_string(k);
  }
  // Strided batch (a slice of every other item).
  const at::Tensor as = a.slice(0, 0, 24, 2), bs = b.slice(0, 0, 24, 2);
  EXPECT_TRUE(at::equal(lut_bmm(as.cuda(), bs.cuda(), *m).cpu(), lut_bmm(as, bs, *m, MatmulPath::lut)));
  test::expect_error("EMU-026", [&] { lut_bmm(a.cuda(), b, *m); });
}

TEST(CudaLutMatmul, ForcedSharedKernelOnAWideTableIsAnError) {
  AXX_SKIP_WITHOUT_CUDA();
  const auto v = test::random_lut(13, -(int64_t(1) << 30), int64_t(1) << 30);
  const auto m = make_multiplier("wide", true, test::lut_tensor(v));
  const at::Tensor a = at::randint(0, 256, {8, 8}, at::kByte).cuda();
  test::expect_error("EMU-061", [&] {
    lut_matmul(a, a, *m, MatmulPath::lut, CpuKernel::automatic, CudaKernel::shared16);
  });
}

TEST(CudaLutMatmul, CudaTensorsWithoutCudaKernelsAreAnError) {
  if (cuda_lut_gemm_built()) GTEST_SKIP() << "this build has the CUDA kernels";
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA tensors without a CUDA LibTorch and a device";
  const at::Tensor a = at::zeros({2, 2}, at::kByte).cuda();
  test::expect_error("EMU-024", [&] { lut_matmul(a, a, *make_exact_multiplier(true)); });
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
